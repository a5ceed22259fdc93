// Proves: the lab's simulated Proxmox applies the rules of ../shared/proxmox/CONTRACT.md to the inputs it is
// given, with the provider's and Proxmox's messages: what exists comes from the host inventory (the default
// ZFS node and the LVM-thin node shipped in lab/hosts/), root-only operations fail under a token, a smaller
// disk fails, fixed ids collide on create-first replacement, replace-only paths replace, reboots are named,
// and a guest without a managed OS type or cloud-init is unreachable for the commands that set it up.
// Each "main before issue 9" case feeds the exact inputs the program registered before (git 4461280) and
// shows the failure a real first `pulumi up` would have hit.
// Does not prove: that Proxmox behaves so (nothing here talks to a Proxmox); the contract is the reference.
import * as path from "node:path";
import { secret } from "../../../lab/host";
import { DEFAULT_INVENTORY, loadInventory } from "../../../lab/proxmox/inventory";
import {
  COMMAND_TYPE,
  CT_TYPE,
  PROVIDER_TYPE,
  ProxmoxSimulation,
  VM_TYPE,
  changedPaths,
  type Registration,
} from "../../../lab/proxmox/simulator";
import { emptyState, type LabResource, type LabState } from "../../../lab/state";
import { PROJECT_DIR } from "../../helpers/site";

type Obj = Record<string, unknown>;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhoenixExamplePublicKeyReplaceMe phoenix@dev";
const LVM = path.join(PROJECT_DIR, "lab/hosts/lvm-thin-node.json");

function reg(
  type: string,
  name: string,
  inputs: Obj,
  state: LabState,
  o: Partial<Registration["options"]> & { old?: LabResource } = {},
): Registration {
  const { old, ...options } = o;
  return {
    type,
    name,
    urn: `urn:pulumi:dev::phoenix::${type}::${name}`,
    inputs,
    old,
    state,
    options: { deleteBeforeReplace: true, ignoreChanges: [], importId: "", replacedWith: false, ...options },
  };
}

function sim(file = DEFAULT_INVENTORY, auth: "token" | "root" | "admin" = "token"): ProxmoxSimulation {
  const s = new ProxmoxSimulation(loadInventory(file));
  const creds =
    auth === "token"
      ? { apiToken: secret("root@pam!phoenix=x") }
      : { username: auth === "root" ? "root@pam" : "admin@pve", password: secret("pw") };
  s.register(
    reg(PROVIDER_TYPE, "phoenix-proxmox", { endpoint: "https://10.0.0.13:8006", ...creds }, emptyState("dev")),
  );
  return s;
}

/** What the program registers today for dev's VM 2001 (components/proxmox/vm.ts). */
function vm(over: Obj = {}): Obj {
  return {
    nodeName: "phoenix",
    vmId: 2001,
    name: "dev-portainer",
    tags: ["phoenix"],
    protection: false,
    clone: { vmId: 9000, full: true, datastoreId: "local-zfs" },
    cpu: { cores: 2, type: "x86-64-v2-AES" },
    memory: { dedicated: 4096, floating: 4096 },
    disks: [{ interface: "scsi0", datastoreId: "local-zfs", size: 32, discard: "on" }],
    networkDevices: [{ bridge: "vmbr0", model: "virtio" }],
    initialization: {
      datastoreId: "local-zfs",
      ipConfigs: [{ ipv4: { address: "10.0.0.201/24", gateway: "10.0.0.1" } }],
      userAccount: { username: "phoenix_user", keys: [KEY] },
    },
    agent: { enabled: false },
    stopOnDestroy: true,
    onBoot: true,
    startup: { order: 1 },
    started: true,
    ...over,
  };
}

/** What the program registers today for dev's LXC 2002 (components/proxmox/lxc.ts). */
function ct(over: Obj = {}): Obj {
  return {
    nodeName: "phoenix",
    vmId: 2002,
    tags: ["phoenix"],
    protection: false,
    operatingSystem: { templateFileId: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", type: "debian" },
    cpu: { cores: 2 },
    memory: { dedicated: 4096 },
    disk: { datastoreId: "local-zfs", size: 32 },
    networkInterfaces: [{ name: "eth0", bridge: "vmbr0" }],
    initialization: {
      hostname: "dev-apps",
      ipConfigs: [{ ipv4: { address: "10.0.0.202/24", gateway: "10.0.0.1" } }],
      userAccount: { keys: [KEY] },
    },
    features: { nesting: true, keyctl: true },
    unprivileged: true,
    startOnBoot: true,
    startup: { order: 2 },
    started: true,
    ...over,
  };
}

/** Main before issue 9 (git 4461280): components/proxmox/vm.ts and lxc.ts, for dev's guests. */
const MAIN_VM = {
  nodeName: "phoenix",
  vmId: 2001,
  name: "dev-portainer",
  clone: { vmId: 9000, full: true },
  cpu: { cores: 2 },
  memory: { dedicated: 4096 },
  disks: [{ interface: "scsi0", size: 32 }],
  networkDevices: [{ bridge: "vmbr0", model: "virtio" }],
  initialization: {
    ipConfigs: [{ ipv4: { address: "10.0.0.201/24", gateway: "10.0.0.1" } }],
    userAccount: { username: "phoenix_user", keys: [KEY] },
  },
  agent: { enabled: true, timeout: "5m" },
  onBoot: true,
  startup: { order: 1 },
  started: true,
};
const MAIN_CT = {
  nodeName: "phoenix",
  vmId: 2002,
  operatingSystem: { templateFileId: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" },
  cpu: { cores: 2 },
  memory: { dedicated: 4096 },
  disk: { datastoreId: "local-lvm", size: 32 },
  networkInterfaces: [{ name: "eth0", bridge: "vmbr0" }],
  initialization: {
    hostname: "dev-apps",
    ipConfigs: [{ ipv4: { address: "10.0.0.202/24", gateway: "10.0.0.1" } }],
    userAccount: { keys: [KEY] },
  },
  features: { nesting: true, keyctl: true },
  unprivileged: true,
  startOnBoot: true,
  startup: { order: 2 },
  started: true,
};
const command = (host: string) => ({
  connection: { host, user: "root", privateKey: secret("k") },
  create: "echo",
  triggers: ["2002"],
});

/** A state holding `r` as created by an earlier run. */
function stateWith(...rs: { type: string; name: string; inputs: Obj }[]): LabState {
  const s = emptyState("dev");
  for (const r of rs)
    s.resources.push({
      urn: `urn:pulumi:dev::phoenix::${r.type}::${r.name}`,
      type: r.type,
      name: r.name,
      dynamic: false,
      id: String(r.inputs["vmId"]),
      inputs: r.inputs,
      outputs: r.inputs,
      dependencies: [],
    });
  return s;
}

describe("the simulated Proxmox against main before issue 9 (the first pulumi up on a ZFS host)", () => {
  it(
    "fails the VM: the cloud-init drive defaults to local-lvm, which a ZFS " + "node lacks (section 2, clone flow 4)",
    () => {
      expect(() => sim().register(reg(VM_TYPE, "phoenix-vm-2001", MAIN_VM, emptyState("dev")))).toThrow(
        "error creating the cloud-init drive of VM 2001: received an HTTP 500 " +
          "response - Reason: storage 'local-lvm' does not exist",
      );
    },
  );

  it("fails the VM's disk on local-lvm too, once the drive has a datastore (section 2, clone flow 5)", () => {
    const i = { ...MAIN_VM, initialization: { ...MAIN_VM.initialization, datastoreId: "local-zfs" } };
    expect(() => sim().register(reg(VM_TYPE, "phoenix-vm-2001", i, emptyState("dev")))).toThrow(
      "error updating disk scsi0 of VM 2001: received an HTTP 500 response - " +
        "Reason: storage 'local-lvm' does not exist",
    );
  });

  it("notes what main's cpu, memory and agent blocks do to the template's settings (sections 2 and 6.3, 6.5)", () => {
    const i = {
      ...MAIN_VM,
      initialization: { ...MAIN_VM.initialization, datastoreId: "local-zfs" },
      disks: [{ interface: "scsi0", datastoreId: "local-zfs", size: 32 }],
    };
    expect(sim().register(reg(VM_TYPE, "phoenix-vm-2001", i, emptyState("dev")))!.notes).toEqual([
      "the cpu block resets the template's CPU type to qemu64",
      "the memory block turns ballooning off (floating 0)",
      "waits 5m for the QEMU guest agent on create and on every refresh: the template does not run it",
    ]);
  });

  it("fails the LXC: its root filesystem on local-lvm does not exist on a ZFS node (section 3, storage)", () => {
    expect(() =>
      sim(DEFAULT_INVENTORY, "root").register(reg(CT_TYPE, "phoenix-lxc-2002", MAIN_CT, emptyState("dev"))),
    ).toThrow("error creating CT 2002: received an HTTP 500 response - Reason: storage 'local-lvm' does not exist");
  });

  it("refuses keyctl to the API token main signed in with (section 1)", () => {
    const i = { ...MAIN_CT, disk: { datastoreId: "local-zfs", size: 32 } };
    expect(() => sim().register(reg(CT_TYPE, "phoenix-lxc-2002", i, emptyState("dev")))).toThrow(
      "error creating CT 2002: received an HTTP 403 response - Reason: " +
        "Permission check failed (changing feature flags (except nesting) is only " +
        "allowed for root@pam)",
    );
  });

  it(
    "leaves main's LXC without an address (no OS type: unmanaged), so its " +
      "setup cannot connect (section 3, operatingSystem.type)",
    () => {
      const s = sim(DEFAULT_INVENTORY, "root");
      const i = { ...MAIN_CT, disk: { datastoreId: "local-zfs", size: 32 } };
      expect(s.register(reg(CT_TYPE, "phoenix-lxc-2002", i, emptyState("dev")))!.action).toBe("create");
      expect(() =>
        s.register(reg(COMMAND_TYPE, "phoenix-lxc-2002-setup-base", command("10.0.0.202"), emptyState("dev"))),
      ).toThrow(
        "unable to connect to 10.0.0.202:22 after 30 attempts (dialErrorLimit): " +
          "dial tcp 10.0.0.202:22: connect: no route to host — CT 2002 has OS type " +
          "unmanaged (none given): Proxmox configured no address, hostname or SSH " +
          "key",
      );
    },
  );

  it("fails main's create-first replacement of a fixed VMID (section 2, replacement order)", () => {
    const old = stateWith({ type: VM_TYPE, name: "phoenix-vm-2001", inputs: vm() });
    const moved = vm({ clone: { vmId: 9000, full: true, datastoreId: "local-zfs", nodeName: "phoenix" } });
    expect(() =>
      sim().register(
        reg(VM_TYPE, "phoenix-vm-2001", moved, old, { old: old.resources[0]!, deleteBeforeReplace: false }),
      ),
    ).toThrow(
      "error creating VM 2001 (a replacement creates before it deletes: " +
        "[clone.nodeName]): received an HTTP 500 response - Reason: unable to " +
        "create VM 2001: config file already exists",
    );
  });
});

describe("the simulated Proxmox with the program's inputs", () => {
  it("creates dev's VM and LXC on the default ZFS node, and their setup connects", () => {
    const s = sim(DEFAULT_INVENTORY, "root");
    const v = s.register(reg(VM_TYPE, "phoenix-vm-2001", vm(), emptyState("dev")))!;
    const c = s.register(reg(CT_TYPE, "phoenix-lxc-2002", ct(), emptyState("dev")))!;
    expect([v.action, v.id, v.notes, c.action, c.id, c.notes]).toEqual(["create", "2001", [], "create", "2002", []]);
    expect(s.register(reg(COMMAND_TYPE, "c1", command("10.0.0.201"), emptyState("dev")))).toBeUndefined();
    expect(s.register(reg(COMMAND_TYPE, "c2", command("10.0.0.202"), emptyState("dev")))).toBeUndefined();
  });

  it("fails the same inputs on the LVM-thin node, which has no local-zfs", () => {
    expect(() => sim(LVM).register(reg(VM_TYPE, "phoenix-vm-2001", vm(), emptyState("dev")))).toThrow(
      "error cloning VM 2001: received an HTTP 500 response - Reason: storage 'local-zfs' does not exist",
    );
    const onLvm = vm({
      clone: { vmId: 9000, full: true, datastoreId: "local-lvm" },
      disks: [{ interface: "scsi0", datastoreId: "local-lvm", size: 32 }],
      initialization: { datastoreId: "local-lvm" },
    });
    expect(sim(LVM).register(reg(VM_TYPE, "phoenix-vm-2001", onLvm, emptyState("dev")))!.action).toBe("create");
  });

  it("fails what does not exist: node, template, LXC template, bridge, storage content, PCI mapping", () => {
    const s = () => sim(DEFAULT_INVENTORY, "root");
    const cases: [string, Obj, string][] = [
      [
        VM_TYPE,
        vm({ nodeName: "pve2" }),
        "error creating VM 2001: received an HTTP 500 response - Reason: no such cluster node 'pve2'",
      ],
      [
        VM_TYPE,
        vm({ clone: { vmId: 9001, full: true, datastoreId: "local-zfs" } }),
        "error cloning VM 2001: received an HTTP 500 response - Reason: " +
          "Configuration file 'nodes/phoenix/qemu-server/9001.conf' does not exist",
      ],
      [
        VM_TYPE,
        vm({ networkDevices: [{ bridge: "vmbr1", model: "virtio" }] }),
        "error starting VM 2001: received an HTTP 500 response - Reason: bridge 'vmbr1' does not exist",
      ],
      [
        VM_TYPE,
        vm({ clone: { vmId: 9000, full: true, datastoreId: "local" } }),
        "error cloning VM 2001: received an HTTP 500 response - Reason: storage 'local' does not support vm images",
      ],
      [
        VM_TYPE,
        vm({ machine: "q35", hostpcis: [{ device: "hostpci0", mapping: "rtx", pcie: true }] }),
        "error creating VM 2001: received an HTTP 500 response - Reason: PCI mapping 'rtx' does not exist",
      ],
      [
        CT_TYPE,
        ct({
          operatingSystem: {
            templateFileId: "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
            type: "ubuntu",
          },
        }),
        "error creating CT 2002: received an HTTP 500 response - Reason: volume " +
          "'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst' does not " +
          "exist",
      ],
      [
        CT_TYPE,
        ct({ disk: { datastoreId: "local", size: 32 } }),
        "error creating CT 2002: received an HTTP 500 response - Reason: storage " +
          "'local' does not support container directories",
      ],
      [
        CT_TYPE,
        ct({ clone: { vmId: 8000 }, operatingSystem: undefined }),
        "error cloning CT 2002: received an HTTP 500 response - Reason: " +
          "Configuration file 'nodes/phoenix/lxc/8000.conf' does not exist",
      ],
    ];
    for (const [type, inputs, message] of cases)
      expect(() => s().register(reg(type, "g", inputs, emptyState("dev")))).toThrow(message);
  });

  it("fails a disk smaller than the template's 20 GB with the provider's message (section 2, clone flow 5)", () => {
    expect(() =>
      sim().register(
        reg(
          VM_TYPE,
          "phoenix-vm-2001",
          vm({ disks: [{ interface: "scsi0", datastoreId: "local-zfs", size: 16 }] }),
          emptyState("dev"),
        ),
      ),
    ).toThrow("disk resize fails requests size (16G) is lower than current size (20G)");
  });

  it("refuses PCIe passthrough without q35 (section 2, GPU)", () => {
    const s = new ProxmoxSimulation({
      ...loadInventory(DEFAULT_INVENTORY),
      nodes: loadInventory(DEFAULT_INVENTORY).nodes.map((n) => ({ ...n, pci_mappings: ["rtx"] })),
    });
    expect(() =>
      s.register(
        reg(VM_TYPE, "v", vm({ hostpcis: [{ device: "hostpci0", mapping: "rtx", pcie: true }] }), emptyState("dev")),
      ),
    ).toThrow("error starting VM 2001: received an HTTP 500 response - Reason: q35 machine model is not enabled");
    expect(
      s.register(
        reg(
          VM_TYPE,
          "v",
          vm({ machine: "q35", hostpcis: [{ device: "hostpci0", mapping: "rtx", pcie: true }] }),
          emptyState("dev"),
        ),
      )!.action,
    ).toBe("create");
  });

  it(
    "refuses root-only operations to a token and to a password of another " +
      "user, and allows them to root@pam (section 1)",
    () => {
      const bind = ct({ features: { nesting: true }, mountPoints: [{ volume: "/quickOS/data", path: "/data" }] });
      const dev = ct({ features: { nesting: true }, devicePassthroughs: [{ path: "/dev/nvidia0" }] });
      const privileged = ct({ features: { nesting: true }, unprivileged: false });
      for (const auth of ["token", "admin"] as const) {
        expect(() => sim(DEFAULT_INVENTORY, auth).register(reg(CT_TYPE, "c", bind, emptyState("dev")))).toThrow(
          "Permission check failed (mount point type bind is only allowed for root@pam)",
        );
        expect(() => sim(DEFAULT_INVENTORY, auth).register(reg(CT_TYPE, "c", dev, emptyState("dev")))).toThrow(
          "Permission check failed (configuring device passthrough is only allowed for root@pam)",
        );
        expect(() => sim(DEFAULT_INVENTORY, auth).register(reg(CT_TYPE, "c", privileged, emptyState("dev")))).toThrow(
          "Permission check failed (changing feature flags for privileged container is only allowed for root@pam)",
        );
      }
      expect(
        sim(DEFAULT_INVENTORY, "token").register(
          reg(CT_TYPE, "c", ct({ features: { nesting: true } }), emptyState("dev")),
        )!.action,
      ).toBe("create");
      for (const i of [bind, dev, ct()])
        expect(sim(DEFAULT_INVENTORY, "root").register(reg(CT_TYPE, "c", i, emptyState("dev")))!.action).toBe("create");
    },
  );

  it("refuses SSH keys on a cloned LXC, as Proxmox's config API has no such field (bpg#1905)", () => {
    const state = stateWith({ type: CT_TYPE, name: "base", inputs: ct({ vmId: 8000 }) });
    expect(() =>
      sim(DEFAULT_INVENTORY, "root").register(
        reg(CT_TYPE, "c", ct({ operatingSystem: undefined, clone: { vmId: 8000, datastoreId: "local-zfs" } }), state),
      ),
    ).toThrow(
      "error updating CT 2002 after cloning: received an HTTP 400 response - " +
        "Reason: Parameter verification failed. (ssh-public-keys: property is not " +
        "defined in schema and the schema does not allow additional properties)",
    );
    const noKeys = ct({
      operatingSystem: undefined,
      clone: { vmId: 8000, datastoreId: "local-zfs" },
      initialization: { hostname: "dev-apps", ipConfigs: [{ ipv4: { address: "10.0.0.202/24" } }] },
    });
    expect(sim(DEFAULT_INVENTORY, "root").register(reg(CT_TYPE, "c", noKeys, state))!.action).toBe("create");
  });

  it("refuses a guest id already on the host, and adopts one with the provider's <node>/<vmid> import id", () => {
    const template = vm({ vmId: 9000 });
    expect(() => sim().register(reg(VM_TYPE, "t", template, emptyState("dev")))).toThrow(
      "unable to create VM 9000: config file already exists (VM 9000 is already on node 'phoenix')",
    );
    const adopted = sim().register(reg(VM_TYPE, "t", template, emptyState("dev"), { importId: "phoenix/9000" }))!;
    expect([adopted.action, adopted.notes]).toEqual([
      "create",
      ["adopts the existing VM 9000 (import phoenix/9000); differing inputs are updated on the next up"],
    ]);
    expect(() => sim().register(reg(VM_TYPE, "v", vm(), emptyState("dev"), { importId: "phoenix/2001" }))).toThrow(
      "importing phoenix/2001: VM 2001 does not exist on node 'phoenix'",
    );
    expect(() => sim().register(reg(VM_TYPE, "v", vm(), emptyState("dev"), { importId: "2001" }))).toThrow(
      "import id 2001 is not in the provider's form <node>/<vmid> (phoenix/2001)",
    );
  });

  it("updates in place, naming the changes that reboot (sections 2 and 3, reboots)", () => {
    const s = sim(DEFAULT_INVENTORY, "root");
    const vs = stateWith({ type: VM_TYPE, name: "v", inputs: vm() });
    const u = s.register(
      reg(VM_TYPE, "v", vm({ cpu: { cores: 4, type: "x86-64-v2-AES" }, tags: ["phoenix", "web"] }), vs, {
        old: vs.resources[0]!,
      }),
    )!;
    expect([u.action, u.changes, u.notes]).toEqual(["update", ["cpu", "tags"], ["reboots the guest: cpu"]]);
    const grown = s.register(
      reg(
        VM_TYPE,
        "v",
        vm({ disks: [{ interface: "scsi0", datastoreId: "local-zfs", size: 40, discard: "on" }] }),
        vs,
        { old: vs.resources[0]! },
      ),
    )!;
    expect([grown.action, grown.changes, grown.notes]).toEqual(["update", ["disks"], []]);
    expect(() =>
      s.register(
        reg(VM_TYPE, "v", vm({ disks: [{ interface: "scsi0", datastoreId: "local-zfs", size: 30 }] }), vs, {
          old: vs.resources[0]!,
        }),
      ),
    ).toThrow("disk resize fails requests size (30G) is lower than current size (32G)");
    const cs = stateWith({ type: CT_TYPE, name: "c", inputs: ct() });
    const c = s.register(
      reg(CT_TYPE, "c", ct({ memory: { dedicated: 8192 }, cpu: { cores: 4 } }), cs, { old: cs.resources[0]! }),
    )!;
    expect([c.action, c.changes, c.notes]).toEqual(["update", ["cpu", "memory"], ["reboots the guest: memory"]]);
  });

  it("replaces on replace-only paths, delete first, and fails a create-first one (sections 2, 3)", () => {
    const s = sim(DEFAULT_INVENTORY, "root");
    const cs = stateWith({ type: CT_TYPE, name: "c", inputs: ct() });
    const moved = s.register(
      reg(CT_TYPE, "c", ct({ mountPoints: [{ volume: "/quickOS/data", path: "/data" }] }), cs, {
        old: cs.resources[0]!,
      }),
    )!;
    expect([moved.action, moved.changes, moved.notes[0]]).toEqual([
      "replace",
      ["mountPoints"],
      "replaces the container (delete first): mountPoints",
    ]);
    const shrunk = s.register(
      reg(CT_TYPE, "c", ct({ disk: { datastoreId: "local-zfs", size: 16 } }), cs, { old: cs.resources[0]! }),
    )!;
    expect([shrunk.action, shrunk.changes]).toEqual(["replace", ["disk.size"]]);
    expect(() =>
      s.register(
        reg(CT_TYPE, "c", ct({ unprivileged: false }), cs, { old: cs.resources[0]!, deleteBeforeReplace: false }),
      ),
    ).toThrow(
      "error creating CT 2002 (a replacement creates before it deletes: " +
        "[unprivileged]): received an HTTP 500 response - Reason: unable to " +
        "create CT 2002: config file already exists",
    );
  });

  it(
    "keeps an LXC's SSH keys under ignoreChanges: a new key is no change, not " +
      "a replacement (section 3, ForceNew userAccount)",
    () => {
      const s = sim(DEFAULT_INVENTORY, "root");
      const cs = stateWith({ type: CT_TYPE, name: "c", inputs: ct() });
      const rotated = ct({
        initialization: {
          hostname: "dev-apps",
          ipConfigs: [{ ipv4: { address: "10.0.0.202/24", gateway: "10.0.0.1" } }],
          userAccount: { keys: ["ssh-ed25519 AAAAnew new@dev"] },
        },
      });
      expect(
        s.register(
          reg(CT_TYPE, "c", rotated, cs, { old: cs.resources[0]!, ignoreChanges: ["initialization.userAccount"] }),
        )!.action,
      ).toBe("same");
      expect(s.register(reg(CT_TYPE, "c", rotated, cs, { old: cs.resources[0]! }))!.action).toBe("replace");
    },
  );

  it("refuses to delete a protected guest", () => {
    const s = sim();
    const r = stateWith({ type: VM_TYPE, name: "v", inputs: vm({ protection: true }) }).resources[0]!;
    expect(() => s.remove(r)).toThrow(
      "error deleting VM 2001: received an HTTP 500 response - Reason: can't remove VM 2001 - protection mode enabled",
    );
    expect(() => s.remove({ ...r, inputs: vm() })).not.toThrow();
  });

  it("lists changed leaf paths, secrets compared by value", () => {
    expect(changedPaths({ a: { b: 1, c: [1, 2] }, s: secret("x") }, { a: { b: 2, c: [1] }, s: secret("x") })).toEqual([
      "a.b",
      "a.c[1]",
    ]);
  });

  it("refuses an inventory file that is not one, naming the file and the key", () => {
    expect(() => loadInventory("/nonexistent.json")).toThrow("--proxmox-host /nonexistent.json: no such file");
    expect(() => loadInventory(path.join(PROJECT_DIR, "package.json"))).toThrow(
      `--proxmox-host ${path.join(PROJECT_DIR, "package.json")}: nodes: Invalid ` +
        `input: expected array, received undefined; (top): Unrecognized keys`,
    );
  });
});
