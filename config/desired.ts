/**
 * The desired site derived from a validated config: what `npm run plan` prints and what the
 * program builds. Pure functions; no I/O, no Pulumi.
 */
import { FIREWALL_POLICY, firewallRules } from "./firewall";
import { certificateSpecs, dnsRecords, portainerUsesPhoenixCertificate } from "./gateways";
import { authOf, lxcOsType, placementOf, rootOnlyOperations } from "./proxmox";
import { SECRET_MASK } from "./secret";
import { EXPORTS_FILE, datasetScript, exportsFile, exportsScript, hypervisorPlan } from "./hypervisor";
import type { Deployment, Guest, SiteConfig } from "./validate";
import type { LxcConfig, VmConfig } from "./schema";

/** The Docker socket a Portainer server manages its own host through. */
export const LOCAL_DOCKER_URL = "unix:///var/run/docker.sock";

/** The URL Portainer reaches an agent at: always `tcp://` (../shared/portainer/CONTRACT.md 5.3). */
export function agentUrl(ip: string, port: number): string {
  return `tcp://${ip}:${port}`;
}

/** The Portainer environment a guest is registered as. */
export interface EnvironmentPlan {
  readonly name: string;
  readonly guest: string;
  readonly type: "agent" | "local";
  readonly url: string;
}

/**
 * The Portainer environments to register: every agent guest, plus the primary guest as a local
 * environment when stacks are assigned to it.
 */
export function environmentsOf(site: SiteConfig): EnvironmentPlan[] {
  const out: EnvironmentPlan[] = [];
  if (!site.portainer) return out;
  for (const g of site.guests) {
    if (g.portainerRole === "agent")
      out.push({ name: g.name, guest: g.name, type: "agent", url: agentUrl(g.ip, site.portainer.agent_port) });
    if (g.portainerRole === "primary" && g.config.docker_stacks.length > 0)
      out.push({ name: g.name, guest: g.name, type: "local", url: LOCAL_DOCKER_URL });
  }
  return out;
}

/** The mount point of the primary guest's volume that holds `portainer.data_path`, if one does. */
export function portainerDataMount(primary: Guest, dataPath?: string): string | undefined {
  if (primary.kind !== "vm" || dataPath === undefined) return undefined;
  const mounts = (primary.config as VmConfig).volumes.map((v) => v.mount_point.replace(/\/+$/, ""));
  return mounts.find((m) => dataPath === m || dataPath.startsWith(`${m}/`));
}

/**
 * Where Portainer's data lives, for `plan`: on a volume (kept when the VM is replaced), or on the VM's own disk,
 * with the warning the user should read.
 */
export function portainerDataPlan(site: SiteConfig): { where: string; warning?: string } | undefined {
  const primary = site.guests.find((g) => g.portainerRole === "primary");
  const p = site.portainer;
  if (!primary || !p) return undefined;
  const mount = portainerDataMount(primary, p.data_path);
  if (p.data_path !== undefined && mount !== undefined)
    return { where: `${p.data_path} on ${primary.name} (below its volume at ${mount}), bind-mounted as /data` };
  const where =
    p.data_path !== undefined
      ? `${p.data_path} on ${primary.name}, bind-mounted as /data`
      : `the Docker volume portainer_data on ${primary.name}`;
  return {
    where,
    warning:
      `Portainer's data (${where}) lives only on ${primary.name}'s own disk: replacing the VM loses it. ` +
      `Set phoenix:portainer.data_path below one of its volumes' mount points` +
      ((primary.config as VmConfig).volumes?.[0]
        ? ` (e.g. ${(primary.config as VmConfig).volumes[0]!.mount_point.replace(/\/+$/, "")}/portainer)`
        : ""),
  };
}

/** Ports the Portainer server publishes: 9443 always, 9000 only when the configured URL uses it. */
export function serverPorts(url: string): number[] {
  const u = new URL(url);
  const port = u.port !== "" ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
  return port === 9000 ? [9443, 9000] : [9443];
}

function guestPlan(site: SiteConfig, g: Guest) {
  const c = g.config;
  const p = placementOf(site.proxmox, c);
  const vm = g.kind === "vm" ? (c as VmConfig) : undefined;
  const lxc = g.kind === "lxc" ? (c as LxcConfig) : undefined;
  const source =
    g.kind === "vm"
      ? { clone_from_vmid: (c as VmConfig).clone_from_vmid }
      : (c as LxcConfig).template !== undefined
        ? { template: (c as LxcConfig).template }
        : { clone_from_ctid: (c as LxcConfig).clone_from_ctid };
  const snap = c.snapshot?.after_setup ? c.snapshot : undefined;
  return {
    snapshot: snap ? { name: snap.name, include_memory: snap.include_memory, retain: snap.retain } : null,
    kind: g.kind,
    id: g.id,
    name: g.name,
    ...source,
    cores: c.cores,
    memory_mb: c.memory_mb,
    disk_size_gb: c.disk_size_gb,
    ip: c.network_config.ip,
    gateway: c.network_config.gw,
    start_at_boot: c.start_at_boot,
    boot_order: c.boot_order ?? null,
    features: [...c.features],
    portainer_role: g.portainerRole ?? null,
    datastore: p.datastore ?? null,
    bridge: p.bridge,
    vlan: p.vlan ?? null,
    mtu: p.mtu ?? null,
    dns: p.dns ?? null,
    clone_node: p.cloneNode ?? null,
    tags: [...p.tags],
    protection: c.protection,
    adopt: c.adopt,
    ...(vm
      ? {
          cpu_type: vm.cpu_type,
          agent: vm.agent,
          machine: vm.machine ?? null,
          disks: vm.disks.map((d) => ({
            interface: d.interface,
            size_gb: d.size_gb,
            datastore: d.datastore ?? p.datastore ?? null,
          })),
          gpus: vm.gpus.map((x) => ({ mapping: x.mapping, pcie: x.pcie })),
        }
      : {}),
    ...(lxc
      ? {
          os_type: lxcOsType(lxc) ?? null,
          unprivileged: lxc.unprivileged,
          proxmox_features: { ...lxc.proxmox_features },
          mount_points: lxc.mount_points.map((m) => ({ ...m })),
          devices: lxc.devices.map((d) => ({ path: d.path, mode: d.mode ?? null })),
        }
      : {}),
    root_only: rootOnlyOperations(g.kind, c).map((r) => r.key),
    docker_source: c.features.includes("docker") ? (c.docker_source ?? site.guestSetup.docker_source) : null,
  };
}

function stackPlan(site: SiteConfig, d: Deployment) {
  const traefik = site.stacks[d.stack]!.manifest.traefik_service;
  return {
    name: d.stack,
    guest: d.guest.name,
    environment: d.environment,
    portainer_environment: d.guest.name,
    variables: d.variables.map((v) =>
      "value" in v
        ? { name: v.name, value: v.value, secret: false }
        : { name: v.name, value: SECRET_MASK, secret: true },
    ),
    files: d.files.map((f) => ({ source: f.source, destination: f.destination, service: f.service ?? null })),
    traefik: traefik ?? null,
  };
}

/** The whole desired site as one JSON-ready document (the `plan --json` output). Secrets are masked. */
export function describeSite(site: SiteConfig, stack: string) {
  const p = site.portainer;
  const primary = site.guests.find((g) => g.portainerRole === "primary");
  return {
    stack,
    environment: site.environment ?? null,
    proxmox: {
      endpoint: site.proxmox.endpoint,
      node_name: site.proxmox.node_name,
      insecure: site.proxmox.insecure,
      auth: authOf(site.proxmox).kind,
      ...(authOf(site.proxmox).kind === "password" ? { username: site.proxmox.username! } : {}),
    },
    guests: site.guests.map((g) => guestPlan(site, g)),
    portainer:
      p && primary
        ? {
            version: p.version,
            url: p.url,
            admin_username: p.admin_username,
            server: { guest: primary.name, image: `portainer/portainer-ce:${p.version}`, ports: serverPorts(p.url) },
            agents: site.guests
              .filter((g) => g.portainerRole === "agent")
              .map((g) => ({ guest: g.name, image: `portainer/agent:${p.version}`, port: p.agent_port })),
          }
        : null,
    environments: environmentsOf(site),
    stacks: site.deployments.map((d) => stackPlan(site, d)),
    hypervisor: hostPlan(site),
    portainer_data: portainerDataPlan(site)?.where ?? null,
    warnings: [portainerDataPlan(site)?.warning].filter((w): w is string => w !== undefined),
    ...edgePlan(site),
  };
}

/** The node's steps, in order, with the exports file and the scripts that run there (before any guest). */
function hostPlan(site: SiteConfig) {
  const h = site.hypervisor;
  if (!h && site.templates.length === 0) return null;
  return {
    node: site.proxmox.node_name,
    steps: hypervisorPlan(h, site.templates),
    exports_file:
      h && h.exports.length > 0 ? { path: EXPORTS_FILE, content: exportsFile(h.exports, h.exportOptions) } : null,
    scripts: h
      ? [
          ...h.datasets.map((d) => ({ name: `dataset ${d.name}`, script: datasetScript(d) })),
          ...(h.exports.length > 0
            ? [{ name: "nfs exports", script: exportsScript(h.exports, h.exportOptions, h.datasets) }]
            : []),
        ]
      : [],
  };
}

/** The certificates, the internal names and the firewall rules (`plan` adds the gateways' files). */
function edgePlan(site: SiteConfig) {
  const c = site.certificates;
  return {
    certificates: {
      ca: { common_name: c.ca_common_name, validity_days: c.ca_validity_days },
      validity_days: c.validity_days,
      renew_before_days: c.renew_before_days,
      issued: certificateSpecs(site).map((s) => ({
        id: s.id,
        guest: s.guest.name,
        dns_names: [...s.dnsNames],
        ip_addresses: [...s.ipAddresses],
      })),
      custom: Object.keys(c.custom).sort(),
      portainer_verified_with:
        site.portainer === undefined
          ? null
          : site.portainer.tls?.insecure_skip_verify
            ? "nothing (insecure_skip_verify)"
            : site.portainer.tls?.ca_cert !== undefined
              ? "portainer.tls.ca_cert"
              : portainerUsesPhoenixCertificate(site)
                ? "phoenix's CA"
                : "the system's CAs",
    },
    dns: site.dns
      ? {
          guest: site.dns.guest.name,
          domain: site.dns.domain,
          upstream: [...site.dns.upstream],
          records: dnsRecords(site).map((r) => ({ name: r.name, ip: r.ip })),
        }
      : null,
    firewall: firewallRules(site).map((f) => ({
      guest: f.guest.name,
      kind: f.guest.kind,
      id: f.guest.id,
      enabled: site.firewall!.enabled,
      policy: { input: FIREWALL_POLICY.inputPolicy, output: FIREWALL_POLICY.outputPolicy },
      rules: f.rules.map((r) => ({ direction: "in", action: "ACCEPT", ...r })),
    })),
  };
}

export type SiteDescription = ReturnType<typeof describeSite>;
