// Proves, end to end through `npm run lab` (the real program, the lab's TLS stand-in making real keys and X.509
// certificates with openssl): the prod site's CA and certificates chain, with the names each holder needs, and no
// private key reaches the state file in plain text; a certificate within renew_before_days of its end is replaced
// by a plain up and written to its guest again, and nothing else changes; a stack removed from a guest changes the
// gateways' files, Traefik's certificate and the firewall rules in the same up.
// Does not prove: the real TLS provider (which needs the Pulumi CLI), or anything on a guest (gateway.guest.ts).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer } from "../fakes/portainer/server";
import { LabDriver, labSecretEnv } from "../helpers/lab";
import { PROJECT_DIR } from "../helpers/site";

interface Report {
  steps: { type: string; name: string; action: string; changes?: string[]; notes?: string[]; refresh?: boolean }[];
  summary: Record<string, number>;
  error?: string;
}
interface State {
  resources: { type: string; name: string; outputs: Record<string, unknown>; inputs: Record<string, unknown> }[];
}

let driver: LabDriver;
let fake: FakePortainer;
let dir: string;
const stateFile = () => path.join(dir, "prod.json");
beforeAll(async () => {
  driver = new LabDriver();
  fake = await startFakePortainer({ rateLimit: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-edge-lab-"));
});
afterAll(async () => {
  driver.close();
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function lab(args: string[]): Promise<{ code: number; report: Report }> {
  return driver.run<Report>(
    [...args, "--stack", "prod", "--json", "--portainer-url", fake.url, "--state", stateFile()],
    labSecretEnv("prod"),
  );
}
const readState = () => JSON.parse(fs.readFileSync(stateFile(), "utf8")) as State;
const cert = (s: State, name: string) => s.resources.find((r) => r.name === name)!.outputs;
/** What the up changed (its refresh aside). */
const changed = (r: Report) =>
  r.steps.filter((s) => s.action !== "same" && !s.refresh).map((s) => `${s.action} ${s.name}`);

describe("certificates and gateways in the lab", () => {
  it("issues a CA and certificates that chain, with each holder's names; keys stay secret", async () => {
    const up = await lab(["up"]);
    expect([up.code, up.report.error, up.report.summary]).toEqual([0, undefined, { create: 70 }]);
    const s = readState();
    const ca = new crypto.X509Certificate(String(cert(s, "phoenix-certificates-ca")["certPem"]));
    expect([ca.ca, ca.subject]).toEqual([true, "CN=phoenix internal CA\nO=phoenix"]);
    const names: Record<string, string> = {
      portainer: "DNS:portainer.phoenix.local, DNS:portainer, IP Address:10.0.0.101",
      nginx: "DNS:portainer.phoenix.local, DNS:qdrant.internal.thinkheads.ai, IP Address:10.0.0.153",
      traefik: "DNS:qdrant.internal.thinkheads.ai, DNS:traefik, DNS:traefik.phoenix.local, IP Address:10.0.0.12",
    };
    for (const [id, san] of Object.entries(names)) {
      const x = new crypto.X509Certificate(String(cert(s, `phoenix-certificates-${id}`)["certPem"]));
      expect([id, x.verify(ca.publicKey), x.checkIssued(ca), x.subjectAltName, x.ca]).toEqual([
        id,
        true,
        true,
        san,
        false,
      ]);
      const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86_400_000;
      expect(Math.round(days)).toBe(365);
    }
    expect(fs.readFileSync(stateFile(), "utf8")).not.toMatch(/PRIVATE KEY-----/);
    const again = await lab(["up"]);
    expect([again.code, again.report.summary]).toEqual([0, { same: 70 }]);
  }, 120_000);

  it("renews a certificate within renew_before_days of its end, and writes it to its guest again", async () => {
    const s = readState();
    const nginx = s.resources.find((r) => r.name === "phoenix-certificates-nginx")!;
    const before = String(nginx.outputs["certPem"]);
    // 10 days left, 30 to renew before: due.
    nginx.outputs["validityEndTime"] = new Date(Date.now() + 10 * 86_400_000).toISOString();
    fs.writeFileSync(stateFile(), JSON.stringify(s));
    const up = await lab(["up"]);
    expect([up.code, up.report.error]).toEqual([0, undefined]);
    expect(changed(up.report)).toEqual([
      "replace phoenix-certificates-nginx",
      "update phoenix-gateway-nginx-certificates",
    ]);
    expect(up.report.steps.find((x) => x.name === "phoenix-certificates-nginx")).toMatchObject({
      changes: ["readyForRenewal"],
      notes: ["ready for renewal: the certificate is within earlyRenewalHours of its end"],
    });
    expect(String(cert(readState(), "phoenix-certificates-nginx")["certPem"])).not.toBe(before);
    const again = await lab(["up"]);
    expect([again.code, changed(again.report)]).toEqual([0, []]);
  }, 120_000);

  it("a stack removed changes the gateways, Traefik's certificate and the firewall in one up", async () => {
    const file = path.join(dir, "Pulumi.prod.yaml");
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
    const edited = text.replace(
      "      docker_stacks:\n        - { name: qdrant_service, environment: production }\n",
      "",
    );
    expect(edited).not.toBe(text);
    fs.writeFileSync(file, edited);
    const up = await lab(["up", "--stack-file", file]);
    expect([up.code, up.report.error]).toEqual([0, undefined]);
    expect(changed(up.report).sort()).toEqual(
      [
        "delete phoenix-stack-qdrant_service-vm-1002",
        "replace phoenix-certificates-traefik-csr",
        "replace phoenix-certificates-traefik",
        "replace phoenix-certificates-nginx-csr",
        "replace phoenix-certificates-nginx",
        "update phoenix-gateway-nginx-certificates",
        "update phoenix-gateway-traefik-certificates",
        "update phoenix-gateway-nginx-config",
        "update phoenix-gateway-traefik-config",
        "update phoenix-gateway-dnsmasq-config",
        "update phoenix-gateway-traefik",
        "update phoenix-vm-1002-firewall-rules",
        // No route left: Traefik's entry point is closed again.
        "update phoenix-vm-1003-firewall-rules",
      ].sort(),
    );
  }, 120_000);

  it("turning the firewall off deletes its resources and clears the NIC flags: VMs live, the LXC reboots", async () => {
    const file = path.join(dir, "Pulumi.prod.yaml");
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
    const edited = text.replace(
      "  phoenix:firewall:\n    admin_networks: [10.0.0.13/32]\n    client_networks: [10.0.0.0/24]\n",
      "",
    );
    expect(edited).not.toBe(text);
    fs.writeFileSync(file, edited);
    const up = await lab(["up", "--stack-file", file]);
    expect([up.code, up.report.error]).toEqual([0, undefined]);
    const guests = up.report.steps
      .filter((s) => s.type.startsWith("proxmoxve:index") && s.action !== "same")
      .map((s) => [s.action, s.name, s.changes, s.notes ?? []]);
    expect(guests).toEqual([
      ["update", "phoenix-lxc-101", ["networkInterfaces"], ["reboots the guest: networkInterfaces"]],
      ["update", "phoenix-vm-1001", ["networkDevices"], []],
      ["update", "phoenix-vm-1002", ["networkDevices"], []],
      ["update", "phoenix-vm-1003", ["networkDevices"], []],
    ]);
    expect(up.report.steps.filter((s) => s.type.startsWith("proxmoxve:firewall")).map((s) => s.action)).toEqual(
      Array(8).fill("delete"),
    );
  }, 120_000);
});
