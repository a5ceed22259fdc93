/**
 * `ProxmoxLxc`: an LXC container from a template or a clone (`ContainerLegacy` of @muhlba91/pulumi-proxmoxve
 * v8). Its inputs follow ../shared/proxmox/CONTRACT.md (sections 3 and 6): the root filesystem on a named
 * datastore (the provider's default is `local`), a managed OS type for template containers (with
 * `unmanaged` Proxmox configures no address, hostname or SSH key), root's SSH keys sent at create only and
 * not compared afterwards (the key list forces a replacement, and a clone cannot take keys at all), only the
 * feature flags that are on, and `deleteBeforeReplace` for the fixed CTID.
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";

export interface ProxmoxLxcArgs {
  readonly nodeName: string;
  readonly ctId: number;
  /** The hostname. */
  readonly name: string;
  /** A template volume id and its OS type; or a container to clone. */
  readonly template?: { readonly fileId: string; readonly osType: string };
  readonly clone?: { readonly ctId: number; readonly node?: string };
  readonly datastore: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly diskSizeGb: number;
  readonly startAtBoot: boolean;
  readonly bootOrder?: number;
  readonly upDelay?: number;
  readonly downDelay?: number;
  readonly unprivileged: boolean;
  readonly nesting: boolean;
  readonly keyctl: boolean;
  readonly ip: string;
  readonly gateway: string;
  readonly dns?: { readonly servers?: readonly string[]; readonly domain?: string };
  /** Public keys for root (template containers only). */
  readonly sshKeys: readonly string[];
  readonly bridge: string;
  /** The NIC's firewall flag (phoenix:firewall). */
  readonly firewall?: boolean;
  readonly vlan?: number;
  readonly mtu?: number;
  /** Bind mounts from the host (root@pam only). */
  readonly mountPoints: readonly { readonly hostPath: string; readonly path: string; readonly readOnly: boolean }[];
  /** Device passthrough (root@pam only). */
  readonly devices: readonly { readonly path: string; readonly mode?: string }[];
  readonly tags: readonly string[];
  readonly description?: string;
  readonly protection: boolean;
  readonly adopt: boolean;
}

/** The inputs of the `ContainerLegacy`: a pure function of the arguments. */
export function lxcInputs(args: ProxmoxLxcArgs): proxmox.ContainerLegacyArgs {
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
  // Only the flags that are on: nesting alone is what an API token may set on an unprivileged container.
  const features = { ...(args.nesting ? { nesting: true } : {}), ...(args.keyctl ? { keyctl: true } : {}) };
  return {
    nodeName: args.nodeName,
    vmId: args.ctId,
    ...(args.description !== undefined ? { description: args.description } : {}),
    tags: [...args.tags],
    protection: args.protection,
    ...(args.template ? { operatingSystem: { templateFileId: args.template.fileId, type: args.template.osType } } : {}),
    ...(args.clone
      ? {
          clone: {
            vmId: args.clone.ctId,
            datastoreId: args.datastore,
            ...(args.clone.node !== undefined ? { nodeName: args.clone.node } : {}),
          },
        }
      : {}),
    cpu: { cores: args.cores },
    memory: { dedicated: args.memoryMb },
    // Declared for clones too: the provider reads the root filesystem's datastore back, and a different one replaces.
    disk: { datastoreId: args.datastore, size: args.diskSizeGb },
    networkInterfaces: [
      {
        name: "eth0",
        bridge: args.bridge,
        ...(args.firewall ? { firewall: true } : {}),
        ...(args.vlan !== undefined ? { vlanId: args.vlan } : {}),
        ...(args.mtu !== undefined ? { mtu: args.mtu } : {}),
      },
    ],
    initialization: {
      hostname: args.name,
      ...(args.dns !== undefined
        ? {
            dns: {
              ...(args.dns.servers ? { servers: [...args.dns.servers] } : {}),
              ...(args.dns.domain ? { domain: args.dns.domain } : {}),
            },
          }
        : {}),
      ipConfigs: [{ ipv4: { address: args.ip, gateway: args.gateway } }],
      ...(args.template && args.sshKeys.length > 0 ? { userAccount: { keys: [...args.sshKeys] } } : {}),
    },
    ...(Object.keys(features).length > 0 ? { features } : {}),
    ...(args.mountPoints.length > 0
      ? { mountPoints: args.mountPoints.map((m) => ({ volume: m.hostPath, path: m.path, readOnly: m.readOnly })) }
      : {}),
    ...(args.devices.length > 0
      ? {
          devicePassthroughs: args.devices.map((d) => ({
            path: d.path,
            ...(d.mode !== undefined ? { mode: d.mode } : {}),
          })),
        }
      : {}),
    unprivileged: args.unprivileged,
    startOnBoot: args.startAtBoot,
    ...startup,
    started: true,
  };
}

/** The resource options: delete before replace (fixed CTID), root's keys compared never (they force a replacement). */
export function lxcOptions(
  args: Pick<ProxmoxLxcArgs, "nodeName" | "ctId" | "adopt"> & { protection?: boolean },
): pulumi.CustomResourceOptions {
  return {
    deleteBeforeReplace: true,
    ignoreChanges: ["initialization.userAccount"],
    ...(args.protection ? { protect: true } : {}),
    ...(args.adopt ? { import: `${args.nodeName}/${args.ctId}` } : {}),
  };
}

export class ProxmoxLxc extends pulumi.ComponentResource {
  readonly container: proxmox.ContainerLegacy;
  readonly ctId: number;
  readonly ip: string;

  constructor(name: string, args: ProxmoxLxcArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:proxmox:Lxc", name, {}, opts);
    this.ctId = args.ctId;
    this.ip = args.ip.split("/")[0]!;
    const dependsOn = opts?.dependsOn ? { dependsOn: opts.dependsOn } : {};
    this.container = new proxmox.ContainerLegacy(name, lxcInputs(args), {
      parent: this,
      ...lxcOptions(args),
      ...dependsOn,
    });
    this.registerOutputs({ ctId: this.ctId, ip: this.ip });
  }
}
