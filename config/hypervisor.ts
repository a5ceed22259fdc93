/**
 * The Proxmox node itself, before any guest (the bash system's `phoenix setup`): `phoenix:hypervisor` and
 * `phoenix:templates` resolved against the site, and the pure renderers of what runs on the node over SSH.
 * What the provider has a resource for (storages, downloads, users, roles, tokens, pools, the firewall, the
 * template VMs) the component declares; what it has none for (ZFS datasets, NFS exports:
 * ../shared/proxmox/CONTRACT.md section 4) is one script each, here, so `plan` prints exactly what runs.
 */
import {
  DEFAULT_BRIDGE,
  PROJECT,
  hypervisorSchema,
  templatesSchema,
  type HypervisorConfig,
  type ProxmoxConfig,
  type TemplateConfig,
  type VmConfig,
} from "./schema";
import { ownRules, type FirewallRule } from "./firewall";
import { parseWith, type Problem } from "./problems";
import type { Guest, RawConfig } from "./validate";

/** Where phoenix writes the exports of the guests' volumes on the node (exportfs reads `/etc/exports.d/*.exports`). */
export const EXPORTS_FILE = "/etc/exports.d/phoenix.exports";

/** One exported path and the guests that mount it. */
export interface NfsExport {
  readonly path: string;
  /** The guests' addresses, in config order, each with the guest's name. */
  readonly clients: readonly { readonly ip: string; readonly guest: string }[];
}

/** A ZFS dataset phoenix makes sure exists, with where it is mounted. */
export interface Dataset {
  readonly name: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly mountpoint: string;
}

/** The hypervisor part of the site: what the node must have before any guest. */
export interface HypervisorSite extends Omit<HypervisorConfig, "zfs_datasets" | "nfs"> {
  readonly node: string;
  /** The node's address for SSH (the API endpoint's host). */
  readonly address: string;
  readonly datasets: readonly Dataset[];
  readonly exports: readonly NfsExport[];
  readonly exportOptions: string;
  /** The datacenter and node firewall are turned on (phoenix:firewall): guest rules apply only then. */
  readonly firewall: boolean;
}

/** A template VM phoenix builds, with the site's defaults applied. */
export interface TemplateSite extends Omit<TemplateConfig, "datastore" | "bridge"> {
  readonly datastore: string;
  readonly bridge: string;
  /** The config path, e.g. `phoenix:templates[0]`. */
  readonly path: string;
}

export interface HostParts {
  readonly hypervisor?: HypervisorSite;
  readonly templates: readonly TemplateSite[];
}

const key = (k: string) => `${PROJECT}:${k}`;

/** The exports the node serves: every VM volume whose server is the node (or unset), by path, in config order. */
export function nfsExports(address: string, guests: readonly Guest[]): NfsExport[] {
  const byPath = new Map<string, { ip: string; guest: string }[]>();
  for (const g of guests) {
    if (g.kind !== "vm") continue;
    for (const v of (g.config as VmConfig).volumes) {
      if ((v.server ?? address) !== address) continue;
      const clients = byPath.get(v.path) ?? [];
      if (!clients.some((c) => c.ip === g.ip)) clients.push({ ip: g.ip, guest: g.name });
      byPath.set(v.path, clients);
    }
  }
  return [...byPath.entries()].map(([path, clients]) => ({ path, clients }));
}

/** Resolves `phoenix:hypervisor` and `phoenix:templates`; problems name the key. */
export function resolveHost(
  raw: RawConfig,
  site: {
    readonly proxmox?: ProxmoxConfig;
    readonly guests: readonly Guest[];
    readonly firewall: boolean;
  },
  problems: Problem[],
): HostParts | undefined {
  const before = problems.length;
  const hvRaw = raw.values[key("hypervisor")];
  const hv = hvRaw === undefined ? undefined : parseWith(hypervisorSchema(), hvRaw, key("hypervisor"), problems);
  const tRaw = raw.values[key("templates")];
  const list = tRaw === undefined ? [] : (parseWith(templatesSchema(), tRaw, key("templates"), problems) ?? []);
  if (!site.proxmox) return undefined;
  const p = site.proxmox;
  const address = new URL(p.endpoint).hostname;

  const templates: TemplateSite[] = [];
  list.forEach((t, i) => {
    const path = `${key("templates")}[${i}]`;
    const datastore = t.datastore ?? p.datastore;
    if (datastore === undefined)
      problems.push({ path: `${path}.datastore`, message: "is required unless phoenix:proxmox.datastore is set" });
    const clash = site.guests.find((g) => g.id === t.vmid) ?? list.find((o, j) => j < i && o.vmid === t.vmid);
    if (clash)
      problems.push({
        path: `${path}.vmid`,
        message: `${t.vmid} is already used by ${"path" in clash ? (clash as Guest).path : "another template"}`,
      });
    const rest: Omit<TemplateConfig, "datastore" | "bridge"> & Partial<TemplateConfig> = { ...t };
    delete rest.datastore;
    delete rest.bridge;
    templates.push({ ...rest, datastore: datastore ?? "", bridge: t.bridge ?? p.bridge ?? DEFAULT_BRIDGE, path });
  });

  const served = nfsExports(address, site.guests);
  const hasHost = hv !== undefined || served.length > 0 || site.firewall;
  const needsSsh =
    served.length > 0
      ? `${served.length} NFS export${served.length === 1 ? "" : "s"} of the guests' volumes (${served
          .map((e) => e.path)
          .join(", ")})`
      : hv && hv.zfs_datasets.length > 0
        ? `ZFS datasets (${hv.zfs_datasets.map((d) => d.name).join(", ")})`
        : undefined;
  if (needsSsh && !p.ssh)
    problems.push({
      path: `${key("proxmox")}.ssh`,
      message:
        `is required: phoenix makes the ${needsSsh} on node ${p.node_name} over SSH (username, private_key); ` +
        "or give each volume the server that already exports it",
    });
  if (hv && hv.firewall_rules.length > 0 && !site.firewall)
    problems.push({
      path: `${key("hypervisor")}.firewall_rules`,
      message: "needs phoenix:firewall (enabled): Proxmox applies datacenter rules only while its firewall is on",
    });
  if (problems.length > before) return undefined;
  if (!hasHost) return { templates };
  const { zfs_datasets, nfs, ...resources } = hv ?? hypervisorSchema().parse({});
  return {
    templates,
    hypervisor: {
      ...resources,
      node: p.node_name,
      address,
      datasets: zfs_datasets.map((d) => ({
        name: d.name,
        properties: d.properties,
        mountpoint: d.properties["mountpoint"] ?? `/${d.name}`,
      })),
      exports: served,
      exportOptions: nfs.options,
      firewall: site.firewall,
    },
  };
}

/** The datacenter's rules in phoenix's terms, as a guest's own are. */
export function datacenterRules(h: HypervisorSite): FirewallRule[] {
  return ownRules(h.firewall_rules, `${key("hypervisor")}.firewall_rules`);
}

/** Single-quotes a word for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The script that makes sure a dataset exists: created (with its parents) when missing, its properties set
 * every time they change. It never destroys anything, and refuses when the pool itself is missing.
 */
export function datasetScript(d: Dataset): string {
  const pool = d.name.split("/")[0]!;
  const props = Object.entries(d.properties).sort(([a], [b]) => a.localeCompare(b));
  const opts = props.map(([k, v]) => ` -o ${shq(`${k}=${v}`)}`).join("");
  return [
    "set -eu",
    `if ! zpool list -H -o name ${shq(pool)} >/dev/null 2>&1; then`,
    `  echo "phoenix: ZFS pool ${pool} does not exist on this node; phoenix does not create pools" \\`,
    `    "(it could destroy data): create it with zpool create, then run pulumi up again" >&2`,
    "  exit 1",
    "fi",
    `if zfs list -H -o name ${shq(d.name)} >/dev/null 2>&1; then`,
    ...props.map(([k, v]) => `  zfs set ${shq(`${k}=${v}`)} ${shq(d.name)}`),
    `  echo "phoenix: dataset ${d.name} exists"`,
    "else",
    `  zfs create -p${opts} ${shq(d.name)}`,
    `  echo "phoenix: dataset ${d.name} created"`,
    "fi",
    "",
  ].join("\n");
}

/** The exports file, exactly: one line per path, each guest that mounts it with the site's options. */
export function exportsFile(entries: readonly NfsExport[], options: string): string {
  return [
    "# Written by phoenix (Pulumi): the NFS exports of the guests' volumes (phoenix:vms[].volumes).",
    "# Rewritten by pulumi up when they change; edits here are lost.",
    ...entries.map((e) => `${e.path} ${e.clients.map((c) => `${c.ip}(${options})`).join(" ")}`),
    "",
  ].join("\n");
}

/**
 * The script that writes the exports file and reloads the NFS server only when the file changed. The paths
 * that are not a dataset's mount point are made as directories. Installs nfs-kernel-server when `exportfs`
 * is missing.
 */
export function exportsScript(entries: readonly NfsExport[], options: string, datasets: readonly Dataset[]): string {
  const dirs = entries.map((e) => e.path).filter((p) => !datasets.some((d) => d.mountpoint === p));
  return [
    "set -eu",
    "if ! command -v exportfs >/dev/null 2>&1; then",
    "  echo 'phoenix: installing nfs-kernel-server (exportfs is missing)'",
    "  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-kernel-server >/dev/null",
    "fi",
    ...dirs.map((p) => `mkdir -p ${shq(p)}`),
    `mkdir -p ${shq(EXPORTS_FILE.replace(/\/[^/]+$/, ""))}`,
    `file=${shq(EXPORTS_FILE)}`,
    'tmp=$(mktemp "$file.XXXXXX")',
    "cat > \"$tmp\" <<'PHOENIX_EXPORTS'",
    exportsFile(entries, options).replace(/\n$/, ""),
    "PHOENIX_EXPORTS",
    'if [ -f "$file" ] && cmp -s "$tmp" "$file"; then',
    '  rm -f "$tmp"',
    '  echo "phoenix: $file unchanged"',
    "else",
    '  chmod 0644 "$tmp"',
    '  mv "$tmp" "$file"',
    "  exportfs -ra",
    '  echo "phoenix: $file written; exportfs -ra"',
    "fi",
    "",
  ].join("\n");
}

/** Runs a script as root: as is for root, under `sudo -n` for another SSH user. */
export function asRoot(user: string, script: string): string {
  return user === "root" ? script : `sudo -n sh -c ${shq(script)}`;
}

/** The lines `plan` prints for the node, in the order they run (before any guest). */
export function hypervisorPlan(h: HypervisorSite | undefined, templates: readonly TemplateSite[]): string[] {
  const lines: string[] = [];
  if (h) lines.push(...nodeLines(h));
  for (const t of templates)
    lines.push(
      `template VM ${t.vmid} ${t.name} from ${t.image.url} (${t.image.storage}:import/${t.image.file_name}), ` +
        `scsi0 ${t.disk_size_gb} GB on ${t.datastore}, cloud-init, agent ${t.agent ? "on" : "off"}`,
    );
  return lines;
}

function nodeLines(h: HypervisorSite): string[] {
  const lines: string[] = [];
  for (const d of h.datasets)
    lines.push(
      `ZFS dataset ${d.name} (mounted at ${d.mountpoint}): created if missing, never destroyed (it stays on destroy)`,
    );
  for (const e of h.exports)
    lines.push(`NFS export ${e.path} to ${e.clients.map((c) => `${c.guest} (${c.ip})`).join(", ")}`);
  if (h.exports.length > 0) lines.push(`${EXPORTS_FILE}: exportfs -ra only when it changes (kept on destroy)`);
  for (const s of h.storages) {
    const where = s.type === "dir" ? s.path : s.type === "nfs" ? `${s.server}:${s.export}` : s.pool;
    lines.push(`storage ${s.id} (${s.type} ${where}; ${s.content.join(", ")})`);
  }
  for (const d of h.downloads) lines.push(`download ${d.url} to ${d.storage}:${d.content_type}/${d.file_name}`);
  for (const r of h.roles) lines.push(`role ${r.id}: ${r.privileges.join(", ")}`);
  for (const p of h.pools) lines.push(`pool ${p.id}`);
  for (const u of h.users) {
    const acls = u.acls.map((a) => `${a.role} on ${a.path}`).join(", ");
    const tokens = u.tokens.map((t) => `${u.id}!${t.name}`).join(", ");
    lines.push(`user ${u.id}${acls ? `: ${acls}` : ""}${tokens ? `; tokens ${tokens} (secret outputs)` : ""}`);
  }
  if (h.firewall) lines.push(`firewall: datacenter and node ${h.node} on (input policy ACCEPT; guests keep theirs)`);
  if (h.firewall && h.firewall_rules.length > 0)
    lines.push(`firewall: ${h.firewall_rules.length} datacenter rule${h.firewall_rules.length === 1 ? "" : "s"}`);
  return lines;
}
