/**
 * The Nginx gateway's configuration: one file in `conf.d`, rendered from the site. Every name it serves gets a
 * TLS server block with phoenix's certificate (or the site's own for that name) and an HTTP block that redirects
 * to it. The Portainer UI's name goes to the Portainer server; a stack's host to Traefik when the site runs
 * Traefik, else straight to the guests that run the stack. Upstream certificates are verified against phoenix's
 * CA (or the CA the site pinned for Portainer). Pure: the program writes exactly this, and `plan` prints it.
 */
import {
  nginxNames,
  portainerUsesPhoenixCertificate,
  routesOf,
  type EdgeSite,
  type Route,
} from "../../config/gateways";

/** Where the configuration goes on the gateway guest (Debian's nginx includes `conf.d/*.conf`). */
export const NGINX_CONF = "/etc/nginx/conf.d/phoenix-gateway.conf";
/** Where the gateway's certificates and keys go. */
export const NGINX_CERT_DIR = "/etc/nginx/phoenix";

/** The certificate and key files of a name: its own when the site brings one, else the gateway's. */
export function nginxCertFiles(site: EdgeSite, host: string): { cert: string; key: string } {
  return site.certificates.custom[host] !== undefined
    ? { cert: `${NGINX_CERT_DIR}/${host}.crt`, key: `${NGINX_CERT_DIR}/${host}.key` }
    : { cert: `${NGINX_CERT_DIR}/gateway.crt`, key: `${NGINX_CERT_DIR}/gateway.key` };
}

/** The file holding Portainer's CA when the site pinned one (`portainer.tls.ca_cert`). */
export const NGINX_PORTAINER_CA = `${NGINX_CERT_DIR}/portainer-ca.crt`;

interface Upstream {
  readonly name: string;
  readonly servers: readonly string[];
  readonly scheme: "http" | "https";
  /** The name the upstream's certificate is checked against (https only); undefined: not verified. */
  readonly verifyName?: string;
  readonly trusted?: string;
  /** Send the client's host as SNI (Traefik picks the router's certificate by it). */
  readonly sniFromHost?: boolean;
}

function upstreamName(s: string): string {
  return `phoenix_${s.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function routeUpstream(site: EdgeSite, r: Route): Upstream {
  const t = site.gateways.traefik;
  if (t) {
    const entrypoint = r.entrypoints[0]!;
    return {
      name: upstreamName(`traefik_${entrypoint}`),
      servers: [`${t.guest.ip}:${t.entrypoints[entrypoint]}`],
      scheme: r.tls ? "https" : "http",
      ...(r.tls ? { verifyName: "$host", trusted: `${NGINX_CERT_DIR}/ca.crt`, sniFromHost: true } : {}),
    };
  }
  return { name: upstreamName(r.stack), servers: r.guests.map((g) => `${g.ip}:${r.port}`), scheme: "http" };
}

function portainerUpstream(site: EdgeSite): Upstream {
  const primary = site.guests.find((g) => g.portainerRole === "primary")!;
  const tls = site.portainer!.tls;
  const base = { name: upstreamName("portainer"), servers: [`${primary.ip}:9443`], scheme: "https" as const };
  if (portainerUsesPhoenixCertificate(site))
    return { ...base, verifyName: primary.name.toLowerCase(), trusted: `${NGINX_CERT_DIR}/ca.crt` };
  if (tls?.ca_cert !== undefined)
    return { ...base, verifyName: new URL(site.portainer!.url).hostname, trusted: NGINX_PORTAINER_CA };
  return base;
}

const PROXY_HEADERS = [
  "proxy_http_version 1.1;",
  "proxy_set_header Host $host;",
  "proxy_set_header X-Real-IP $remote_addr;",
  "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
  "proxy_set_header X-Forwarded-Proto $scheme;",
  "proxy_set_header Upgrade $http_upgrade;",
  "proxy_set_header Connection $phoenix_connection_upgrade;",
];

function location(u: Upstream): string[] {
  const lines = [`proxy_pass ${u.scheme}://${u.name};`];
  if (u.scheme === "https") {
    if (u.verifyName !== undefined) {
      lines.push(
        "proxy_ssl_verify on;",
        `proxy_ssl_trusted_certificate ${u.trusted!};`,
        `proxy_ssl_name ${u.verifyName};`,
        "proxy_ssl_server_name on;",
      );
    } else {
      lines.push("# portainer.tls.insecure_skip_verify: the Portainer server's certificate is not verified.");
      lines.push("proxy_ssl_verify off;");
    }
  }
  return [...lines, ...PROXY_HEADERS];
}

const indent = (n: number, lines: readonly string[]) => lines.map((l) => (l === "" ? "" : `${" ".repeat(n)}${l}`));

/** The gateway's `conf.d` file for this site (empty of servers when it serves no name). */
export function renderNginxConf(site: EdgeSite, stack: string): string {
  const nginx = site.gateways.nginx;
  if (!nginx) throw new Error("renderNginxConf: the site has no Nginx gateway");
  const routes = new Map(routesOf(site).map((r) => [r.host, r]));
  const upstreams = new Map<string, Upstream>();
  const servers: { host: string; upstream: Upstream }[] = [];
  if (nginx.portainerHost !== undefined) {
    const u = portainerUpstream(site);
    upstreams.set(u.name, u);
    servers.push({ host: nginx.portainerHost, upstream: u });
  }
  for (const host of nginx.hosts) {
    const u = routeUpstream(site, routes.get(host)!);
    upstreams.set(u.name, u);
    servers.push({ host, upstream: u });
  }
  const out = [
    `# Generated by phoenix (stack ${stack}) for the Nginx gateway on ${nginx.guest.name}.`,
    "# phoenix rewrites this file on every change; edit the site's configuration instead.",
    "",
    "map $http_upgrade $phoenix_connection_upgrade {",
    "    default upgrade;",
    "    '' close;",
    "}",
  ];
  for (const u of [...upstreams.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    out.push(
      "",
      `upstream ${u.name} {`,
      ...indent(
        4,
        u.servers.map((s) => `server ${s};`),
      ),
      "}",
    );
  }
  const names = nginxNames(nginx);
  if (names.length > 0) {
    out.push(
      "",
      "server {",
      "    listen 80;",
      `    server_name ${names.join(" ")};`,
      "    return 301 https://$host$request_uri;",
      "}",
    );
  }
  for (const s of servers) {
    const files = nginxCertFiles(site, s.host);
    out.push(
      "",
      "server {",
      "    listen 443 ssl;",
      `    server_name ${s.host};`,
      `    ssl_certificate ${files.cert};`,
      `    ssl_certificate_key ${files.key};`,
      "    ssl_protocols TLSv1.2 TLSv1.3;",
      "    client_max_body_size 0;",
      "    location / {",
      ...indent(8, location(s.upstream)),
      "    }",
      "}",
    );
  }
  return out.join("\n") + "\n";
}
