// Proves, end to end through `npm run lab`'s main (the real program, the real providers in Pulumi's host, the
// simulated Proxmox held to ../shared/proxmox/CONTRACT.md): the prod site comes up on the default ZFS host
// inventory (dev does in lab.e2e.ts); on an LVM-thin node the same files fail naming the missing storage, and a variant
// on
// local-lvm comes up; a shrunk disk fails with the provider's message, changing nothing; a
// CPU change previews as an update that reboots; a fixed-id replacement deletes first; an adopted guest that
// does not exist fails. Does not prove: anything about a real Proxmox.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer } from "../fakes/portainer/server";
import { LabDriver, labSecretEnv } from "../helpers/lab";
import { PROJECT_DIR } from "../helpers/site";

interface Report {
  steps: { type: string; name: string; action: string; changes?: string[]; notes?: string[] }[];
  summary: Record<string, number>;
  error?: string;
}

let driver: LabDriver;
let dir: string;
const fakes: Record<string, FakePortainer> = {};
const LVM = path.join(PROJECT_DIR, "lab/hosts/lvm-thin-node.json");
const secrets: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  driver = new LabDriver();
  secrets["prod"] = labSecretEnv("prod");
  secrets["lvm"] = labSecretEnv("dev");
  for (const k of ["prod", "lvm"]) fakes[k] = await startFakePortainer({ rateLimit: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-proxmox-lab-"));
});
afterAll(async () => {
  driver.close();
  for (const f of Object.values(fakes)) await f.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One lab command; `site` picks the fake Portainer and the state file. */
function lab(site: string, args: string[]): Promise<{ code: number; report: Report }> {
  const full = [
    ...args,
    "--json",
    "--portainer-url",
    fakes[site]!.url,
    ...(args.includes("--state") ? [] : ["--state", path.join(dir, `${site}.json`)]),
  ];
  return driver.run<Report>(full, secrets[site]!);
}

/** A variant of an example stack file, written to the scratch folder. */
function variant(stack: string, name: string, edit: (text: string) => string): string {
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  const text = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
  const edited = edit(text);
  if (edited === text) throw new Error(`variant ${name} changed nothing`);
  fs.writeFileSync(file, edited);
  return file;
}

const guestSteps = (r: Report) =>
  r.steps
    .filter((s) => s.type.startsWith("proxmoxve:index") && !s.name.startsWith("phoenix-hypervisor-"))
    .map((s) => [s.action, s.name, s.changes ?? [], s.notes ?? []]);

describe("the lab's Proxmox, end to end", () => {
  // dev on the default ZFS node is lab.e2e.ts's first up.
  it("brings prod up on the default ZFS node", async () => {
    const up = await lab("prod", ["up", "--stack", "prod"]);
    // 23 for the guests, Portainer and the stack as before the gateways; 35 for the gateway guests' own resources,
    // the certificates, the gateways' files and the firewall; 12 for the node (hypervisor.e2e.ts) and the snapshots.
    expect([up.code, up.report.error, up.report.summary]).toEqual([0, undefined, { create: 70 }]);
    expect(guestSteps(up.report)).toEqual([
      ["create", "phoenix-lxc-101", [], []],
      ["create", "phoenix-vm-1001", [], []],
      ["create", "phoenix-vm-1002", [], []],
      ["create", "phoenix-vm-1003", [], []],
    ]);
  }, 60_000);

  it("fails a shrunk disk with the provider's message, changing nothing", async () => {
    const shrunk = variant("prod", "prod-shrunk", (t) =>
      t.replace("      disk_size_gb: 64\n", "      disk_size_gb: 48\n"),
    );
    const r = await lab("prod", ["up", "--stack", "prod", "--stack-file", shrunk]);
    expect([r.code, r.report.error]).toEqual([
      1,
      "proxmoxve:index/vmLegacy:VmLegacy phoenix-vm-1002: disk resize fails " +
        "requests size (48G) is lower than current size (64G)",
    ]);
  }, 60_000);

  it("refuses, as Pulumi does, to replace or delete a protected guest, changing nothing", async () => {
    // What the state holds (the lab re-encrypts secrets with fresh nonces on every write).
    const state = () =>
      (
        JSON.parse(fs.readFileSync(path.join(dir, "prod.json"), "utf8")) as { resources: { urn: string; id: string }[] }
      ).resources.map((r) => [r.urn, r.id]);
    const before = state();
    const vm = (id: number) =>
      "urn:pulumi:prod::phoenix::phoenix:index:Site$phoenix:proxmox:Vm" +
      `$proxmoxve:index/vmLegacy:VmLegacy::phoenix-vm-${id}`;
    const replace = variant("prod", "prod-protected-template", (t) =>
      t.replace(
        "    - vmid: 1002\n      name: Dr-Phoenix\n      clone_from_vmid: 9100\n",
        "    - vmid: 1002\n      name: Dr-Phoenix\n      clone_from_vmid: 1001\n",
      ),
    );
    const r = await lab("prod", ["up", "--stack", "prod", "--stack-file", replace]);
    expect([r.code, r.report.error]).toEqual([
      1,
      `proxmoxve:index/vmLegacy:VmLegacy phoenix-vm-1002: unable to replace resource "${vm(1002)}"\nas it is ` +
        "currently marked for protection. To unprotect the resource, remove the `protect` flag from the resource " +
        "in your Pulumi program and run `pulumi up`",
    ]);
    const d = await lab("prod", ["destroy", "--stack", "prod"]);
    const refusal = (urn: string) =>
      `unable to delete resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, ` +
      "either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up` or use the " +
      `command:\n\`pulumi state unprotect '${urn}'\``;
    const ct = (id: number) =>
      "urn:pulumi:prod::phoenix::phoenix:index:Site$phoenix:proxmox:Lxc" +
      `$proxmoxve:index/containerLegacy:ContainerLegacy::phoenix-lxc-${id}`;
    expect([d.code, d.report.error]).toEqual([
      1,
      [refusal(ct(101)), refusal(vm(1001)), refusal(vm(1002)), refusal(vm(1003))].join("\n"),
    ]);
    expect(state()).toEqual(before);
    expect(before.length).toBe(70);
  }, 60_000);

  it(
    "previews a CPU change as an update that reboots (after the failed runs " +
      "changed nothing), and replaces a moved template delete-first with the " +
      "setup again",
    async () => {
      const cpu = variant("prod", "prod-cpu", (t) =>
        t.replace("      cores: 4\n      memory_mb: 4096\n", "      cores: 6\n      memory_mb: 4096\n"),
      );
      const p = await lab("prod", ["preview", "--stack", "prod", "--stack-file", cpu]);
      expect([p.code, guestSteps(p.report)]).toEqual([
        0,
        [
          ["same", "phoenix-lxc-101", [], []],
          ["same", "phoenix-vm-1001", [], []],
          ["update", "phoenix-vm-1002", ["cpu"], ["reboots the guest: cpu"]],
          ["same", "phoenix-vm-1003", [], []],
        ],
      ]);
      // A protected guest cannot be replaced (Pulumi's protect and Proxmox's flag): unprotected in one run,
      // replaced in the next. Both at once pass Pulumi, but Proxmox refuses to delete the still-flagged VM.
      const unprotected = variant("prod", "prod-unprotected", (t) =>
        t.replace("      boot_order: 2\n      protection: true\n", "      boot_order: 2\n"),
      );
      const both = variant("prod", "prod-unprotected-template", (t) =>
        t
          .replace(
            "    - vmid: 1002\n      name: Dr-Phoenix\n      clone_from_vmid: 9100\n",
            "    - vmid: 1002\n      name: Dr-Phoenix\n      clone_from_vmid: 1001\n",
          )
          .replace("      boot_order: 2\n      protection: true\n", "      boot_order: 2\n"),
      );
      const refused = await lab("prod", ["up", "--stack", "prod", "--stack-file", both]);
      expect([refused.code, refused.report.error]).toEqual([
        1,
        "proxmoxve:index/vmLegacy:VmLegacy phoenix-vm-1002: error deleting VM 1002: received an HTTP 500 response - " +
          "Reason: can't remove VM 1002 - protection mode enabled",
      ]);
      const unprotect = await lab("prod", ["up", "--stack", "prod", "--stack-file", unprotected]);
      expect([unprotect.code, guestSteps(unprotect.report)]).toEqual([
        0,
        [
          ["same", "phoenix-lxc-101", [], []],
          ["same", "phoenix-vm-1001", [], []],
          ["update", "phoenix-vm-1002", ["protection"], []],
          ["same", "phoenix-vm-1003", [], []],
        ],
      ]);
      const renamedTemplate = variant("prod", "prod-template", (t) =>
        t
          .replace(
            "    - vmid: 1002\n      name: Dr-Phoenix\n      clone_from_vmid: 9100\n",
            "    - vmid: 1002\n      name: Dr-Phoenix\n      clone_from_vmid: 1001\n",
          )
          .replace("      boot_order: 2\n      protection: true\n", "      boot_order: 2\n"),
      );
      const r = await lab("prod", ["up", "--stack", "prod", "--stack-file", renamedTemplate]);
      expect(r.code).toBe(0);
      expect(r.report.steps.filter((s) => s.action === "replace").map((s) => [s.name, s.changes])).toEqual([
        ["phoenix-vm-1002", ["clone.vmId"]],
        ["phoenix-vm-1002-setup-base", ["replaceWith"]],
        ["phoenix-vm-1002-setup-docker", ["replaceWith"]],
        ["phoenix-vm-1002-setup-health", ["replaceWith"]],
        // The new VM has none of the old one's snapshots: its snapshot is taken again, the old one's delete first.
        ["phoenix-vm-1002-snapshot", ["replaceWith"]],
      ]);
      expect(r.report.steps.find((s) => s.name === "phoenix-vm-1002")!.notes).toEqual([
        "replaces the VM (delete first): clone.vmId",
      ]);
    },
    90_000,
  );

  it("fails dev on an LVM-thin node naming the missing storage, and brings a local-lvm variant up", async () => {
    const bad = await lab("lvm", ["up", "--stack", "dev", "--proxmox-host", LVM]);
    expect(bad.code).toBe(1);
    expect(bad.report.error!.split("\n").sort()).toEqual([
      "proxmoxve:index/containerLegacy:ContainerLegacy phoenix-lxc-2002: error " +
        "creating CT 2002: received an HTTP 500 response - Reason: storage " +
        "'local-zfs' does not exist",
      "proxmoxve:index/vmLegacy:VmLegacy phoenix-vm-2001: error cloning VM " +
        "2001: received an HTTP 500 response - Reason: storage 'local-zfs' does " +
        "not exist",
    ]);
    const onLvm = variant("dev", "dev-lvm", (t) =>
      t.replace("    datastore: local-zfs\n", "    datastore: local-lvm\n"),
    );
    const up = await lab("lvm", ["up", "--stack", "dev", "--stack-file", onLvm, "--proxmox-host", LVM]);
    // The failed run had already made the agent secret, the provider, phoenix's CA and Portainer's certificate.
    expect([up.code, up.report.error, up.report.summary]).toEqual([0, undefined, { create: 23, same: 7 }]);
  }, 60_000);

  it("fails the adoption of a guest that does not exist", async () => {
    const adopt = variant("dev", "dev-adopt", (t) =>
      t.replace("    - vmid: 2001\n", "    - vmid: 2001\n      adopt: true\n"),
    );
    const r = await lab("lvm", [
      "preview",
      "--stack",
      "dev",
      "--stack-file",
      adopt,
      "--state",
      path.join(dir, "fresh.json"),
    ]);
    expect([r.code, r.report.error]).toEqual([
      1,
      "proxmoxve:index/vmLegacy:VmLegacy phoenix-vm-2001: importing " +
        "phoenix/2001: VM 2001 does not exist on node 'phoenix'",
    ]);
  }, 60_000);
});
