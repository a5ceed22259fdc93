// Proves: ProxmoxSnapshot inside Pulumi's real dynamic-provider host, driven over gRPC as the engine drives it
// (test/harness/engine.ts), against the fake Proxmox API: the serialized `__provider` holds no token and the
// connection is secret; Check, Create (waiting for the task), Read, Diff, a failing task (its text is the
// step's error), an out-of-band delete that refresh shows as gone and a create repairs, and Delete.
// Does not prove: a real Proxmox node, or the engine's own step ordering (the lab does that).
import { ProxmoxSnapshot } from "../../../providers/proxmox/snapshot";
import { LOADER_MARK } from "../../../providers/portainer/runtime";
import { DynamicProviderHost, captureRegistrations, isSecret, urnOf } from "../../harness/engine";
import { PROJECT_DIR } from "../../helpers/site";
import { startFakeProxmox, type FakeProxmox } from "../../fakes/proxmox/server";
import { untrustedCertificate } from "../../helpers/servers";

const TOKEN = "root@pam!phoenix=0b8a3c1e-7d2f-4f7a-9b1c-2e3d4f5a6b7c";
const tls = untrustedCertificate();
let fake: FakeProxmox;
let host: DynamicProviderHost;
beforeAll(async () => {
  fake = await startFakeProxmox({ tls, tokens: [TOKEN], taskMs: 50 });
  fake.addGuest("phoenix", "qemu", 1002);
  host = await DynamicProviderHost.start(PROJECT_DIR);
});
afterAll(async () => {
  await host.close();
  await fake.close();
});

async function registration() {
  const regs = await captureRegistrations(() => {
    new ProxmoxSnapshot("phoenix-vm-1002-snapshot", {
      connection: { endpoint: fake.url, apiToken: TOKEN, caCert: tls.cert },
      node: "phoenix",
      kind: "qemu",
      vmid: 1002,
      name: "phoenix-ready",
      description: "phoenix: Dr-Phoenix set up",
      setup: "sha256:abc",
    });
  });
  return regs[0]!;
}

describe("ProxmoxSnapshot in Pulumi's dynamic-provider host", () => {
  it("registers with the proxmox token, a loader that holds no secret, and a secret connection", async () => {
    const reg = await registration();
    expect([reg.type, reg.name]).toEqual(["pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-vm-1002-snapshot"]);
    const provider = reg.inputs["__provider"] as string;
    expect(provider).toContain(LOADER_MARK);
    expect(provider).not.toContain("0b8a3c1e");
    expect(isSecret(reg.inputs["connection"])).toBe(true);
  });

  it("creates, refreshes, fails a task, sees an out-of-band delete, repairs it, and deletes", async () => {
    const reg = await registration();
    const urn = urnOf(reg.type, reg.name);
    const checked = await host.check(urn, {}, reg.inputs);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toMatchObject({ includeMemory: false, retain: false, name: "phoenix-ready" });

    const created = await host.create(urn, checked.inputs);
    expect(created.id).toBe("phoenix/qemu/1002/phoenix-ready");
    expect(isSecret(created.properties["connection"])).toBe(true);
    expect(fake.snapshots("phoenix", "qemu", 1002)!.map((s) => [s.name, s.description])).toEqual([
      ["phoenix-ready", "phoenix: Dr-Phoenix set up"],
    ]);
    const read = await host.read(created.id, urn, created.properties, checked.inputs);
    expect(read.id).toBe(created.id);
    expect((await host.diff(created.id, urn, checked.inputs, read.properties, checked.inputs)).changes).toBe("none");
    expect(
      await host.diff(created.id, urn, checked.inputs, read.properties, { ...checked.inputs, setup: "sha256:def" }),
    ).toEqual({ changes: "some", replaces: ["setup"], deleteBeforeReplace: true });

    // Out of band: refresh reads it as gone; the next up creates it, and that task fails, then succeeds.
    fake.deleteOutOfBand("phoenix", "qemu", 1002, "phoenix-ready");
    expect((await host.read(created.id, urn, created.properties, checked.inputs)).id).toBe("");
    fake.failNextTask("zfs error: cannot create snapshot 'rpool/data/vm-1002-disk-0@phoenix-ready': out of space");
    await expect(host.create(urn, checked.inputs)).rejects.toThrow(
      "failed: zfs error: cannot create snapshot 'rpool/data/vm-1002-disk-0@phoenix-ready': out of space",
    );
    const repaired = await host.create(urn, checked.inputs);
    expect(fake.snapshots("phoenix", "qemu", 1002)!.map((s) => s.name)).toEqual(["phoenix-ready"]);

    await host.delete(repaired.id, urn, checked.inputs, repaired.properties);
    expect(fake.snapshots("phoenix", "qemu", 1002)).toEqual([]);
    const auth = new Set(fake.requests.map((r) => r.headers["authorization"]));
    expect([...auth]).toEqual([`PVEAPIToken=${TOKEN}`]);
  });
});
