// Proves, end to end through `npm run lab`'s main (the real program, the real providers in Pulumi's host, the
// simulated Proxmox, and the lab's fake Proxmox API for snapshots): `lab up --stack prod` prepares the node (its
// datasets, the exports of VM 1001's volume, the storage, the firewall, the template VM and its image) before any
// guest, and snapshots each guest once it is set up; a second up changes nothing; a snapshot deleted out of band is
// gone on refresh and taken again by up; a guest set up differently is snapshotted again (delete first); destroy
// deletes the snapshots and keeps the datasets and the exports (their commands have no delete).
// Does not prove: anything on a real Proxmox node (none here), nor the scripts on one (hypervisor.guest.ts runs the
// exports script on a real guest).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NO_DELETE_NOTE } from "../../lab/engine";
import { LabDriver, labSecretEnv } from "../helpers/lab";
import { PROJECT_DIR } from "../helpers/site";

interface Step {
  type: string;
  name: string;
  action: string;
  changes?: string[];
  notes?: string[];
  refresh?: boolean;
}
interface Report {
  steps: Step[];
  summary: Record<string, number>;
  error?: string;
}
interface ProxmoxApiState {
  guests: { node: string; kind: string; vmid: number; snapshots: { name: string; description: string }[] }[];
}

let driver: LabDriver;
let dir: string;
const env = labSecretEnv("prod");

beforeAll(() => {
  driver = new LabDriver();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-hypervisor-lab-"));
});
afterAll(() => {
  driver.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function lab(args: string[], state = "prod"): Promise<{ code: number; report: Report }> {
  return driver.run<Report>([...args, "--json", "--state", path.join(dir, `${state}.json`)], env);
}
const apiState = (state = "prod") =>
  JSON.parse(fs.readFileSync(path.join(dir, `${state}.proxmox.json`), "utf8")) as ProxmoxApiState;
const snapshotsOf = (s: ProxmoxApiState) =>
  s.guests
    .filter((g) => g.snapshots.length > 0)
    .map((g) => [g.kind, g.vmid, g.snapshots.map((x) => x.name)])
    .sort((a, b) => Number(a[1]) - Number(b[1]));
const index = (r: Report, name: string) => r.steps.findIndex((s) => s.name === name && !s.refresh);

describe("the hypervisor and snapshots in the lab", () => {
  it("prepares the node before any guest and snapshots each guest once it is set up", async () => {
    const up = await lab(["up", "--stack", "prod"]);
    expect([up.code, up.report.error, up.report.summary]).toEqual([0, undefined, { create: 70 }]);
    const node = up.report.steps.filter((s) => s.name.startsWith("phoenix-hypervisor")).map((s) => [s.action, s.name]);
    expect(node.sort()).toEqual([
      ["create", "phoenix-hypervisor-datacenter-firewall"],
      ["create", "phoenix-hypervisor-dataset-quickOS-shared-iso"],
      ["create", "phoenix-hypervisor-dataset-quickOS-vm-persistent-data"],
      ["create", "phoenix-hypervisor-nfs-exports"],
      ["create", "phoenix-hypervisor-node-firewall"],
      ["create", "phoenix-hypervisor-storage-fastData-shared-iso"],
      ["create", "phoenix-hypervisor-template-9100"],
      ["create", "phoenix-hypervisor-template-9100-image"],
    ]);
    const firstGuest = Math.min(
      ...["phoenix-vm-1001", "phoenix-vm-1002", "phoenix-vm-1003", "phoenix-lxc-101"].map((n) => index(up.report, n)),
    );
    for (const n of [
      "phoenix-hypervisor-dataset-quickOS-vm-persistent-data",
      "phoenix-hypervisor-nfs-exports",
      "phoenix-hypervisor-storage-fastData-shared-iso",
      "phoenix-hypervisor-datacenter-firewall",
    ])
      expect(index(up.report, n)).toBeLessThan(firstGuest);
    expect(index(up.report, "phoenix-hypervisor-template-9100")).toBeLessThan(index(up.report, "phoenix-vm-1001"));
    expect(up.report.steps.find((s) => s.name === "phoenix-hypervisor-template-9100")!.notes).toEqual([
      "scsi0: imports local:import/noble-server-cloudimg-amd64.qcow2",
      "converted to a template (never started)",
    ]);
    for (const g of ["vm-1001", "vm-1002", "vm-1003", "lxc-101"])
      expect(index(up.report, `phoenix-${g}-snapshot`)).toBeGreaterThan(index(up.report, `phoenix-${g}-setup-health`));
    expect(snapshotsOf(apiState())).toEqual([
      ["lxc", 101, ["phoenix-ready"]],
      ["qemu", 1001, ["phoenix-ready"]],
      ["qemu", 1002, ["phoenix-ready"]],
      ["qemu", 1003, ["phoenix-ready"]],
    ]);
    expect(apiState().guests.find((g) => g.vmid === 1002)!.snapshots[0]!.description).toBe(
      "phoenix: Dr-Phoenix set up (stack prod)",
    );

    const again = await lab(["up", "--stack", "prod"]);
    expect([again.code, again.report.summary]).toEqual([0, { same: 70 }]);
  }, 120_000);

  it("sees a snapshot deleted out of band on refresh, and up takes it again", async () => {
    const file = path.join(dir, "prod.proxmox.json");
    const s = apiState();
    s.guests.find((g) => g.vmid === 1002)!.snapshots = [];
    fs.writeFileSync(file, JSON.stringify(s));
    const refreshed = await lab(["refresh", "--stack", "prod"]);
    expect(refreshed.code).toBe(7);
    expect(refreshed.report.steps.filter((x) => x.action !== "read").map((x) => [x.action, x.name])).toEqual([
      ["gone", "phoenix-vm-1002-snapshot"],
    ]);
    const up = await lab(["up", "--stack", "prod"]);
    expect([up.code, up.report.summary]).toEqual([0, { same: 69, create: 1 }]);
    expect(snapshotsOf(apiState())).toContainEqual(["qemu", 1002, ["phoenix-ready"]]);
  }, 120_000);

  it("snapshots a guest again when it is set up again, deleting the old one first", async () => {
    const file = path.join(dir, "Pulumi.prod-debian.yaml");
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
    const edited = text.replace(
      "      portainer_role: agent\n",
      "      portainer_role: agent\n      docker_source: debian\n",
    );
    expect(edited).not.toBe(text);
    fs.writeFileSync(file, edited);
    const up = await lab(["up", "--stack", "prod", "--stack-file", file]);
    expect(up.code).toBe(0);
    const changed = up.report.steps.filter((s) => !s.refresh && s.action !== "same");
    expect(changed.map((s) => [s.action, s.name, s.changes ?? []])).toEqual([
      ["update", "phoenix-vm-1002-setup-docker", ["create"]],
      ["replace", "phoenix-vm-1002-snapshot", ["setup"]],
    ]);
    expect(snapshotsOf(apiState())).toContainEqual(["qemu", 1002, ["phoenix-ready"]]);
  }, 120_000);

  it("destroy deletes the snapshots and keeps the datasets and the exports", async () => {
    // The example protects its guests (destroy stops at them, as Pulumi does): a copy without the flag.
    const file = path.join(dir, "Pulumi.prod-open.yaml");
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
    fs.writeFileSync(file, text.replaceAll("      protection: true\n", ""));
    expect((await lab(["up", "--stack", "prod", "--stack-file", file], "open")).code).toBe(0);
    expect(snapshotsOf(apiState("open")).length).toBe(4);
    const down = await lab(["destroy", "--stack", "prod", "--stack-file", file], "open");
    expect([down.code, down.report.error, down.report.summary]).toEqual([0, undefined, { delete: 70 }]);
    const kept = down.report.steps.filter(
      (s) => s.name.startsWith("phoenix-hypervisor-dataset") || s.name.endsWith("nfs-exports"),
    );
    expect(kept.map((s) => [s.name, s.notes])).toEqual(
      expect.arrayContaining([
        ["phoenix-hypervisor-dataset-quickOS-vm-persistent-data", [NO_DELETE_NOTE]],
        ["phoenix-hypervisor-dataset-quickOS-shared-iso", [NO_DELETE_NOTE]],
        ["phoenix-hypervisor-nfs-exports", [NO_DELETE_NOTE]],
      ]),
    );
    // Snapshots go before their guests; the lab's Proxmox API is gone with the state.
    expect(index(down.report, "phoenix-vm-1001-snapshot")).toBeLessThan(index(down.report, "phoenix-vm-1001"));
    expect(fs.existsSync(path.join(dir, "open.proxmox.json"))).toBe(false);
  }, 120_000);
});
