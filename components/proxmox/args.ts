/**
 * The arguments of a guest's Proxmox component, derived from the validated config: the site's defaults
 * merged with the guest's keys (config/proxmox.ts), the SSH keys phoenix adds. Pure, so that tests and the
 * lab's Proxmox simulation see exactly what the program registers.
 */
import { lxcOsType, placementOf } from "../../config/proxmox";
import type { LxcConfig, VmConfig } from "../../config/schema";
import type { Guest, SiteConfig } from "../../config/validate";
import type { ProxmoxLxcArgs } from "./lxc";
import type { ProxmoxVmArgs } from "./vm";

/** The public keys a guest gets: phoenix's own (`phoenix:guest_ssh`) and the guest's `user_config.ssh_public_key`. */
export function guestKeys(site: SiteConfig, g: Guest): string[] {
  const own = g.config.user_config?.ssh_public_key;
  return [...(site.guestSsh ? [site.guestSsh.public_key] : []), ...(own ? [own] : [])];
}

function common(site: SiteConfig, g: Guest) {
  const c = g.config;
  const p = placementOf(site.proxmox, c);
  return {
    nodeName: site.proxmox.node_name,
    name: g.name,
    // Validation guarantees a datastore for every guest.
    datastore: p.datastore!,
    cores: c.cores,
    memoryMb: c.memory_mb,
    diskSizeGb: c.disk_size_gb,
    startAtBoot: c.start_at_boot,
    ...(c.boot_order !== undefined ? { bootOrder: c.boot_order } : {}),
    ...(c.up_delay !== undefined ? { upDelay: c.up_delay } : {}),
    ...(c.down_delay !== undefined ? { downDelay: c.down_delay } : {}),
    ip: c.network_config.ip,
    gateway: c.network_config.gw,
    ...(p.dns !== undefined ? { dns: p.dns } : {}),
    sshKeys: guestKeys(site, g),
    bridge: p.bridge,
    // The NIC's firewall flag: Proxmox applies the guest's rules only with it (phoenix:firewall).
    ...(site.firewall ? { firewall: true } : {}),
    ...(p.vlan !== undefined ? { vlan: p.vlan } : {}),
    ...(p.mtu !== undefined ? { mtu: p.mtu } : {}),
    tags: p.tags,
    ...(c.description !== undefined ? { description: c.description } : {}),
    protection: c.protection,
    adopt: c.adopt,
    cloneNode: p.cloneNode,
  };
}

export function vmArgs(site: SiteConfig, g: Guest): ProxmoxVmArgs {
  const v = g.config as VmConfig;
  const { cloneNode, ...base } = common(site, g);
  return {
    ...base,
    vmId: v.vmid,
    cloneFromVmId: v.clone_from_vmid,
    ...(cloneNode !== undefined ? { cloneNode } : {}),
    cpuType: v.cpu_type,
    extraDisks: v.disks.map((d) => ({
      interface: d.interface,
      sizeGb: d.size_gb,
      datastore: d.datastore ?? base.datastore,
    })),
    username: v.user_config.username,
    agent: v.agent,
    ...(v.machine !== undefined ? { machine: v.machine } : {}),
    gpus: v.gpus.map((x) => ({ mapping: x.mapping, pcie: x.pcie })),
  };
}

export function lxcArgs(site: SiteConfig, g: Guest): ProxmoxLxcArgs {
  const l = g.config as LxcConfig;
  const { cloneNode, ...base } = common(site, g);
  return {
    ...base,
    ctId: l.ctid,
    ...(l.template !== undefined ? { template: { fileId: l.template, osType: lxcOsType(l)! } } : {}),
    ...(l.clone_from_ctid !== undefined
      ? { clone: { ctId: l.clone_from_ctid, ...(cloneNode !== undefined ? { node: cloneNode } : {}) } }
      : {}),
    unprivileged: l.unprivileged,
    nesting: l.proxmox_features.nesting,
    keyctl: l.proxmox_features.keyctl,
    mountPoints: l.mount_points.map((m) => ({ hostPath: m.host_path, path: m.path, readOnly: m.read_only })),
    devices: l.devices.map((d) => ({ path: d.path, ...(d.mode !== undefined ? { mode: d.mode } : {}) })),
  };
}
