/**
 * What phoenix asks of Proxmox for each guest, decided once from the validated config: the site's
 * defaults merged with the guest's overrides, the LXC OS type, and the operations only `root@pam` may
 * perform. Pure functions; the rules are those of ../shared/proxmox/CONTRACT.md (cited by section).
 */
import { DEFAULT_BRIDGE, LXC_OS_TYPES, type LxcConfig, type ProxmoxConfig, type VmConfig } from "./schema";

/** The tag every guest phoenix manages carries, so that an admin can tell them apart in the Proxmox UI. */
export const PHOENIX_TAG = "phoenix";

export type LxcOsType = (typeof LXC_OS_TYPES)[number];

/** The resolved Proxmox settings of one guest. */
export interface GuestPlacement {
  /** Where its disks, cloud-init drive or root filesystem live; undefined only when the config is invalid. */
  readonly datastore: string | undefined;
  readonly bridge: string;
  readonly vlan?: number;
  readonly mtu?: number;
  readonly dns?: { readonly servers?: readonly string[]; readonly domain?: string };
  /** The node the template lives on, when not the guest's node. */
  readonly cloneNode?: string;
  /** Sorted, deduplicated, `phoenix` first-class. */
  readonly tags: readonly string[];
}

/** Site defaults merged with a guest's own keys (the guest wins). */
export function placementOf(site: ProxmoxConfig, guest: VmConfig | LxcConfig): GuestPlacement {
  const dns = guest.dns ?? site.dns;
  const vlan = guest.vlan ?? site.vlan;
  const mtu = guest.mtu ?? site.mtu;
  const cloneNode = guest.clone_node ?? site.clone_node;
  return {
    datastore: guest.datastore ?? site.datastore,
    bridge: guest.bridge ?? site.bridge ?? DEFAULT_BRIDGE,
    ...(vlan !== undefined ? { vlan } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(dns !== undefined ? { dns } : {}),
    ...(cloneNode !== undefined && cloneNode !== site.node_name ? { cloneNode } : {}),
    tags: [...new Set([PHOENIX_TAG, ...guest.tags])].sort(),
  };
}

/**
 * The OS type of an LXC made from a template: the configured one, or the distribution named at the start
 * of the template's file name (`debian-12-standard_...` is `debian`). Undefined when neither tells; a
 * clone keeps its source's type and needs none. Without a managed type Proxmox configures no address,
 * hostname or SSH key (CONTRACT.md section 3, `operatingSystem.type`).
 */
export function lxcOsType(c: LxcConfig): LxcOsType | undefined {
  if (c.os_type !== undefined) return c.os_type;
  if (c.template === undefined) return undefined;
  const file = c.template.split("/").pop()!.toLowerCase();
  const found = LXC_OS_TYPES.filter((t) => t !== "unmanaged" && new RegExp(`^${t}[-_]`).test(file));
  return found.length === 1 ? found[0] : undefined;
}

/** One operation in a guest's config that Proxmox allows only to `root@pam` (CONTRACT.md section 1). */
export interface RootOnly {
  /** The config key below the guest, e.g. `proxmox_features.keyctl`. */
  readonly key: string;
  /** Why: Proxmox's rule, in its words where it has them. */
  readonly reason: string;
}

/** The root-only operations an LXC's config asks for. VMs ask for none: phoenix uses PCI mappings, not raw ids. */
export function rootOnlyOperations(kind: "vm" | "lxc", c: VmConfig | LxcConfig): RootOnly[] {
  if (kind === "vm") return [];
  const l = c as LxcConfig;
  const out: RootOnly[] = [];
  const f = l.proxmox_features;
  if (!l.unprivileged && (f.nesting || f.keyctl)) {
    out.push({
      key: "proxmox_features",
      reason: "changing feature flags for privileged container is only allowed for root@pam",
    });
  } else if (f.keyctl) {
    out.push({
      key: "proxmox_features.keyctl",
      reason: "changing feature flags (except nesting) is only allowed for root@pam",
    });
  }
  if (l.mount_points.length > 0)
    out.push({ key: "mount_points", reason: "mount point type bind is only allowed for root@pam" });
  if (l.devices.length > 0)
    out.push({ key: "devices", reason: "configuring device passthrough is only allowed for root@pam" });
  return out;
}

/** How the Proxmox provider signs in: a password (as that user) when one is set, else the API token. */
export function authOf(
  p: ProxmoxConfig,
): { readonly kind: "password"; readonly user: string } | { readonly kind: "token"; readonly user: string } {
  if (p.password !== undefined && p.username !== undefined) return { kind: "password", user: p.username };
  return { kind: "token", user: tokenUser(p) };
}

/** The user part of a token `user@realm!id=secret`, when the token is readable; else `an API token`. */
function tokenUser(p: ProxmoxConfig): string {
  const t = p.api_token;
  if (!t || !t.isDecrypted) return "an API token";
  const m = /^([^!]+)!/.exec(t.reveal());
  return m ? `a token of ${m[1]}` : "an API token";
}

/** True when the provider's sign-in may perform root-only operations: a password as root@pam. */
export function canDoRootOnly(p: ProxmoxConfig): boolean {
  const a = authOf(p);
  return a.kind === "password" && a.user === "root@pam";
}
