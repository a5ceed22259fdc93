/**
 * What each gateway guest holds: its configuration files, exactly as the program writes them (and `plan` prints
 * them), and the certificate files it gets. Pure.
 */
import type { EdgeSite } from "../../config/gateways";
import type { Guest } from "../../config/validate";
import { DNSMASQ_CONF, renderDnsmasqConf } from "./dnsmasq";
import { NGINX_CONF, renderNginxConf } from "./nginx";
import { TRAEFIK_FILE, renderTraefikDynamic } from "./traefik";

export type GatewayKind = "nginx" | "traefik" | "dnsmasq";

export interface GatewayPlan {
  readonly guest: Guest;
  readonly kind: GatewayKind;
  readonly files: readonly { readonly path: string; readonly content: string }[];
}

/** Every gateway of the site with its configuration files: Nginx, Traefik, dnsmasq (those configured). */
export function gatewayPlans(site: EdgeSite, stack: string): GatewayPlan[] {
  const out: GatewayPlan[] = [];
  const { nginx, traefik } = site.gateways;
  if (nginx)
    out.push({
      guest: nginx.guest,
      kind: "nginx",
      files: [{ path: NGINX_CONF, content: renderNginxConf(site, stack) }],
    });
  if (traefik)
    out.push({
      guest: traefik.guest,
      kind: "traefik",
      files: [{ path: `${traefik.dynamicDir}/${TRAEFIK_FILE}`, content: renderTraefikDynamic(site, stack) }],
    });
  if (site.dns)
    out.push({
      guest: site.dns.guest,
      kind: "dnsmasq",
      files: [{ path: DNSMASQ_CONF, content: renderDnsmasqConf(site, stack) }],
    });
  return out;
}
