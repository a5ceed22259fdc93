/**
 * `ProxmoxLxc`: an LXC container from a template or a clone (`ContainerLegacy` of
 * @muhlba91/pulumi-proxmoxve v8) with its size, network, boot behaviour and Proxmox features.
 * Docker inside an LXC needs `nesting` and `keyctl`; Proxmox lets only `root@pam` (password or ticket,
 * not an API token) set `keyctl`.
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";

export interface ProxmoxLxcArgs {
  readonly nodeName: string;
  readonly ctId: number;
  /** The hostname. */
  readonly name: string;
  /** A template volume id; exactly one of `template` and `cloneFromCtId`. */
  readonly template?: string;
  readonly cloneFromCtId?: number;
  readonly cores: number;
  readonly memoryMb: number;
  readonly diskSizeGb: number;
  /** The storage for the root disk. Defaults to `local-lvm`. */
  readonly datastore?: string;
  readonly startAtBoot: boolean;
  readonly bootOrder?: number;
  readonly unprivileged: boolean;
  readonly nesting: boolean;
  readonly keyctl: boolean;
  readonly ip: string;
  readonly gateway: string;
  /** Public keys for root. */
  readonly sshKeys: readonly string[];
  /** Defaults to `vmbr0`. */
  readonly bridge?: string;
}

export class ProxmoxLxc extends pulumi.ComponentResource {
  readonly container: proxmox.ContainerLegacy;
  readonly ctId: number;
  readonly ip: string;

  constructor(name: string, args: ProxmoxLxcArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:proxmox:Lxc", name, {}, opts);
    this.ctId = args.ctId;
    this.ip = args.ip.split("/")[0]!;
    this.container = new proxmox.ContainerLegacy(
      name,
      {
        nodeName: args.nodeName,
        vmId: args.ctId,
        ...(args.template !== undefined ? { operatingSystem: { templateFileId: args.template } } : {}),
        ...(args.cloneFromCtId !== undefined ? { clone: { vmId: args.cloneFromCtId } } : {}),
        cpu: { cores: args.cores },
        memory: { dedicated: args.memoryMb },
        disk: { datastoreId: args.datastore ?? "local-lvm", size: args.diskSizeGb },
        networkInterfaces: [{ name: "eth0", bridge: args.bridge ?? "vmbr0" }],
        initialization: {
          hostname: args.name,
          ipConfigs: [{ ipv4: { address: args.ip, gateway: args.gateway } }],
          userAccount: { keys: [...args.sshKeys] },
        },
        features: { nesting: args.nesting, keyctl: args.keyctl },
        unprivileged: args.unprivileged,
        startOnBoot: args.startAtBoot,
        ...(args.bootOrder !== undefined ? { startup: { order: args.bootOrder } } : {}),
        started: true,
      },
      { parent: this },
    );
    this.registerOutputs({ ctId: this.ctId, ip: this.ip });
  }
}
