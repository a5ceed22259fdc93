// Proves, on a real Debian 12 guest standing in for the Proxmox node (the scripts the program registers, sent over
// real SSH as @pulumi/command sends them): the exports script writes /etc/exports.d/phoenix.exports exactly (each
// path for exactly the guests that mount it), makes the exported directory, and runs `exportfs -ra` only when the
// file changed: once on the first run, not on a second, once more when a guest's volume is added; as a non-root SSH
// user it runs under sudo. The dataset script creates a missing dataset once, keeps its properties converged, never
// destroys, and refuses a missing pool with its message.
// Does not prove: the NFS server itself (a container has no kernel NFS server: `exportfs` and `zfs`/`zpool` are
// stubs on PATH that record their calls), nor a real ZFS pool.
import { exportsFile } from "../../config/hypervisor";
import { bootGuest, engine, KeyPair, removeGuests, type Engine, type Guest } from "./harness";
import { registeredScripts } from "./program";

type Values = Record<string, unknown>;
let e: Engine;
let keys: KeyPair;
beforeAll(() => {
  e = engine();
  keys = new KeyPair();
});
afterAll(async () => {
  if (e) await removeGuests(e);
  keys?.remove();
});

const NODE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nthe-node\n-----END OPENSSH PRIVATE KEY-----\n";
const volume = (path: string) => ({ type: "nfs", name: "data", path, mount_point: "/persistent-storage" });
/** The node's SSH access, VM 1001's volume on it, and a dataset. */
const onNode =
  (user: string, extra: (v: Values) => void = () => undefined) =>
  (v: Values) => {
    (v["phoenix:proxmox"] as Values)["ssh"] = { username: user, private_key: NODE_KEY };
    (v["phoenix:vms"] as Values[])[0]!["volumes"] = [volume("/quickOS/vm-persistent-data/1001")];
    v["phoenix:hypervisor"] = {
      zfs_datasets: [{ name: "quickOS/vm-persistent-data", properties: { compression: "lz4" } }],
    };
    extra(v);
  };

/** Stubs that stand in for the NFS server's exportfs and for ZFS (a pool named quickOS exists), logging each call. */
const STUBS = [
  "mkdir -p /var/lib/stub-zfs",
  "cat > /usr/local/sbin/exportfs <<'EOF'\n#!/bin/sh\necho \"exportfs $*\" >> /var/log/stub-calls\nEOF",
  "cat > /usr/local/sbin/zpool <<'EOF'\n#!/bin/sh\n[ \"$1 $2 $3 $4 $5\" = 'list -H -o name quickOS' ]\nEOF",
  "cat > /usr/local/sbin/zfs <<'EOF'\n#!/bin/sh\necho \"zfs $*\" >> /var/log/stub-calls\n" +
    'case "$1" in\n  list) [ -e "/var/lib/stub-zfs/$(echo "$5" | tr / _)" ] ;;\n' +
    '  create) eval "last=\\${$#}"; touch "/var/lib/stub-zfs/$(echo "$last" | tr / _)"; mkdir -p "/$last" ;;\n' +
    "esac\nEOF",
  "chmod 755 /usr/local/sbin/exportfs /usr/local/sbin/zpool /usr/local/sbin/zfs",
].join("\n");

const calls = async (g: Guest) => (await g.exec("cat /var/log/stub-calls 2>/dev/null || true")).stdout;

describe("the node's scripts on a real guest", () => {
  let g: Guest;
  beforeAll(async () => {
    g = await bootGuest(e, keys, { user: "phoenix" });
    expect((await g.exec(STUBS)).code).toBe(0);
  }, 120_000);

  it("writes the exports file exactly and reloads only when it changed", async () => {
    const scripts = await registeredScripts(onNode("root"));
    const script = scripts.get("phoenix-hypervisor-nfs-exports");
    const first = await g.ssh(keys, "root", script);
    expect([first.code, first.stdout, first.stderr]).toEqual([
      0,
      "phoenix: /etc/exports.d/phoenix.exports written; exportfs -ra\n",
      "",
    ]);
    const expected = exportsFile(
      [{ path: "/quickOS/vm-persistent-data/1001", clients: [{ ip: "10.0.0.101", guest: "Portainer" }] }],
      "rw,sync,no_subtree_check,no_root_squash",
    );
    expect((await g.exec("cat /etc/exports.d/phoenix.exports")).stdout).toBe(expected);
    expect(expected.split("\n")[2]).toBe(
      "/quickOS/vm-persistent-data/1001 10.0.0.101(rw,sync,no_subtree_check,no_root_squash)",
    );
    expect(
      (
        await g.exec(
          "stat -c '%a %U' /etc/exports.d/phoenix.exports; test -d /quickOS/vm-persistent-data/1001 && echo dir",
        )
      ).stdout,
    ).toBe("644 root\ndir\n");
    expect(await calls(g)).toBe("exportfs -ra\n");

    const second = await g.ssh(keys, "root", script);
    expect([second.code, second.stdout]).toEqual([0, "phoenix: /etc/exports.d/phoenix.exports unchanged\n"]);
    expect(await calls(g)).toBe("exportfs -ra\n");
    expect((await g.exec("ls /etc/exports.d")).stdout).toBe("phoenix.exports\n");

    // VM 1002 mounts the same path: the file changes, and the NFS server is reloaded once more.
    const both = (
      await registeredScripts(
        onNode(
          "root",
          (v) => ((v["phoenix:vms"] as Values[])[1]!["volumes"] = [volume("/quickOS/vm-persistent-data/1001")]),
        ),
      )
    ).get("phoenix-hypervisor-nfs-exports");
    const third = await g.ssh(keys, "root", both);
    expect([third.code, third.stdout]).toEqual([0, "phoenix: /etc/exports.d/phoenix.exports written; exportfs -ra\n"]);
    expect((await g.exec("tail -n 1 /etc/exports.d/phoenix.exports")).stdout).toBe(
      "/quickOS/vm-persistent-data/1001 10.0.0.101(rw,sync,no_subtree_check,no_root_squash) " +
        "10.0.0.102(rw,sync,no_subtree_check,no_root_squash)\n",
    );
    expect(await calls(g)).toBe("exportfs -ra\nexportfs -ra\n");
  }, 300_000);

  it("runs under sudo for a non-root SSH user, and the file stays root's", async () => {
    const script = (await registeredScripts(onNode("phoenix"))).get("phoenix-hypervisor-nfs-exports");
    expect(script.startsWith("sudo -n sh -c 'set -eu\n")).toBe(true);
    const r = await g.ssh(keys, "phoenix", script);
    expect([r.code, r.stdout]).toEqual([0, "phoenix: /etc/exports.d/phoenix.exports written; exportfs -ra\n"]);
    expect((await g.exec("stat -c '%U' /etc/exports.d/phoenix.exports")).stdout).toBe("root\n");
  }, 300_000);

  it("creates a missing dataset once, keeps its properties, and refuses a missing pool", async () => {
    await g.exec(": > /var/log/stub-calls");
    const scripts = await registeredScripts(onNode("root"));
    const script = scripts.get("phoenix-hypervisor-dataset-quickOS-vm-persistent-data");
    const first = await g.ssh(keys, "root", script);
    expect([first.code, first.stdout]).toEqual([0, "phoenix: dataset quickOS/vm-persistent-data created\n"]);
    const second = await g.ssh(keys, "root", script);
    expect([second.code, second.stdout]).toEqual([0, "phoenix: dataset quickOS/vm-persistent-data exists\n"]);
    expect(await calls(g)).toBe(
      [
        "zfs list -H -o name quickOS/vm-persistent-data",
        "zfs create -p -o compression=lz4 quickOS/vm-persistent-data",
        "zfs list -H -o name quickOS/vm-persistent-data",
        "zfs set compression=lz4 quickOS/vm-persistent-data",
        "",
      ].join("\n"),
    );
    const other = (
      await registeredScripts(
        onNode("root", (v) => (v["phoenix:hypervisor"] = { zfs_datasets: [{ name: "tank/data" }] })),
      )
    ).get("phoenix-hypervisor-dataset-tank-data");
    const missing = await g.ssh(keys, "root", other);
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([
      1,
      "",
      "phoenix: ZFS pool tank does not exist on this node; phoenix does not create pools (it could destroy data): " +
        "create it with zpool create, then run pulumi up again\n",
    ]);
  }, 300_000);
});
