/**
 * `ProxmoxVm`: a VM cloned from a template (`VmLegacy` of @muhlba91/pulumi-proxmoxve v8). Its inputs follow
 * ../shared/proxmox/CONTRACT.md (section 6, the checklist): every disk and the cloud-init drive on a named
 * datastore, a `cpu` block with its type and a `memory` block that keeps ballooning, the QEMU agent only when
 * the template runs it from first boot, a fixed name and `deleteBeforeReplace` for the fixed VMID.
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";

export interface ProxmoxVmArgs {
  readonly nodeName: string;
  readonly vmId: number;
  /** The VM name shown in Proxmox, and the cloud-init hostname. */
  readonly name: string;
  /** The template to clone, and the node it lives on when not `nodeName`. */
  readonly cloneFromVmId: number;
  readonly cloneNode?: string;
  /** Where the clone, its boot disk, extra disks and cloud-init drive go (the provider's default is `local-lvm`). */
  readonly datastore: string;
  readonly cores: number;
  /** Declared because a `cpu` block resets an undeclared type to `qemu64`. */
  readonly cpuType: string;
  readonly memoryMb: number;
  /** The size of the boot disk `scsi0`. Proxmox can only grow disks: smaller than the template's fails. */
  readonly diskSizeGb: number;
  /** New blank disks on interfaces the template does not use. */
  readonly extraDisks: readonly { readonly interface: string; readonly sizeGb: number; readonly datastore: string }[];
  readonly startAtBoot: boolean;
  readonly bootOrder?: number;
  readonly upDelay?: number;
  readonly downDelay?: number;
  /** IPv4 address with prefix, e.g. `10.0.0.101/24`. */
  readonly ip: string;
  readonly gateway: string;
  readonly dns?: { readonly servers?: readonly string[]; readonly domain?: string };
  /** The cloud-init user and its public keys. */
  readonly username: string;
  readonly sshKeys: readonly string[];
  readonly bridge: string;
  /** The NIC's firewall flag (phoenix:firewall). */
  readonly firewall?: boolean;
  readonly vlan?: number;
  readonly mtu?: number;
  /** True only when the template starts qemu-guest-agent at first boot. */
  readonly agent: boolean;
  readonly machine?: string;
  /** PCI resource mappings to pass through (`hostpci0`, `hostpci1`, ...). */
  readonly gpus: readonly { readonly mapping: string; readonly pcie: boolean }[];
  readonly tags: readonly string[];
  readonly description?: string;
  readonly protection: boolean;
  /** Take over the existing VM with this id (`import: <node>/<vmid>`) instead of creating one. */
  readonly adopt: boolean;
}

/** How long the provider waits for the QEMU guest agent before it only warns (bounded, not the 15-minute default). */
export const AGENT_TIMEOUT = "5m";

/** The inputs of the `VmLegacy`: a pure function of the arguments, so tests can pin them. */
export function vmInputs(args: ProxmoxVmArgs): proxmox.VmLegacyArgs {
  const startup =
    args.bootOrder !== undefined || args.upDelay !== undefined || args.downDelay !== undefined
      ? {
          startup: {
            ...(args.bootOrder !== undefined ? { order: args.bootOrder } : {}),
            ...(args.upDelay !== undefined ? { upDelay: args.upDelay } : {}),
            ...(args.downDelay !== undefined ? { downDelay: args.downDelay } : {}),
          },
        }
      : {};
  return {
    nodeName: args.nodeName,
    vmId: args.vmId,
    name: args.name,
    ...(args.description !== undefined ? { description: args.description } : {}),
    tags: [...args.tags],
    protection: args.protection,
    clone: {
      vmId: args.cloneFromVmId,
      full: true,
      datastoreId: args.datastore,
      ...(args.cloneNode !== undefined ? { nodeName: args.cloneNode } : {}),
    },
    cpu: { cores: args.cores, type: args.cpuType },
    memory: { dedicated: args.memoryMb, floating: args.memoryMb },
    disks: [
      { interface: "scsi0", datastoreId: args.datastore, size: args.diskSizeGb, discard: "on" },
      ...args.extraDisks.map((d) => ({
        interface: d.interface,
        datastoreId: d.datastore,
        size: d.sizeGb,
        discard: "on",
      })),
    ],
    networkDevices: [
      {
        bridge: args.bridge,
        ...(args.firewall ? { firewall: true } : {}),
        model: "virtio",
        ...(args.vlan !== undefined ? { vlanId: args.vlan } : {}),
        ...(args.mtu !== undefined ? { mtu: args.mtu } : {}),
      },
    ],
    initialization: {
      datastoreId: args.datastore,
      ...(args.dns !== undefined
        ? {
            dns: {
              ...(args.dns.servers ? { servers: [...args.dns.servers] } : {}),
              ...(args.dns.domain ? { domain: args.dns.domain } : {}),
            },
          }
        : {}),
      ipConfigs: [{ ipv4: { address: args.ip, gateway: args.gateway } }],
      userAccount: { username: args.username, keys: [...args.sshKeys] },
    },
    // Without an agent the provider would wait for it on create and every refresh; it then stops the VM hard.
    ...(args.agent
      ? { agent: { enabled: true, timeout: AGENT_TIMEOUT } }
      : { agent: { enabled: false }, stopOnDestroy: true }),
    ...(args.machine !== undefined ? { machine: args.machine } : {}),
    ...(args.gpus.length > 0
      ? { hostpcis: args.gpus.map((g, i) => ({ device: `hostpci${i}`, mapping: g.mapping, pcie: g.pcie })) }
      : {}),
    onBoot: args.startAtBoot,
    ...startup,
    started: true,
  };
}

/** The resource options: a fixed VMID cannot be created before the old VM is gone. */
export function vmOptions(
  args: Pick<ProxmoxVmArgs, "nodeName" | "vmId" | "adopt"> & { protection?: boolean },
): pulumi.CustomResourceOptions {
  return {
    deleteBeforeReplace: true,
    // A protected guest is protected in Pulumi too: destroy and replacement stop before Proxmox refuses.
    ...(args.protection ? { protect: true } : {}),
    ...(args.adopt ? { import: `${args.nodeName}/${args.vmId}` } : {}),
  };
}

export class ProxmoxVm extends pulumi.ComponentResource {
  readonly vm: proxmox.VmLegacy;
  readonly vmId: number;
  /** The address without prefix. */
  readonly ip: string;

  constructor(name: string, args: ProxmoxVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:proxmox:Vm", name, {}, opts);
    this.vmId = args.vmId;
    this.ip = args.ip.split("/")[0]!;
    // What the guest waits for (the node's datasets and exports, its template) holds for the VM itself.
    const dependsOn = opts?.dependsOn ? { dependsOn: opts.dependsOn } : {};
    this.vm = new proxmox.VmLegacy(name, vmInputs(args), { parent: this, ...vmOptions(args), ...dependsOn });
    this.registerOutputs({ vmId: this.vmId, ip: this.ip });
  }
}
