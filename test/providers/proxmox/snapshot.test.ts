// Proves: phoenix's Proxmox client and the ProxmoxSnapshot provider against the fake Proxmox API
// (test/fakes/proxmox/server.ts): the exact requests (token header, form bodies, the task polled to its end),
// a ticket sign-in with the CSRF header on writes, Proxmox's error shapes surfaced with their text, a failing
// task reported with its exit status and log, an untrusted certificate refused before any credential is sent,
// and the provider's create, read (an out-of-band delete reads as gone), update, replace and delete (retain).
// Does not prove: a real Proxmox node (none here); the fake follows the API documentation cited in it.
import * as pulumi from "@pulumi/pulumi";
import { createProxmoxClient, ProxmoxApiError, ProxmoxTaskError } from "../../../providers/proxmox/client";
import {
  seams,
  snapshotProvider,
  type SnapshotInputs,
  type SnapshotOutputs,
} from "../../../providers/proxmox/snapshot";
import { startFakeProxmox, type FakeProxmox } from "../../fakes/proxmox/server";
import { untrustedCertificate } from "../../helpers/servers";

const TOKEN = "phoenix@pve!deploy=5f0c9e0a-0d7e-4a8e-9d7e-1c2b3a4d5e6f";
const tls = untrustedCertificate();
let fake: FakeProxmox;
beforeAll(async () => {
  fake = await startFakeProxmox({ tls, tokens: [TOKEN], users: { "root@pam": "hunter22" }, taskMs: 80 });
  fake.addGuest("phoenix", "qemu", 1001);
  fake.addGuest("phoenix", "lxc", 101);
});
afterAll(async () => fake.close());
beforeEach(() => fake.requests.splice(0));

const client = (auth: { apiToken: string } | { username: string; password: string } = { apiToken: TOKEN }) =>
  createProxmoxClient({ endpoint: fake.url, auth, caCert: tls.cert, pollMs: 20 });

describe("the Proxmox client", () => {
  it("takes a snapshot with the token header and a form body, and polls its task until it stops", async () => {
    const api = client();
    await api.createSnapshot("phoenix", "qemu", 1001, { name: "phoenix-ready", description: "set up", vmstate: false });
    const [post, ...polls] = fake.requests;
    expect([post!.method, post!.path, post!.headers["authorization"], post!.form]).toEqual([
      "POST",
      "/api2/json/nodes/phoenix/qemu/1001/snapshot",
      `PVEAPIToken=${TOKEN}`,
      { snapname: "phoenix-ready", description: "set up", vmstate: "0" },
    ]);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    const task =
      /^\/api2\/json\/nodes\/phoenix\/tasks\/UPID:phoenix:[0-9A-F:]+:qmsnapshot:1001:phoenix@pve!deploy:\/status$/;
    expect(polls.filter((r) => !task.test(decodeURIComponent(r.path)))).toEqual([]);
    const list = await api.listSnapshots("phoenix", "qemu", 1001);
    expect(list.map((s) => [s.name, s.description, s.vmstate])).toEqual([["phoenix-ready", "set up", 0]]);
    await api.deleteSnapshot("phoenix", "qemu", 1001, "phoenix-ready");
    expect(await api.listSnapshots("phoenix", "qemu", 1001)).toEqual([]);
    await api.close();
  });

  it("signs in with a ticket and sends the CSRF header on writes only", async () => {
    const api = client({ username: "root@pam", password: "hunter22" });
    await api.createSnapshot("phoenix", "lxc", 101, { name: "before", description: "", vmstate: false });
    const [login, post, poll] = fake.requests;
    expect([login!.path, login!.form]).toEqual([
      "/api2/json/access/ticket",
      { username: "root@pam", password: "hunter22" },
    ]);
    expect(post!.form).toEqual({ snapname: "before", description: "" });
    expect(post!.headers["cookie"]).toMatch(/^PVEAuthCookie=PVE:root@pam:/);
    expect(post!.headers["csrfpreventiontoken"]).toMatch(/^[0-9a-f]{16}$/);
    expect(poll!.headers["csrfpreventiontoken"]).toBeUndefined();
    await api.deleteSnapshot("phoenix", "lxc", 101, "before");
    await api.close();
  });

  it("surfaces Proxmox's errors with their text: a wrong token, a missing guest, a bad parameter", async () => {
    const bad = createProxmoxClient({ endpoint: fake.url, auth: { apiToken: `${TOKEN}x` }, caCert: tls.cert });
    await expect(bad.listSnapshots("phoenix", "qemu", 1001)).rejects.toThrow(
      "listing the snapshots of VM 1001: HTTP 401 invalid token value!",
    );
    const api = client();
    const missing = api.listSnapshots("phoenix", "qemu", 4242);
    await expect(missing).rejects.toBeInstanceOf(ProxmoxApiError);
    await expect(missing).rejects.toThrow(
      "listing the snapshots of VM 4242: HTTP 500 " +
        "Configuration file 'nodes/phoenix/qemu-server/4242.conf' does not exist",
    );
    await expect(
      api.createSnapshot("phoenix", "qemu", 1001, { name: "1bad", description: "", vmstate: false }),
    ).rejects.toThrow(
      "taking snapshot 1bad of VM 1001: HTTP 400 Parameter verification failed. " +
        "(snapname: invalid format - invalid configuration ID '1bad')",
    );
    await Promise.all([bad.close(), api.close()]);
  });

  it("reports a failed task with its exit status and the last lines of its log", async () => {
    const api = client();
    fake.failNextTask("VM 1001 qmp command 'savevm-start' failed - unable to save state");
    const e = await api
      .createSnapshot("phoenix", "qemu", 1001, { name: "phoenix-ready", description: "", vmstate: true })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProxmoxTaskError);
    const text = "VM 1001 qmp command 'savevm-start' failed - unable to save state";
    const [head, ...log] = (e as Error).message.split("\n");
    expect(head).toMatch(/^Proxmox task UPID:phoenix:[0-9A-F:]+:qmsnapshot:1001:phoenix@pve!deploy: failed: /);
    expect(head!.endsWith(`: failed: ${text}`)).toBe(true);
    expect(log).toEqual(["  last lines of its log:", `    ${text}`, `    TASK ERROR: ${text}`]);
    expect(fake.snapshots("phoenix", "qemu", 1001)).toEqual([]);
    await api.close();
  });

  it("the fake answers a route it does not serve as pve-http-server does: 501, the method and path", async () => {
    const { Agent, fetch } = await import("undici");
    const dispatcher = new Agent({ connect: { ca: tls.cert } });
    const res = await fetch(`${fake.url}/api2/json/nodes/phoenix/qemu/1001/config`, {
      headers: { authorization: `PVEAPIToken=${TOKEN}` },
      dispatcher,
    });
    expect([res.status, res.statusText, await res.text()]).toEqual([
      501,
      "Method 'GET /nodes/phoenix/qemu/1001/config' not implemented",
      '{"data":null}',
    ]);
    await dispatcher.close();
  });

  it("refuses a certificate it cannot verify before sending any credential", async () => {
    const api = createProxmoxClient({ endpoint: fake.url, auth: { apiToken: TOKEN } });
    await expect(api.listSnapshots("phoenix", "qemu", 1001)).rejects.toThrow(
      `listing the snapshots of VM 1001: cannot reach the Proxmox API at ${fake.url} ` +
        "(DEPTH_ZERO_SELF_SIGNED_CERT): its certificate is not trusted; set phoenix:proxmox.ca_cert to the " +
        "node's /etc/pve/pve-root-ca.pem (no credential was sent)",
    );
    expect(fake.requests).toEqual([]);
    await api.close();
  });
});

/** The provider's create, typed with what it always returns. */
const create = async (x: SnapshotInputs) => (await snapshotProvider.create(x)) as { id: string; outs: SnapshotOutputs };
const check = (x: object) => snapshotProvider.check!({} as SnapshotInputs, x as SnapshotInputs);

describe("the ProxmoxSnapshot provider", () => {
  const inputs: SnapshotInputs = {
    connection: { endpoint: "", apiToken: TOKEN, caCert: tls.cert },
    node: "phoenix",
    kind: "qemu",
    vmid: 1001,
    name: "phoenix-ready",
    description: "phoenix: Portainer set up",
    includeMemory: false,
    retain: false,
    setup: "sha256:1",
  };
  let i: SnapshotInputs;
  const original = seams.client;
  const notes: string[] = [];
  beforeEach(() => {
    notes.splice(0);
    jest.spyOn(pulumi.log, "info").mockImplementation(async (m: string) => void notes.push(m));
  });
  afterEach(() => jest.restoreAllMocks());
  beforeAll(() => {
    i = { ...inputs, connection: { ...inputs.connection, endpoint: fake.url } };
    seams.client = (c) =>
      createProxmoxClient({ endpoint: c.endpoint, auth: { apiToken: c.apiToken! }, caCert: c.caCert!, pollMs: 20 });
  });
  afterAll(() => (seams.client = original));

  it("checks: defaults, memory only for VMs", async () => {
    const bare = { connection: i.connection, node: i.node, kind: i.kind, vmid: i.vmid, name: i.name, setup: i.setup };
    expect((await check(bare as SnapshotInputs)).inputs).toEqual({ ...i, description: "" });
    expect(
      (await check({ ...i, connection: { endpoint: fake.url, apiToken: TOKEN, insecure: true } })).failures,
    ).toEqual([
      {
        property: "connection",
        reason:
          "insecure without caCert: phoenix sends the Proxmox credential only to a server whose certificate it " +
          "verified; give caCert (the node's /etc/pve/pve-root-ca.pem)",
      },
    ]);
    expect((await check({ ...i, kind: "lxc", includeMemory: true })).failures).toEqual([
      { property: "includeMemory", reason: "is for VMs only (a container has no memory state)" },
    ]);
  });

  it("creates, reads, updates the description, replaces on a new setup, sees an out-of-band delete", async () => {
    const created = await create(i);
    expect(created.id).toBe("phoenix/qemu/1001/phoenix-ready");
    expect(created.outs.snaptime).toBeGreaterThan(1_700_000_000);
    const read = await snapshotProvider.read!(created.id, created.outs);
    expect(read.props).toEqual(created.outs);
    expect(await snapshotProvider.diff!(created.id, created.outs, { ...i, description: "new" })).toEqual({
      changes: true,
      replaces: [],
    });
    await snapshotProvider.update!(created.id, created.outs, { ...i, description: "new" });
    expect(fake.snapshots("phoenix", "qemu", 1001)!.map((s) => s.description)).toEqual(["new"]);
    expect(await snapshotProvider.diff!(created.id, created.outs, { ...i, setup: "sha256:2" })).toEqual({
      changes: true,
      replaces: ["setup"],
      deleteBeforeReplace: true,
    });
    // Taken again while the old one is there (not deleted first): refused, naming the way out.
    const refused = ((await create(i).catch((x: unknown) => x)) as Error).message;
    expect(refused.replace(/\(taken \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z\)/, "(taken <when>)")).toBe(
      "snapshot phoenix-ready of VM 1001 already exists (taken <when>) and phoenix did not take it: delete it " +
        "(qm delsnapshot 1001 phoenix-ready) or set snapshot.name",
    );
    fake.deleteOutOfBand("phoenix", "qemu", 1001, "phoenix-ready");
    expect(await snapshotProvider.read!(created.id, created.outs)).toEqual({});
    await snapshotProvider.delete!(created.id, created.outs);
    expect(fake.requests.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(notes).toEqual(["snapshot phoenix-ready of VM 1001 was already gone"]);
  });

  it("deletes on destroy, keeps a retained one, and a retained one is replaced by the next create", async () => {
    const created = await create(i);
    await snapshotProvider.delete!(created.id, created.outs);
    expect(fake.snapshots("phoenix", "qemu", 1001)).toEqual([]);
    const kept = await create({ ...i, retain: true });
    await snapshotProvider.delete!(kept.id, kept.outs);
    expect(fake.snapshots("phoenix", "qemu", 1001)!.map((s) => s.name)).toEqual(["phoenix-ready"]);
    const again = await create({ ...i, retain: true, setup: "sha256:3" });
    expect(again.outs.snaptime).toBeGreaterThanOrEqual(kept.outs.snaptime);
    expect(fake.requests.filter((r) => r.method === "DELETE").length).toBe(2);
    fake.removeGuest("phoenix", "qemu", 1001);
    expect(await snapshotProvider.read!(again.id, again.outs)).toEqual({});
    await snapshotProvider.delete!(again.id, { ...again.outs, retain: false });
    fake.addGuest("phoenix", "qemu", 1001);
    expect(notes).toEqual([
      "Keeping snapshot phoenix-ready of VM 1001 in Proxmox (retain is set)",
      "Replacing the retained snapshot phoenix-ready of VM 1001",
      "snapshot phoenix-ready of VM 1001 went with its guest",
    ]);
  });

  it("fails a create whose task fails, with the task's text", async () => {
    fake.failNextTask("snapshot feature is not available");
    await expect(create(i)).rejects.toThrow(/^Proxmox task UPID:\S+ failed: snapshot feature is not available\n/);
  });
});
