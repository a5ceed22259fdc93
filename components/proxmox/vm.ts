/**
 * `ProxmoxVm`: a VM cloned from a template (`VmLegacy` of @muhlba91/pulumi-proxmoxve v8) with its size,
 * cloud-init network and user, boot behaviour and the QEMU guest agent.
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";

export interface ProxmoxVmArgs {
  readonly nodeName: string;
  readonly vmId: number;
  /** The VM name shown in Proxmox. */
  readonly name: string;
  /** The template to clone. */
  readonly cloneFromVmId: number;
  readonly cores: number;
  readonly memoryMb: number;
  /** The size of the first SCSI disk. Proxmox can only grow disks: a smaller size fails at update. */
  readonly diskSizeGb: number;
  readonly startAtBoot: boolean;
  /** Proxmox startup order; none when absent. */
  readonly bootOrder?: number;
  /** IPv4 address with prefix, e.g. `10.0.0.101/24`. */
  readonly ip: string;
  readonly gateway: string;
  /** The cloud-init user. */
  readonly username: string;
  /** Public keys for the cloud-init user. */
  readonly sshKeys: readonly string[];
  /** The bridge of the network device. Defaults to `vmbr0`. */
  readonly bridge?: string;
}

/** How long Proxmox waits for the QEMU guest agent before giving up (bounded, not forever). */
export const AGENT_TIMEOUT = "5m";

export class ProxmoxVm extends pulumi.ComponentResource {
  readonly vm: proxmox.VmLegacy;
  readonly vmId: number;
  /** The address without prefix. */
  readonly ip: string;

  constructor(name: string, args: ProxmoxVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:proxmox:Vm", name, {}, opts);
    this.vmId = args.vmId;
    this.ip = args.ip.split("/")[0]!;
    this.vm = new proxmox.VmLegacy(
      name,
      {
        nodeName: args.nodeName,
        vmId: args.vmId,
        name: args.name,
        clone: { vmId: args.cloneFromVmId, full: true },
        cpu: { cores: args.cores },
        memory: { dedicated: args.memoryMb },
        disks: [{ interface: "scsi0", size: args.diskSizeGb }],
        networkDevices: [{ bridge: args.bridge ?? "vmbr0", model: "virtio" }],
        initialization: {
          ipConfigs: [{ ipv4: { address: args.ip, gateway: args.gateway } }],
          userAccount: { username: args.username, keys: [...args.sshKeys] },
        },
        agent: { enabled: true, timeout: AGENT_TIMEOUT },
        onBoot: args.startAtBoot,
        ...(args.bootOrder !== undefined ? { startup: { order: args.bootOrder } } : {}),
        started: true,
      },
      { parent: this },
    );
    this.registerOutputs({ vmId: this.vmId, ip: this.ip });
  }
}
