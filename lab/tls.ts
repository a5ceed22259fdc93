/**
 * The lab's stand-in for the `@pulumi/tls` provider (hashicorp/terraform-provider-tls, which needs the Pulumi CLI to
 * install): real keys from Node's crypto and real X.509 certificates from the system's `openssl`, with the outputs
 * the provider returns. Every input replaces (the provider's arguments are all ForceNew), and a certificate whose
 * remaining validity is within `earlyRenewalHours` is replaced when planned, as the provider's `ready_for_renewal`
 * does (terraform-provider-tls#268, #278).
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stripSecrets } from "./host";

type Obj = Record<string, unknown>;

export const TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
export const TLS_SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
export const TLS_CERT_REQUEST = "tls:index/certRequest:CertRequest";
export const TLS_LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";

export function isTlsType(type: string): boolean {
  return type.startsWith("tls:index/");
}

const KEY_USAGE: Record<string, string> = {
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
  digital_signature: "digitalSignature",
  key_encipherment: "keyEncipherment",
};
const EXT_USAGE: Record<string, string> = { server_auth: "serverAuth", client_auth: "clientAuth" };

function openssl(args: string[], files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-lab-tls-"));
  try {
    for (const [name, content] of Object.entries(files))
      fs.writeFileSync(path.join(dir, name), content, { mode: 0o600 });
    return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function subject(s: unknown): string {
  const o = (s ?? {}) as Obj;
  return `/CN=${String(o["commonName"] ?? "phoenix")}${o["organization"] ? `/O=${String(o["organization"])}` : ""}`;
}

function extensions(uses: unknown, ca: boolean): string {
  const list = (uses as string[] | undefined) ?? [];
  const ku = list.map((u) => KEY_USAGE[u]).filter(Boolean);
  const eku = list.map((u) => EXT_USAGE[u]).filter(Boolean);
  return [
    `basicConstraints=critical,CA:${ca ? "TRUE" : "FALSE"}`,
    ...(ku.length > 0 ? [`keyUsage=critical,${ku.join(",")}`] : []),
    ...(eku.length > 0 ? [`extendedKeyUsage=${eku.join(",")}`] : []),
    "subjectKeyIdentifier=hash",
  ].join("\n");
}

function validity(certPem: string, hours: number, early: number) {
  const x = new crypto.X509Certificate(certPem);
  const end = new Date(x.validTo);
  return {
    validityStartTime: new Date(x.validFrom).toISOString().replace(/\.\d+Z$/, "Z"),
    validityEndTime: end.toISOString().replace(/\.\d+Z$/, "Z"),
    readyForRenewal: Date.now() >= end.getTime() - early * 3600_000,
    validityPeriodHours: hours,
    earlyRenewalHours: early,
  };
}

/** The outputs the TLS provider returns for a resource created with these inputs. */
export function tlsOutputs(type: string, raw: Obj): Obj {
  const i = stripSecrets(raw) as Obj;
  const days = (h: unknown) => String(Math.max(1, Math.round(Number(h ?? 24) / 24)));
  switch (type) {
    case TLS_PRIVATE_KEY: {
      const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
      return {
        algorithm: i["algorithm"] ?? "ECDSA",
        privateKeyPem: privateKey.export({ type: "sec1", format: "pem" }),
        privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }),
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }),
      };
    }
    case TLS_SELF_SIGNED: {
      const isCa = i["isCaCertificate"] === true;
      const certPem = openssl(
        [
          "req",
          "-x509",
          "-new",
          "-key",
          "key.pem",
          "-subj",
          subject(i["subject"]),
          "-days",
          days(i["validityPeriodHours"]),
          "-config",
          "ext.cnf",
          "-extensions",
          "ext",
        ],
        {
          "key.pem": String(i["privateKeyPem"]),
          "ext.cnf": `[req]\ndistinguished_name=dn\n[dn]\n[ext]\n${extensions(i["allowedUses"], isCa)}\n`,
        },
      );
      return { certPem, ...validity(certPem, Number(i["validityPeriodHours"]), Number(i["earlyRenewalHours"] ?? 0)) };
    }
    case TLS_CERT_REQUEST: {
      const san = [
        ...((i["dnsNames"] as string[] | undefined) ?? []).map((n) => `DNS:${n}`),
        ...((i["ipAddresses"] as string[] | undefined) ?? []).map((n) => `IP:${n}`),
      ];
      const certRequestPem = openssl(
        [
          "req",
          "-new",
          "-key",
          "key.pem",
          "-subj",
          subject(i["subject"]),
          ...(san.length > 0 ? ["-addext", `subjectAltName=${san.join(",")}`] : []),
        ],
        { "key.pem": String(i["privateKeyPem"]) },
      );
      return { certRequestPem };
    }
    case TLS_LOCALLY_SIGNED: {
      const certPem = openssl(
        [
          "x509",
          "-req",
          "-in",
          "csr.pem",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca-key.pem",
          "-set_serial",
          `0x${crypto.randomBytes(16).toString("hex")}`,
          "-days",
          days(i["validityPeriodHours"]),
          "-copy_extensions",
          "copy",
          "-extfile",
          "ext.cnf",
        ],
        {
          "csr.pem": String(i["certRequestPem"]),
          "ca.pem": String(i["caCertPem"]),
          "ca-key.pem": String(i["caPrivateKeyPem"]),
          "ext.cnf": extensions(i["allowedUses"], false) + "\nauthorityKeyIdentifier=keyid\n",
        },
      );
      return { certPem, ...validity(certPem, Number(i["validityPeriodHours"]), Number(i["earlyRenewalHours"] ?? 0)) };
    }
    default:
      return {};
  }
}

/** Whether a certificate in state is due: its end is within `earlyRenewalHours` of now (checked at every plan). */
export function readyForRenewal(outputs: Obj | undefined): boolean {
  const end = outputs?.["validityEndTime"];
  if (typeof end !== "string") return false;
  return Date.now() >= new Date(end).getTime() - Number(outputs?.["earlyRenewalHours"] ?? 0) * 3600_000;
}
