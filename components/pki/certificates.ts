/**
 * `Certificates`: phoenix's internal certificate authority and the server certificates it issues, with
 * `@pulumi/tls`. The CA and every key live only in Pulumi's state, as secrets. A certificate is replaced (a new
 * certificate for the same key) by a plain `up` once fewer than `renew_before_days` of its validity remain: the TLS
 * provider marks it ready for renewal when it plans (hashicorp/terraform-provider-tls#268, #278), and whatever
 * holds its files is then written again.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { CertificateSpec } from "../../config/gateways";
import type { CertificatesConfig } from "../../config/schema";

/** How long before its end the CA itself is renewed (which re-issues every certificate). */
export const CA_RENEW_BEFORE_DAYS = 180;

/** A fingerprint of a certificate, for a label that replaces the container using it when it changes. */
export function fingerprint(pem: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(pem).apply((p) => crypto.createHash("sha256").update(p).digest("hex"));
}

/** A certificate and its key, PEM; the key is a secret. */
export interface IssuedCertificate {
  readonly certPem: pulumi.Output<string>;
  readonly keyPem: pulumi.Output<string>;
}

export interface CertificatesArgs {
  readonly config: CertificatesConfig;
  readonly specs: readonly CertificateSpec[];
}

export class Certificates extends pulumi.ComponentResource {
  /** The CA certificate, PEM: what clients trust. */
  readonly caCertPem: pulumi.Output<string>;
  /** Each issued certificate by its spec's id. */
  readonly issued: Readonly<Record<string, IssuedCertificate>>;

  constructor(name: string, args: CertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:pki:Certificates", name, {}, opts);
    const c = args.config;
    const key = (n: string) => new tls.PrivateKey(n, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const caKey = key(`${name}-ca-key`);
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: c.ca_common_name, organization: "phoenix" },
        validityPeriodHours: c.ca_validity_days * 24,
        earlyRenewalHours: Math.min(CA_RENEW_BEFORE_DAYS, c.ca_validity_days - 1) * 24,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      { parent: this },
    );
    this.caCertPem = ca.certPem;
    const issued: Record<string, IssuedCertificate> = {};
    for (const s of args.specs) {
      const k = key(`${name}-${s.id}-key`);
      const csr = new tls.CertRequest(
        `${name}-${s.id}-csr`,
        {
          privateKeyPem: k.privateKeyPem,
          subject: { commonName: s.commonName, organization: "phoenix" },
          dnsNames: [...s.dnsNames],
          ipAddresses: [...s.ipAddresses],
        },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        `${name}-${s.id}`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          validityPeriodHours: c.validity_days * 24,
          earlyRenewalHours: c.renew_before_days * 24,
          allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        },
        { parent: this },
      );
      issued[s.id] = { certPem: cert.certPem, keyPem: pulumi.secret(k.privateKeyPem) };
    }
    this.issued = issued;
    this.registerOutputs({ caCertPem: this.caCertPem });
  }
}
