/**
 * The lab's Proxmox: `VmLegacy`, `ContainerLegacy` and the guests' SSH commands are still simulated, but held
 * to ../shared/proxmox/CONTRACT.md. A host inventory decides what exists; each registration is checked and
 * planned as the bpg provider and Proxmox would, and fails with their messages:
 * - unknown nodes, storages (or storages without the content type), bridges, templates and PCI mappings;
 * - the provider's defaults where the program leaves a datastore out (`local-lvm` for VM disks and the
 *   cloud-init drive, `local` for an LXC root filesystem);
 * - root-only operations under a token, or a password of another user (section 1);
 * - a disk smaller than the template's (section 2, clone flow step 5);
 * - a fixed VMID created while the old guest still exists (create-before-delete replacement, a guest
 *   already on the host, an adoption of a guest that does not exist);
 * - replace-only properties replace, ignoreChanges is honoured, and the changes that reboot a guest say so;
 * - an LXC without a managed OS type, or a VM without cloud-init, gets no address, so the SSH commands that
 *   set it up fail to connect, as `@pulumi/command` would.
 */
import { isSecret, stripSecrets } from "../host";
import type { LabResource, LabState } from "../state";
import type { Inventory, InventoryGuest, InventoryNode } from "./inventory";

export const VM_TYPE = "proxmoxve:index/vmLegacy:VmLegacy";
export const CT_TYPE = "proxmoxve:index/containerLegacy:ContainerLegacy";
export const PROVIDER_TYPE = "pulumi:providers:proxmoxve";
export const COMMAND_TYPE = "command:remote:Command";
export const DOWNLOAD_TYPE = "proxmoxve:download/file:File";

/** The engine's marker for a value unknown during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Obj = Record<string, unknown>;

/** Resource options the engine receives with a registration. */
export interface RegistrationOptions {
  readonly deleteBeforeReplace: boolean;
  readonly ignoreChanges: readonly string[];
  readonly importId: string;
  /** True when a resource named by `replaceWith` is replaced in this run. */
  readonly replacedWith: boolean;
}

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly inputs: Obj;
  readonly old: LabResource | undefined;
  readonly options: RegistrationOptions;
  readonly state: LabState;
}

export interface Outcome {
  readonly action: "create" | "update" | "replace" | "same";
  readonly changes?: string[];
  readonly notes: string[];
  readonly id: string;
  /** The inputs to keep in state (ignored paths hold their old values). */
  readonly inputs: Obj;
  readonly outputs: Obj;
  /**
   * What the provider's delete of the old guest would meet, for a replacement: raised by the engine
   * after Pulumi's own checks, which come first.
   */
  readonly refusal?: Error;
}

/** Paths whose change replaces the guest (CONTRACT.md sections 2 and 3, ForceNew). */
const VM_REPLACES = [
  "vmId",
  "nodeName",
  "clone",
  "initialization.userDataFileId",
  "initialization.vendorDataFileId",
  "initialization.networkDataFileId",
  "initialization.metaDataFileId",
  "initialization.type",
  "tpmState.version",
  "efiDisk.type",
];
const CT_REPLACES = [
  "vmId",
  "nodeName",
  "clone",
  "disk.datastoreId",
  "mountPoints",
  "operatingSystem",
  "poolId",
  "template",
  "unprivileged",
  "initialization.userAccount",
];
/** Paths whose change reboots a running guest (B `vmUpdate`, `containerUpdate`). */
const VM_REBOOTS = [
  "cpu",
  "memory",
  "initialization",
  "agent",
  "bios",
  "machine",
  "vga",
  "scsiHardware",
  "hostpcis",
  "usbs",
  "serialDevices",
  "operatingSystem",
  "acpi",
  "watchdog",
  "efiDisk",
];
const CT_REBOOTS = [
  "memory",
  "initialization.hostname",
  "initialization.dns",
  "initialization.ipConfigs",
  "networkInterfaces",
  "devicePassthroughs",
  "entrypoint",
  "environmentVariables",
  "console",
  "idmaps",
];
const MANAGED_OS = [
  "alpine",
  "archlinux",
  "centos",
  "debian",
  "devuan",
  "fedora",
  "gentoo",
  "nixos",
  "opensuse",
  "ubuntu",
];

/** A Proxmox or provider failure, with the message bpg would surface. */
export function proxmoxError(what: string, reason: string, status = 500): Error {
  return new Error(
    `${what}: received an HTTP ${status} response - Reason: ` +
      `${status === 403 ? `Permission check failed (${reason})` : reason}`,
  );
}

/** A value at a dotted path (`initialization.userAccount`). */
function at(o: unknown, p: string): unknown {
  return keysOf(p).reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Obj)[k] : undefined), o);
}

/** The keys of a path, list indices included (`disks[0].importFrom` → disks, 0, importFrom). */
function keysOf(p: string): string[] {
  return p.replace(/\[(\d+)\]/g, ".$1").split(".");
}

function setAt(o: Obj, p: string, value: unknown): void {
  const keys = keysOf(p);
  let cur: Obj = o;
  for (const k of keys.slice(0, -1)) {
    if (!cur[k] || typeof cur[k] !== "object") cur[k] = {};
    cur = cur[k] as Obj;
  }
  if (value === undefined) delete cur[keys[keys.length - 1]!];
  else cur[keys[keys.length - 1]!] = value;
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Obj)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

/** Leaf paths that differ between two input objects (`cpu.cores`, `disks[0].size`). */
export function changedPaths(a: unknown, b: unknown, prefix = ""): string[] {
  const obj = (v: unknown) => v !== null && typeof v === "object" && !isSecret(v);
  if (obj(a) && obj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a)
      ? [...Array(Math.max(a.length, (b as unknown[]).length)).keys()].map(String)
      : [...new Set([...Object.keys(a as Obj), ...Object.keys(b as Obj)])];
    return keys.flatMap((k) =>
      changedPaths((a as Obj)[k], (b as Obj)[k], Array.isArray(a) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k),
    );
  }
  return stable(stripSecrets(a)) === stable(stripSecrets(b)) ? [] : [prefix];
}

/** True when `path` is `prefix` or below it (`clone.vmId` is below `clone`; `disks[0].size` below `disks`). */
function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** A guest the host has: from the inventory, or created by an earlier run (in the lab's state). */
interface HostGuest {
  readonly kind: "vm" | "lxc";
  readonly id: number;
  readonly node: string;
  readonly template: boolean;
  readonly agent: boolean;
  readonly cloudInit: boolean;
  readonly osType?: string;
  readonly disks: readonly { readonly interface: string; readonly sizeGb: number }[];
  readonly urn?: string;
}

function fromInventory(node: string, g: InventoryGuest): HostGuest {
  return {
    kind: g.kind,
    id: g.id,
    node,
    template: g.template,
    agent: g.agent,
    cloudInit: g.cloud_init,
    ...(g.os_type !== undefined ? { osType: g.os_type } : {}),
    disks: g.disks.map((d) => ({ interface: d.interface, sizeGb: d.size_gb })),
  };
}

function fromState(r: LabResource): HostGuest | undefined {
  const i = r.inputs;
  if (typeof i["vmId"] !== "number" || typeof i["nodeName"] !== "string") return undefined;
  const kind = r.type === VM_TYPE ? "vm" : "lxc";
  const disks =
    kind === "vm"
      ? ((i["disks"] as Obj[] | undefined) ?? []).map((d) => ({
          interface: String(d["interface"]),
          sizeGb: Number(d["size"] ?? 8),
        }))
      : [{ interface: "rootfs", sizeGb: Number(at(i, "disk.size") ?? 4) }];
  const osType = at(i, "operatingSystem.type");
  return {
    kind,
    id: i["vmId"] as number,
    node: i["nodeName"] as string,
    // A template phoenix built from a cloud image: the image does not run the agent before base_setup installs it.
    template: i["template"] === true,
    agent: i["template"] === true ? false : at(i, "agent.enabled") === true,
    cloudInit: true,
    ...(typeof osType === "string" ? { osType } : {}),
    disks,
    urn: r.urn,
  };
}

/** Where SSH to a guest's address would end up. */
interface Address {
  readonly guest: string;
  readonly reachable: boolean;
  readonly reason?: string;
}

export class ProxmoxSimulation {
  private auth: { kind: "token" | "password" | "none"; user: string } = { kind: "none", user: "" };
  private readonly addresses = new Map<string, Address>();

  constructor(readonly inventory: Inventory) {}

  /** The resource types this simulation answers for. */
  handles(type: string): boolean {
    return (
      type === PROVIDER_TYPE || type === VM_TYPE || type === CT_TYPE || type === COMMAND_TYPE || type === DOWNLOAD_TYPE
    );
  }

  private node(name: string): InventoryNode | undefined {
    return this.inventory.nodes.find((n) => n.name === name);
  }

  /** Every guest on the host, but the one registered under `exceptUrn`. */
  private guests(state: LabState, exceptUrn?: string): HostGuest[] {
    const fromHost = this.inventory.nodes.flatMap((n) => n.guests.map((g) => fromInventory(n.name, g)));
    const made = state.resources
      .filter((r) => (r.type === VM_TYPE || r.type === CT_TYPE) && r.urn !== exceptUrn)
      .map(fromState)
      .filter((g): g is HostGuest => g !== undefined);
    return [...made, ...fromHost.filter((h) => !made.some((m) => m.id === h.id))];
  }

  /**
   * Checks and plans one registration. Returns undefined for a command that may run (the lab then records it
   * as usual); throws with the provider's message when Proxmox would refuse.
   */
  register(r: Registration): Outcome | undefined {
    const inputs = JSON.parse(JSON.stringify(r.inputs)) as Obj;
    if (r.type === PROVIDER_TYPE) {
      const plain = stripSecrets(inputs) as Obj;
      // bpg prefers a token: with one set, every call is the token's, whatever else is given.
      if (plain["apiToken"]) this.auth = { kind: "token", user: String(plain["apiToken"]).split("!")[0] ?? "" };
      else if (plain["username"] && plain["password"])
        this.auth = { kind: "password", user: String(plain["username"]) };
      return undefined;
    }
    if (r.type === COMMAND_TYPE) {
      const host = String(at(stripSecrets(inputs), "connection.host") ?? "");
      const a = this.addresses.get(host);
      if (a && !a.reachable) {
        throw new Error(
          `unable to connect to ${host}:22 after 30 attempts (dialErrorLimit): dial ` +
            `tcp ${host}:22: connect: no route to host — ${a.guest} ${a.reason}`,
        );
      }
      return undefined;
    }
    if (r.type === DOWNLOAD_TYPE) return this.download(r, inputs);
    const kind = r.type === VM_TYPE ? "vm" : "lxc";
    const notes: string[] = [];
    // ignoreChanges: the old value stays, in state and towards the provider.
    if (r.old) for (const p of r.options.ignoreChanges) setAt(inputs, p, at(r.old.inputs, p));
    const id = String(inputs["vmId"]);
    const outputs = { ...inputs, id };
    if (!r.old) {
      notes.push(...this.create(kind, inputs, r));
      return { action: "create", notes, id, inputs, outputs };
    }
    const changes = changedPaths(r.old.inputs, inputs);
    if (changes.length === 0 && !r.options.replacedWith) {
      this.noteAddress(kind, inputs, r.state, r.urn);
      return { action: "same", notes, id, inputs, outputs: r.old.outputs };
    }
    const replaces = changes.filter((c) => (kind === "vm" ? VM_REPLACES : CT_REPLACES).some((p) => under(c, p)));
    if (kind === "lxc") {
      const oldSize = Number(at(r.old.inputs, "disk.size") ?? 4);
      const newSize = Number(at(inputs, "disk.size") ?? 4);
      if (newSize < oldSize) replaces.push("disk.size");
    }
    const top = [...new Set(changes.map((c) => c.split(/[.[]/)[0]!))].sort();
    if (replaces.length > 0 || r.options.replacedWith) {
      const what = `${kind === "vm" ? "VM" : "CT"} ${id}`;
      if (!r.options.deleteBeforeReplace) {
        throw proxmoxError(
          `error creating ${what} (a replacement creates before it deletes: [${replaces.join(", ")}])`,
          `unable to create ${kind === "vm" ? "VM" : "CT"} ${id}: config file already exists`,
        );
      }
      // The provider deletes the old guest first: Proxmox refuses while it still has the protection flag.
      const refusal = this.removalRefusal(r.old);
      notes.push(
        `replaces the ${kind === "vm" ? "VM" : "container"} (delete first): ${[...new Set(replaces)].join(", ")}`,
        ...this.create(kind, inputs, r, true),
      );
      return {
        action: "replace",
        changes: [...new Set(replaces)],
        notes,
        id,
        inputs,
        outputs,
        ...(refusal ? { refusal } : {}),
      };
    }
    notes.push(...this.update(kind, r.old.inputs, inputs, changes));
    const reboots = [
      ...new Set(
        changes
          .filter((c) => (kind === "vm" ? VM_REBOOTS : CT_REBOOTS).some((p) => under(c, p)))
          .map((c) => c.split(/[.[]/)[0]!),
      ),
    ];
    if (reboots.length > 0) notes.push(`reboots the guest: ${reboots.join(", ")}`);
    this.noteAddress(kind, inputs, r.state, r.urn);
    return { action: "update", changes: top, notes, id, inputs, outputs };
  }

  /**
   * A download to a storage (`download.File`): the storage must exist on the node with the content type; the id
   * is the volume id (`local:import/noble-server-cloudimg-amd64.qcow2`). A changed URL or name replaces it.
   */
  private download(r: Registration, i: Obj): Outcome {
    const node = this.node(String(i["nodeName"]));
    const what = `error downloading ${String(i["url"])}`;
    if (!node) throw proxmoxError(what, `no such cluster node '${String(i["nodeName"])}'`);
    const store = String(i["datastoreId"]);
    const content = String(i["contentType"]);
    const s = node.storages.find((x) => x.id === store);
    if (!s) throw proxmoxError(what, `storage '${store}' does not exist`);
    if (!s.content.includes(content as (typeof s.content)[number]))
      throw proxmoxError(what, `storage '${store}' does not support content-type '${content}'`, 400);
    const id = `${store}:${content}/${String(i["fileName"])}`;
    const outputs = { ...i, id, size: 0 };
    if (!r.old) return { action: "create", notes: [`downloads to ${id} on node ${node.name}`], id, inputs: i, outputs };
    const changes = changedPaths(r.old.inputs, i);
    if (changes.length === 0) return { action: "same", notes: [], id, inputs: i, outputs: r.old.outputs };
    return { action: "replace", changes, notes: [`downloads again to ${id}`], id, inputs: i, outputs };
  }

  /** A delete, as the provider runs it; throws where Proxmox refuses. */
  remove(r: LabResource): void {
    const refusal = this.removalRefusal(r);
    if (refusal) throw refusal;
  }

  /** Proxmox's refusal to delete a guest with the protection flag, or undefined. */
  private removalRefusal(r: LabResource): Error | undefined {
    if (r.type !== VM_TYPE && r.type !== CT_TYPE) return undefined;
    if (r.inputs["protection"] !== true) return undefined;
    const what = r.type === VM_TYPE ? "VM" : "CT";
    return proxmoxError(
      `error deleting ${what} ${String(r.inputs["vmId"])}`,
      `can't remove ${what} ${String(r.inputs["vmId"])} - protection mode enabled`,
    );
  }

  private storage(node: InventoryNode, id: string, content: "images" | "rootdir", what: string): void {
    const s = node.storages.find((x) => x.id === id);
    if (!s) throw proxmoxError(what, `storage '${id}' does not exist`);
    if (!s.content.includes(content))
      throw proxmoxError(
        what,
        content === "images"
          ? `storage '${id}' does not support vm images`
          : `storage '${id}' does not support container directories`,
      );
  }

  private bridge(node: InventoryNode, bridge: unknown, what: string): void {
    const b = typeof bridge === "string" ? bridge : "vmbr0";
    if (!node.bridges.some((x) => x.name === b)) throw proxmoxError(what, `bridge '${b}' does not exist`);
  }

  private permission(reason: string, what: string): void {
    if (this.auth.kind === "password" && this.auth.user === "root@pam") return;
    throw proxmoxError(what, reason, 403);
  }

  /** Checks a creation (or the create half of a replacement); returns the notes. */
  private create(kind: "vm" | "lxc", i: Obj, r: Registration, replacing = false): string[] {
    const notes: string[] = [];
    const id = Number(i["vmId"]);
    const nodeName = String(i["nodeName"]);
    const label = kind === "vm" ? "VM" : "CT";
    const node = this.node(nodeName);
    if (!node) throw proxmoxError(`error creating ${label} ${id}`, `no such cluster node '${nodeName}'`);
    const others = this.guests(r.state, replacing ? r.urn : undefined);
    const existing = others.find((g) => g.id === id);
    if (r.options.importId) {
      if (r.options.importId !== `${nodeName}/${id}`)
        throw new Error(
          `import id ${r.options.importId} is not in the provider's form <node>/<vmid> (${nodeName}/${id})`,
        );
      if (!existing || existing.kind !== kind || existing.node !== nodeName)
        throw new Error(`importing ${r.options.importId}: ${label} ${id} does not exist on node '${nodeName}'`);
      notes.push(
        `adopts the existing ${label} ${id} (import ${r.options.importId}); ` +
          `differing inputs are updated on the next up`,
      );
      this.noteAddress(kind, i, r.state, r.urn);
      return notes;
    }
    if (existing) {
      const whose = existing.urn
        ? "made by this stack"
        : `${existing.kind === "vm" ? "VM" : "CT"} ${id} is already on node '${existing.node}'`;
      throw proxmoxError(
        `error creating ${label} ${id}`,
        `unable to create ${label} ${id}: config file already exists (${whose})`,
      );
    }
    return kind === "vm"
      ? [...notes, ...this.createVm(i, node, others)]
      : [...notes, ...this.createCt(i, node, others, r)];
  }

  private createVm(i: Obj, node: InventoryNode, others: HostGuest[]): string[] {
    const notes: string[] = [];
    const id = Number(i["vmId"]);
    const what = `error cloning VM ${id}`;
    const clone = i["clone"] as Obj | undefined;
    if (!clone && i["template"] === true) return this.createTemplate(i, node);
    if (!clone) throw new Error(`VM ${id}: phoenix only clones VMs, and no clone block was given`);
    const srcId = Number(clone["vmId"]);
    const srcNode = typeof clone["nodeName"] === "string" ? clone["nodeName"] : node.name;
    if (!this.node(srcNode)) throw proxmoxError(what, `no such cluster node '${srcNode}'`);
    const src = others.find((g) => g.id === srcId && g.kind === "vm" && g.node === srcNode);
    if (!src)
      throw proxmoxError(what, `Configuration file 'nodes/${srcNode}/qemu-server/${srcId}.conf' does not exist`);
    if (clone["datastoreId"] !== undefined) this.storage(node, String(clone["datastoreId"]), "images", what);
    const cpu = i["cpu"] as Obj | undefined;
    if (cpu && cpu["type"] === undefined) notes.push("the cpu block resets the template's CPU type to qemu64");
    const memory = i["memory"] as Obj | undefined;
    if (memory && memory["floating"] === undefined) notes.push("the memory block turns ballooning off (floating 0)");
    if (i["initialization"] !== undefined) {
      this.storage(
        node,
        String(at(i, "initialization.datastoreId") ?? "local-lvm"),
        "images",
        `error creating the cloud-init drive of VM ${id}`,
      );
    }
    for (const d of (i["disks"] as Obj[] | undefined) ?? []) {
      const iface = String(d["interface"]);
      this.storage(node, String(d["datastoreId"] ?? "local-lvm"), "images", `error updating disk ${iface} of VM ${id}`);
      const size = Number(d["size"] ?? 8);
      const cur = src.disks.find((x) => x.interface === iface);
      if (!cur) notes.push(`${iface} is a new blank disk (the template has no ${iface})`);
      else if (size < cur.sizeGb)
        throw new Error(`disk resize fails requests size (${size}G) is lower than current size (${cur.sizeGb}G)`);
    }
    for (const n of (i["networkDevices"] as Obj[] | undefined) ?? [])
      this.bridge(node, n["bridge"], `error starting VM ${id}`);
    const q35 = String(i["machine"] ?? "").includes("q35");
    for (const h of (i["hostpcis"] as Obj[] | undefined) ?? []) {
      if (h["id"] !== undefined)
        this.permission("only root can set 'hostpci' with a raw PCI id", `error creating VM ${id}`);
      if (h["mapping"] !== undefined && !node.pci_mappings.includes(String(h["mapping"])))
        throw proxmoxError(`error creating VM ${id}`, `PCI mapping '${String(h["mapping"])}' does not exist`);
      if (h["pcie"] === true && !q35) throw proxmoxError(`error starting VM ${id}`, "q35 machine model is not enabled");
    }
    const agent = at(i, "agent.enabled") === true;
    if (agent && !src.agent)
      notes.push(
        `waits ${String(at(i, "agent.timeout") ?? "15m")} for the QEMU guest ` +
          `agent on create and on every refresh: the template does not run it`,
      );
    if (!agent && i["stopOnDestroy"] !== true)
      notes.push("without the agent, the provider stops this VM hard when it must shut it down");
    if (!src.cloudInit || i["initialization"] === undefined) {
      this.addresses.set(String(at(i, "initialization.ipConfigs.0.ipv4.address") ?? "").split("/")[0]!, {
        guest: `VM ${id}`,
        reachable: false,
        reason: "has no cloud-init network configuration",
      });
    } else this.noteAddress("vm", i);
    return notes;
  }

  /** A template VM built from an imported image (phoenix:templates); never started, so it gets no address. */
  private createTemplate(i: Obj, node: InventoryNode): string[] {
    const id = Number(i["vmId"]);
    const notes: string[] = [];
    for (const d of (i["disks"] as Obj[] | undefined) ?? []) {
      const iface = String(d["interface"]);
      this.storage(node, String(d["datastoreId"] ?? "local-lvm"), "images", `error creating VM ${id}`);
      const from = d["importFrom"];
      if (typeof from === "string" && from !== UNKNOWN) {
        const [store, volume] = from.split(":");
        const s = node.storages.find((x) => x.id === store);
        if (!s || !s.content.includes("import") || !volume?.startsWith("import/"))
          throw proxmoxError(`error creating VM ${id}`, `volume '${from}' does not exist`);
      }
      notes.push(`${iface}: imports ${typeof from === "string" && from !== UNKNOWN ? from : "the downloaded image"}`);
    }
    if (i["initialization"] !== undefined)
      this.storage(
        node,
        String(at(i, "initialization.datastoreId") ?? "local-lvm"),
        "images",
        `error creating the cloud-init drive of VM ${id}`,
      );
    notes.push("converted to a template (never started)");
    return notes;
  }

  private createCt(i: Obj, node: InventoryNode, others: HostGuest[], r: Registration): string[] {
    const notes: string[] = [];
    const id = Number(i["vmId"]);
    const what = `error creating CT ${id}`;
    const clone = i["clone"] as Obj | undefined;
    if (clone) {
      const srcId = Number(clone["vmId"]);
      const srcNode = typeof clone["nodeName"] === "string" ? clone["nodeName"] : node.name;
      const src = others.find((g) => g.id === srcId && g.kind === "lxc" && g.node === srcNode);
      if (!src)
        throw proxmoxError(
          `error cloning CT ${id}`,
          `Configuration file 'nodes/${srcNode}/lxc/${srcId}.conf' does not exist`,
        );
      if (clone["datastoreId"] !== undefined)
        this.storage(node, String(clone["datastoreId"]), "rootdir", `error cloning CT ${id}`);
      if (at(i, "initialization.userAccount") !== undefined) {
        throw proxmoxError(
          `error updating CT ${id} after cloning`,
          "Parameter verification failed. (ssh-public-keys: property is not defined " +
            "in schema and the schema does not allow additional properties)",
          400,
        );
      }
    } else {
      const tmpl = String(at(i, "operatingSystem.templateFileId") ?? "");
      // On the node already, or downloaded by this stack (phoenix:hypervisor.downloads).
      const downloaded = r.state.resources.some((x) => x.type === DOWNLOAD_TYPE && x.id === tmpl);
      if (!node.vztmpl.includes(tmpl) && !downloaded) throw proxmoxError(what, `volume '${tmpl}' does not exist`);
      this.storage(node, String(at(i, "disk.datastoreId") ?? "local"), "rootdir", what);
    }
    if (i["unprivileged"] !== true) {
      notes.push("privileged container (the provider's default is unprivileged: false)");
      if (this.auth.kind === "token") notes.push("creating a privileged container needs Sys.Modify on /");
    }
    const f = (i["features"] as Obj | undefined) ?? {};
    const on = Object.keys(f).filter((k) => f[k] !== undefined);
    if (on.length > 0 && i["unprivileged"] !== true)
      this.permission("changing feature flags for privileged container is only allowed for root@pam", what);
    if (on.some((k) => k !== "nesting"))
      this.permission("changing feature flags (except nesting) is only allowed for root@pam", what);
    for (const m of (i["mountPoints"] as Obj[] | undefined) ?? []) {
      if (String(m["volume"]).startsWith("/"))
        this.permission("mount point type bind is only allowed for root@pam", what);
    }
    if (((i["devicePassthroughs"] as Obj[] | undefined) ?? []).length > 0)
      this.permission("configuring device passthrough is only allowed for root@pam", what);
    for (const n of (i["networkInterfaces"] as Obj[] | undefined) ?? [])
      this.bridge(node, n["bridge"], `error starting CT ${id}`);
    if (f["nesting"] !== true) notes.push("systemd newer than 241 may hang without nesting (Proxmox warns at start)");
    this.noteAddress("lxc", i, r.state, r.urn);
    return notes;
  }

  /** Checks an in-place update; returns the notes. */
  private update(kind: "vm" | "lxc", old: Obj, i: Obj, changes: string[]): string[] {
    const id = Number(i["vmId"]);
    const what = `error updating ${kind === "vm" ? "VM" : "CT"} ${id}`;
    const node = this.node(String(i["nodeName"]))!;
    if (kind === "vm") {
      const oldDisks = (old["disks"] as Obj[] | undefined) ?? [];
      for (const d of (i["disks"] as Obj[] | undefined) ?? []) {
        const before = oldDisks.find((x) => x["interface"] === d["interface"]);
        if (before && Number(d["size"] ?? 8) < Number(before["size"] ?? 8))
          throw new Error(
            `disk resize fails requests size (${Number(d["size"] ?? 8)}G) is lower ` +
              `than current size (${Number(before["size"] ?? 8)}G)`,
          );
        if (changes.some((c) => c.startsWith("disks")))
          this.storage(node, String(d["datastoreId"] ?? "local-lvm"), "images", what);
      }
      if (changes.some((c) => under(c, "networkDevices")))
        for (const n of (i["networkDevices"] as Obj[] | undefined) ?? []) this.bridge(node, n["bridge"], what);
      return [];
    }
    if (changes.some((c) => under(c, "features"))) {
      const f = (i["features"] as Obj | undefined) ?? {};
      const before = (old["features"] as Obj | undefined) ?? {};
      if (i["unprivileged"] !== true)
        this.permission("changing feature flags for privileged container is only allowed for root@pam", what);
      if ([...new Set([...Object.keys(f), ...Object.keys(before)])].some((k) => k !== "nesting" && f[k] !== before[k]))
        this.permission("changing feature flags (except nesting) is only allowed for root@pam", what);
    }
    if (changes.some((c) => under(c, "devicePassthroughs")))
      this.permission("configuring device passthrough is only allowed for root@pam", what);
    if (changes.some((c) => under(c, "networkInterfaces")))
      for (const n of (i["networkInterfaces"] as Obj[] | undefined) ?? []) this.bridge(node, n["bridge"], what);
    return [];
  }

  /** Records whether SSH to the guest's configured address would reach it. */
  private noteAddress(kind: "vm" | "lxc", i: Obj, state?: LabState, urn?: string): void {
    const ip = String(at(i, "initialization.ipConfigs.0.ipv4.address") ?? "").split("/")[0]!;
    if (!ip || ip === UNKNOWN) return;
    const id = Number(i["vmId"]);
    if (kind === "vm") {
      this.addresses.set(ip, {
        guest: `VM ${id}`,
        reachable: i["initialization"] !== undefined,
        reason: "has no cloud-init network configuration",
      });
      return;
    }
    let os = at(i, "operatingSystem.type") as string | undefined;
    if (i["clone"] !== undefined && state) {
      const src = this.guests(state, urn).find((g) => g.id === Number(at(i, "clone.vmId")));
      os = src?.osType ?? "debian";
    }
    const managed = MANAGED_OS.includes(os ?? "unmanaged");
    this.addresses.set(
      ip,
      managed
        ? { guest: `CT ${id}`, reachable: true }
        : {
            guest: `CT ${id}`,
            reachable: false,
            reason: `has OS type ${os ?? "unmanaged (none given)"}: Proxmox configured no address, hostname or SSH key`,
          },
    );
  }
}
