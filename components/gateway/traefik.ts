/**
 * The Traefik gateway: a pinned `traefik` container on a Docker guest whose file provider watches a directory,
 * and the one dynamic configuration file phoenix writes there. Every deployed manifest's `traefik_service` becomes a
 * router (host rule, entry points, TLS) and a service pointing at each guest that runs the stack, on the port it
 * publishes. The file is checked against a JSON Schema of the subset phoenix writes before it is written. Pure.
 */
import Ajv from "ajv";
import { stringify } from "yaml";
import { routesOf, type EdgeSite, type TraefikGateway } from "../../config/gateways";

/** Where Traefik's certificate and key go on its guest (mounted read-only into the container). */
export const TRAEFIK_CERT_DIR = "/etc/traefik/certs";
/** The dynamic configuration file's name in `gateways.traefik.dynamic_dir`. */
export const TRAEFIK_FILE = "phoenix.yml";

/** The container's command line: entry points and the file provider (Traefik's static configuration). */
export function traefikArgs(t: TraefikGateway): string[] {
  return [
    ...Object.entries(t.entrypoints).map(([name, port]) => `--entryPoints.${name}.address=:${port}`),
    `--providers.file.directory=${t.dynamicDir}`,
    "--providers.file.watch=true",
    "--log.level=INFO",
  ];
}

/** A JSON Schema of the part of Traefik's dynamic configuration phoenix writes (doc.traefik.io, file provider). */
export function traefikDynamicSchema(): Record<string, unknown> {
  const name = { type: "string", pattern: "^[A-Za-z0-9_-]+$" };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Traefik dynamic configuration (the subset phoenix writes)",
    type: "object",
    additionalProperties: false,
    required: ["http", "tls"],
    properties: {
      http: {
        type: "object",
        additionalProperties: false,
        required: ["routers", "services"],
        properties: {
          routers: {
            type: "object",
            propertyNames: name,
            additionalProperties: {
              type: "object",
              additionalProperties: false,
              required: ["rule", "entryPoints", "service"],
              properties: {
                rule: { type: "string", pattern: "^Host\\(`[A-Za-z0-9.-]+`\\)$" },
                entryPoints: { type: "array", minItems: 1, items: name },
                service: name,
                tls: { type: "object", additionalProperties: false, properties: {} },
              },
            },
          },
          services: {
            type: "object",
            propertyNames: name,
            additionalProperties: {
              type: "object",
              additionalProperties: false,
              required: ["loadBalancer"],
              properties: {
                loadBalancer: {
                  type: "object",
                  additionalProperties: false,
                  required: ["servers"],
                  properties: {
                    servers: {
                      type: "array",
                      minItems: 1,
                      items: {
                        type: "object",
                        additionalProperties: false,
                        required: ["url"],
                        properties: { url: { type: "string", pattern: "^http://[0-9.]+:[0-9]+$" } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      tls: {
        type: "object",
        additionalProperties: false,
        required: ["stores"],
        properties: {
          stores: {
            type: "object",
            additionalProperties: false,
            required: ["default"],
            properties: {
              default: {
                type: "object",
                additionalProperties: false,
                required: ["defaultCertificate"],
                properties: {
                  defaultCertificate: {
                    type: "object",
                    additionalProperties: false,
                    required: ["certFile", "keyFile"],
                    properties: { certFile: { type: "string" }, keyFile: { type: "string" } },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

/** The problems a dynamic configuration has against {@link traefikDynamicSchema}; empty when it conforms. */
export function checkTraefikDynamic(doc: unknown): string[] {
  const validate = new Ajv({ allErrors: true }).compile(traefikDynamicSchema());
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

/** Router and service names: the stack's name with `_` as `-`, as in the labels phoenix injects. */
function routerName(stack: string): string {
  return stack.replace(/_/g, "-");
}

/** The dynamic configuration document for this site. */
export function traefikDynamic(site: EdgeSite): Record<string, unknown> {
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const r of routesOf(site)) {
    const n = routerName(r.stack);
    routers[n] = {
      rule: `Host(\`${r.host}\`)`,
      entryPoints: [...r.entrypoints],
      service: n,
      ...(r.tls ? { tls: {} } : {}),
    };
    services[n] = { loadBalancer: { servers: r.guests.map((g) => ({ url: `http://${g.ip}:${r.port}` })) } };
  }
  return {
    http: { routers, services },
    tls: {
      stores: {
        default: {
          defaultCertificate: {
            certFile: `${TRAEFIK_CERT_DIR}/traefik.crt`,
            keyFile: `${TRAEFIK_CERT_DIR}/traefik.key`,
          },
        },
      },
    },
  };
}

/** The dynamic configuration file's text; throws with the schema's complaints if it would not conform. */
export function renderTraefikDynamic(site: EdgeSite, stack: string): string {
  const doc = traefikDynamic(site);
  const problems = checkTraefikDynamic(doc);
  if (problems.length > 0)
    throw new Error(
      `the Traefik configuration phoenix rendered does not conform to its schema: ${problems.join("; ")}`,
    );
  return (
    `# Generated by phoenix (stack ${stack}) for Traefik on ${site.gateways.traefik!.guest.name}; ` +
    "rewritten on every change.\n" +
    stringify(doc)
  );
}
