/**
 * The site's edge from the validated config: the Nginx and Traefik gateways, the routes they carry, the internal
 * names and their addresses, the certificates phoenix issues, and the Proxmox firewall rules. Parsing and
 * cross-checks (`resolveEdge`) collect problems with their config paths; the rest are pure functions of the
 * validated site that the program builds and `plan` prints.
 */
import {
  PROJECT,
  certificatesSchema,
  dnsSchema,
  firewallSchema,
  gatewaysSchema,
  type CertificatesConfig,
  type FirewallConfig,
  type ProxmoxConfig,
  type SecretContext,
} from "./schema";
import { parseWith, type Problem } from "./problems";
import type { Deployment, Guest, RawConfig, StackDefinition } from "./validate";

/** The Nginx gateway: the names users reach, each proxied to Traefik, to a stack directly, or to Portainer. */
export interface NginxGateway {
  readonly guest: Guest;
  readonly portainerHost?: string;
  /** The stacks' hosts it serves, sorted. */
  readonly hosts: readonly string[];
}

/** The Traefik gateway: a container on a Docker guest, its file provider watching `dynamicDir`. */
export interface TraefikGateway {
  readonly guest: Guest;
  readonly version: string;
  readonly dynamicDir: string;
  /** Entry point name to port, sorted by name. */
  readonly entrypoints: Readonly<Record<string, number>>;
}

export interface DnsSite {
  readonly guest: Guest;
  readonly domain: string;
  readonly upstream: readonly string[];
}

/** What `resolveEdge` adds to the site. */
export interface Edge {
  readonly gateways: { readonly nginx?: NginxGateway; readonly traefik?: TraefikGateway };
  readonly certificates: CertificatesConfig;
  readonly dns?: DnsSite;
  readonly firewall?: FirewallConfig & { readonly client_networks: readonly string[] };
}

/** The parts of a validated site the edge is derived from. */
export interface EdgeSite extends Edge {
  readonly proxmox: ProxmoxConfig;
  readonly guests: readonly Guest[];
  readonly portainer?: { readonly url: string; readonly agent_port: number; readonly tls?: PortainerTls };
  readonly stacks: Readonly<Record<string, StackDefinition>>;
  readonly deployments: readonly Deployment[];
}

interface PortainerTls {
  readonly ca_cert?: string | undefined;
  readonly insecure_skip_verify: boolean;
}

const key = (k: string) => `${PROJECT}:${k}`;

/** A route: one `traefik_service` host, served by every guest its stack is deployed to. */
export interface Route {
  readonly stack: string;
  readonly host: string;
  readonly port: number;
  readonly entrypoints: readonly string[];
  readonly tls: boolean;
  /** The guests that run the stack (config order). */
  readonly guests: readonly Guest[];
}

/** Every deployed stack's `traefik_service`, one route per host, sorted by host. */
export function routesOf(site: Pick<EdgeSite, "stacks" | "deployments">): Route[] {
  const byHost = new Map<
    string,
    { stack: string; t: NonNullable<StackDefinition["manifest"]["traefik_service"]>; guests: Guest[] }
  >();
  for (const d of site.deployments) {
    const t = site.stacks[d.stack]?.manifest.traefik_service;
    if (!t) continue;
    const r = byHost.get(t.host) ?? { stack: d.stack, t, guests: [] };
    if (r.stack === d.stack && !r.guests.includes(d.guest)) r.guests.push(d.guest);
    byHost.set(t.host, r);
  }
  return [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, r]) => ({
      stack: r.stack,
      host,
      port: r.t.port,
      entrypoints: [...r.t.entrypoints],
      tls: r.t.tls,
      guests: r.guests,
    }));
}

/**
 * Parses `phoenix:gateways`, `phoenix:certificates`, `phoenix:dns` and `phoenix:firewall` and checks them
 * against the guests and the deployed stacks. Returns undefined when a problem was found.
 */
export function resolveEdge(
  raw: RawConfig,
  ctx: SecretContext,
  site: {
    readonly proxmox?: ProxmoxConfig;
    readonly guests: readonly Guest[];
    readonly stacks: Readonly<Record<string, StackDefinition>>;
    readonly deployments: readonly Deployment[];
    readonly hasPortainer: boolean;
    readonly hasGuestSsh: boolean;
  },
  problems: Problem[],
): Edge | undefined {
  const before = problems.length;
  const value = (k: string) => raw.values[key(k)];
  const gw =
    value("gateways") === undefined
      ? undefined
      : parseWith(gatewaysSchema(), value("gateways"), key("gateways"), problems);
  const certs = parseWith(certificatesSchema(ctx), value("certificates") ?? {}, key("certificates"), problems);
  const dnsRaw = value("dns") === undefined ? undefined : parseWith(dnsSchema(), value("dns"), key("dns"), problems);
  const fw =
    value("firewall") === undefined
      ? undefined
      : parseWith(firewallSchema(), value("firewall"), key("firewall"), problems);
  if (value("firewall") === undefined)
    for (const g of site.guests.filter((x) => x.config.firewall_rules.length > 0))
      problems.push({
        path: `${g.path}.firewall_rules`,
        message: "has no effect without phoenix:firewall (set its admin_networks to turn the guests' firewalls on)",
      });
  const names = site.guests.map((g) => g.name).join(", ") || "none";
  const guestNamed = (name: string, where: string): Guest | undefined => {
    const g = site.guests.find((x) => x.name === name);
    if (!g) problems.push({ path: where, message: `no guest is named "${name}" (guests: ${names})` });
    return g;
  };
  const reachable = (g: Guest, where: string, what: string) => {
    if (!site.hasGuestSsh)
      problems.push({ path: key("guest_ssh"), message: `is required: phoenix sets ${what} up on ${g.name} over SSH` });
    if (g.kind === "lxc" && "os_type" in g.config && g.config.os_type === "unmanaged")
      problems.push({
        path: where,
        message: `${g.name} has os_type unmanaged: Proxmox adds no SSH key to it, so phoenix cannot set ${what} up`,
      });
  };

  const routes = routesOf(site);
  // Two stacks may not claim one host.
  const claimed = new Map<string, string>();
  for (const s of Object.values(site.stacks)) {
    const t = s.manifest.traefik_service;
    if (!t || !site.deployments.some((d) => d.stack === s.name)) continue;
    const other = claimed.get(t.host);
    if (other)
      problems.push({
        path: `${s.manifestPath}: traefik_service.host`,
        message: `${t.host} is already the host of stack ${other}; a host routes to one stack`,
      });
    else claimed.set(t.host, s.name);
  }

  let nginx: NginxGateway | undefined;
  let traefik: TraefikGateway | undefined;
  if (gw?.traefik) {
    const where = key("gateways.traefik.guest");
    const g = guestNamed(gw.traefik.guest, where);
    if (g && !g.hasDocker)
      problems.push({
        path: where,
        message:
          `${g.name} needs the docker feature: Traefik runs there as a container ` +
          `(features: ${g.config.features.join(", ") || "none"})`,
      });
    if (g) reachable(g, where, "Traefik");
    for (const r of routes) {
      const s = site.stacks[r.stack]!;
      for (const e of r.entrypoints)
        if (gw.traefik.entrypoints[e] === undefined)
          problems.push({
            path: `${s.manifestPath}: traefik_service.entrypoints`,
            message:
              `entry point "${e}" is not one of ${key("gateways.traefik.entrypoints")} ` +
              `(${Object.keys(gw.traefik.entrypoints).join(", ")})`,
          });
    }
    if (g)
      traefik = {
        guest: g,
        version: gw.traefik.version,
        dynamicDir: gw.traefik.dynamic_dir,
        entrypoints: Object.fromEntries(Object.entries(gw.traefik.entrypoints).sort(([a], [b]) => a.localeCompare(b))),
      };
  }
  if (gw?.nginx) {
    const where = key("gateways.nginx.guest");
    const g = guestNamed(gw.nginx.guest, where);
    if (g) reachable(g, where, "Nginx");
    const known = routes.map((r) => r.host);
    (gw.nginx.hosts ?? []).forEach((h, i) => {
      if (!known.includes(h))
        problems.push({
          path: `${key("gateways.nginx.hosts")}[${i}]`,
          message: `${h} is not the traefik_service.host of a deployed stack (hosts: ${known.join(", ") || "none"})`,
        });
    });
    if (gw.nginx.portainer_host !== undefined && !site.hasPortainer)
      problems.push({
        path: key("gateways.nginx.portainer_host"),
        message: "needs a Portainer server (a guest with portainer_role primary)",
      });
    if (gw.nginx.portainer_host !== undefined && known.includes(gw.nginx.portainer_host))
      problems.push({
        path: key("gateways.nginx.portainer_host"),
        message: `${gw.nginx.portainer_host} is already the host of stack ${claimed.get(gw.nginx.portainer_host)}`,
      });
    if (g)
      nginx = {
        guest: g,
        ...(gw.nginx.portainer_host !== undefined ? { portainerHost: gw.nginx.portainer_host } : {}),
        hosts: [...new Set(gw.nginx.hosts ?? known)].sort(),
      };
  }
  // Traefik reaches a stack at its guest's address and the port it publishes; so does Nginx without Traefik.
  if (nginx || traefik) {
    for (const r of routes) {
      if (!traefik && !nginx?.hosts.includes(r.host)) continue;
      const s = site.stacks[r.stack]!;
      const t = s.manifest.traefik_service!;
      const ports = s.published[t.service] ?? [];
      const shown = ports.map((p) => `${p.port}/${p.protocol}`).join(", ") || "none";
      if (!ports.some((p) => p.port === t.port && p.protocol === "tcp"))
        problems.push({
          path: `${s.manifestPath}: traefik_service.port`,
          message:
            `${t.port} is not published by service ${t.service} in ${s.manifest.compose_file} ` +
            `(published: ${shown}); the gateway reaches the stack ` +
            `at its guest's address, so add "${t.port}:${t.port}" to its ports`,
        });
    }
  }
  if (certs) {
    const served = nginx ? [...(nginx.portainerHost ? [nginx.portainerHost] : []), ...nginx.hosts] : [];
    for (const h of Object.keys(certs.custom))
      if (!served.includes(h))
        problems.push({
          path: `${key("certificates.custom")}.${h}`,
          message: `${h} is not a name the Nginx gateway serves (names: ${served.join(", ") || "none"})`,
        });
  }

  let dns: DnsSite | undefined;
  if (dnsRaw) {
    const where = key("dns.guest");
    const g = dnsRaw.guest !== undefined ? guestNamed(dnsRaw.guest, where) : nginx?.guest;
    // An Nginx gateway that is configured but has a problem of its own is reported once, there.
    const nginxConfigured = (value("gateways") as { nginx?: unknown } | undefined)?.nginx !== undefined;
    if (dnsRaw.guest === undefined && !nginx && !nginxConfigured)
      problems.push({ path: where, message: "is required when no Nginx gateway is configured (dnsmasq runs there)" });
    const domain = dnsRaw.domain ?? site.proxmox?.dns?.domain;
    if (domain === undefined)
      problems.push({ path: key("dns.domain"), message: "is required unless proxmox.dns.domain is set" });
    const upstream = dnsRaw.upstream ?? site.proxmox?.dns?.servers;
    if (upstream === undefined)
      problems.push({ path: key("dns.upstream"), message: "is required unless proxmox.dns.servers is set" });
    else if (g && upstream.includes(g.ip))
      problems.push({
        path: key("dns.upstream"),
        message: `must not name ${g.ip}: dnsmasq runs there and would forward to itself`,
      });
    if (g) reachable(g, where, "dnsmasq");
    if (g && domain !== undefined && upstream !== undefined) dns = { guest: g, domain, upstream: [...upstream] };
  }

  if (problems.length > before || !certs) return undefined;
  return {
    gateways: { ...(nginx ? { nginx } : {}), ...(traefik ? { traefik } : {}) },
    certificates: certs,
    ...(dns ? { dns } : {}),
    ...(fw ? { firewall: { ...fw, client_networks: fw.client_networks ?? fw.admin_networks } } : {}),
  };
}

/** The domain guests' names are published under: `dns.domain`, else `proxmox.dns.domain`. */
export function siteDomain(site: Pick<EdgeSite, "dns" | "proxmox">): string | undefined {
  return site.dns?.domain ?? site.proxmox.dns?.domain;
}

/** Whether Portainer's server runs with a certificate phoenix issues (unless the site pinned its own or skips). */
export function portainerUsesPhoenixCertificate(site: Pick<EdgeSite, "portainer">): boolean {
  const tls = site.portainer?.tls;
  return site.portainer !== undefined && tls?.ca_cert === undefined && tls?.insecure_skip_verify !== true;
}

/** A certificate phoenix issues from its CA: who holds it and the names it is valid for. */
export interface CertificateSpec {
  /** `portainer`, `nginx` or `traefik`: the logical name of its resources. */
  readonly id: "portainer" | "nginx" | "traefik";
  readonly guest: Guest;
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** The certificates phoenix issues for this site. */
export function certificateSpecs(site: EdgeSite): CertificateSpec[] {
  const out: CertificateSpec[] = [];
  const domain = siteDomain(site);
  const fqdn = (g: Guest) => {
    const n = g.name.toLowerCase();
    return domain !== undefined ? [n, `${n}.${domain}`] : [n];
  };
  const primary = site.guests.find((g) => g.portainerRole === "primary");
  const { nginx, traefik } = site.gateways;
  if (primary && portainerUsesPhoenixCertificate(site)) {
    const names = [...new Set([...(nginx?.portainerHost ? [nginx.portainerHost] : []), ...fqdn(primary)])];
    out.push({ id: "portainer", guest: primary, commonName: names[0]!, dnsNames: names, ipAddresses: [primary.ip] });
  }
  if (nginx) {
    const names = nginxNames(nginx).filter((n) => site.certificates.custom[n] === undefined);
    const all = names.length > 0 ? names : fqdn(nginx.guest);
    out.push({ id: "nginx", guest: nginx.guest, commonName: all[0]!, dnsNames: all, ipAddresses: [nginx.guest.ip] });
  }
  if (traefik) {
    const routed = routesOf(site).filter((r) => r.tls);
    const names = [...new Set([...routed.map((r) => r.host), ...fqdn(traefik.guest)])];
    out.push({
      id: "traefik",
      guest: traefik.guest,
      commonName: names[0]!,
      dnsNames: names,
      ipAddresses: [traefik.guest.ip],
    });
  }
  return out;
}

/** Every name the Nginx gateway serves: the Portainer UI's first, then the stacks' hosts. */
export function nginxNames(nginx: NginxGateway): string[] {
  return [...(nginx.portainerHost ? [nginx.portainerHost] : []), ...nginx.hosts];
}

/** An internal name and the address it resolves to. */
export interface DnsRecord {
  readonly name: string;
  readonly ip: string;
}

/**
 * The names dnsmasq answers: every guest as `<name>.<domain>`; the names the Nginx gateway serves at the gateway;
 * the other stacks' hosts at Traefik when it routes them, else at the first guest that runs the stack.
 */
export function dnsRecords(site: EdgeSite): DnsRecord[] {
  if (!site.dns) return [];
  const out = new Map<string, string>();
  for (const g of site.guests) out.set(`${g.name.toLowerCase()}.${site.dns.domain}`, g.ip);
  const { nginx, traefik } = site.gateways;
  for (const r of routesOf(site)) out.set(r.host, traefik ? traefik.guest.ip : r.guests[0]!.ip);
  if (nginx) for (const n of nginxNames(nginx)) out.set(n, nginx.guest.ip);
  return [...out.entries()].map(([name, ip]) => ({ name, ip })).sort((a, b) => a.name.localeCompare(b.name));
}
