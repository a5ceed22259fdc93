/**
 * The Proxmox firewall rules of every guest, derived from the site (`phoenix:firewall`). Each guest drops inbound
 * traffic but for: SSH from the admin networks (phoenix sets guests up over it); Portainer's API and UI from the
 * admin networks and the Nginx gateway; an agent's port from the Portainer server; each stack's published ports
 * from the gateway that forwards to it (Traefik, else the Nginx gateway); Traefik's entry points from the Nginx
 * gateway; the Nginx gateway's 80 and 443 (and DNS where dnsmasq runs) from the client networks. Outbound is
 * allowed. Pure: the program declares exactly these, `plan` prints them.
 */
import { serverPorts } from "./desired";
import { routesOf, type EdgeSite } from "./gateways";
import { inSubnet } from "./net";
import type { Guest } from "./validate";
import type { VmConfig } from "./schema";

/** One `firewall_rules[]` entry as configured. */
type GuestConfigRule = VmConfig["firewall_rules"][number];

/** One rule, as the provider's `RulesLegacy` takes it: phoenix's are inbound ACCEPTs with every field set. */
export interface FirewallRule {
  /** Default `in`. */
  readonly direction?: "in" | "out";
  /** Default `ACCEPT`. */
  readonly action?: "ACCEPT" | "DROP" | "REJECT";
  readonly proto?: "tcp" | "udp" | "icmp";
  /** A port or a comma-separated list of ports; any when absent. */
  readonly dport?: string;
  /** A comma-separated list of addresses and networks; any when absent. */
  readonly source?: string;
  readonly dest?: string;
  readonly comment: string;
}

export interface GuestFirewall {
  readonly guest: Guest;
  /** `RulesLegacy` order: Proxmox applies the first match. */
  readonly rules: readonly FirewallRule[];
}

/** The firewall policy phoenix sets on every guest (`OptionsLegacy`). */
export const FIREWALL_POLICY = { inputPolicy: "DROP", outputPolicy: "ACCEPT" } as const;

function join(xs: readonly (string | number)[]): string {
  return [...new Set(xs.map(String))].join(",");
}

/** Every guest's rules; empty when the site has no `phoenix:firewall`. */
export function firewallRules(site: EdgeSite): GuestFirewall[] {
  const fw = site.firewall;
  if (!fw) return [];
  const admin = join(fw.admin_networks);
  const clients = join(fw.client_networks);
  const { nginx, traefik } = site.gateways;
  const primary = site.guests.find((g) => g.portainerRole === "primary");
  // Stacks are reached through the gateway that forwards to them: Traefik, or the Nginx gateway without it.
  const gatewayIps = traefik ? traefik.guest.ip : nginx ? nginx.guest.ip : "";
  const routes = routesOf(site);
  return site.guests.map((g) => {
    const rules: FirewallRule[] = [
      { proto: "tcp", dport: "22", source: admin, comment: "phoenix: SSH from the admin networks" },
    ];
    if (g === primary && site.portainer) {
      const ports = join(serverPorts(site.portainer.url));
      rules.push({
        proto: "tcp",
        dport: ports,
        source: admin,
        comment: "phoenix: the Portainer API from the admin networks",
      });
      if (nginx?.portainerHost !== undefined)
        rules.push({
          proto: "tcp",
          dport: "9443",
          source: nginx.guest.ip,
          comment: "phoenix: the Portainer UI from the Nginx gateway",
        });
    }
    if (g.portainerRole === "agent" && primary && site.portainer)
      rules.push({
        proto: "tcp",
        dport: String(site.portainer.agent_port),
        source: primary.ip,
        comment: "phoenix: the Portainer agent from the Portainer server",
      });
    // Each stack's published ports, from the gateways (the only way in).
    for (const d of site.deployments.filter((x) => x.guest === g)) {
      const s = site.stacks[d.stack]!;
      const published = Object.values(s.published).flat();
      if (published.length === 0 || gatewayIps === "") continue;
      for (const proto of ["tcp", "udp"] as const) {
        const ports = published.filter((p) => p.protocol === proto).map((p) => p.port);
        if (ports.length > 0)
          rules.push({
            proto,
            dport: join(ports.sort((a, b) => a - b)),
            source: gatewayIps,
            comment: `phoenix: stack ${d.stack} from the ${traefik ? "Traefik" : "Nginx"} gateway`,
          });
      }
    }
    if (traefik && g === traefik.guest) {
      const used = [...new Set(routes.flatMap((r) => r.entrypoints))].map((e) => traefik.entrypoints[e]!);
      if (used.length > 0)
        rules.push({
          proto: "tcp",
          dport: join(used.sort((a, b) => a - b)),
          source: nginx ? nginx.guest.ip : clients,
          comment: nginx ? "phoenix: Traefik from the Nginx gateway" : "phoenix: Traefik from the client networks",
        });
    }
    if (nginx && g === nginx.guest)
      rules.push({
        proto: "tcp",
        dport: "80,443",
        source: clients,
        comment: "phoenix: the Nginx gateway from the client networks",
      });
    if (site.dns && g === site.dns.guest) {
      // The guests ask too; those inside a client network need no rule of their own.
      const guests = site.guests.filter((x) => x !== g && !fw.client_networks.some((n) => inSubnet(x.ip, n)));
      const askers = join([...fw.client_networks, ...guests.map((x) => x.ip)]);
      for (const proto of ["udp", "tcp"] as const)
        rules.push({
          proto,
          dport: "53",
          source: askers,
          comment: "phoenix: DNS from the client networks and the guests",
        });
    }
    // The guest's own rules (`firewall_rules`), after phoenix's, in their order.
    rules.push(...ownRules(g.config.firewall_rules, `${g.path}.firewall_rules`));
    return { guest: g, rules };
  });
}

/**
 * A site's own rules (a guest's or the datacenter's `firewall_rules`) in phoenix's terms: the schema's `port` is
 * Proxmox's `dport`; a rule without a comment is named by where it is configured (`<at>[i]`).
 */
export function ownRules(list: readonly GuestConfigRule[], at: string): FirewallRule[] {
  return list.map((r, i) => ({
    direction: r.direction,
    action: r.action,
    ...(r.proto ? { proto: r.proto } : {}),
    ...(r.port ? { dport: r.port } : {}),
    ...(r.source ? { source: r.source } : {}),
    ...(r.dest ? { dest: r.dest } : {}),
    comment: r.comment ?? `${at}[${i}]`,
  }));
}
