/**
 * Renders one stack assignment's compose file: Traefik labels injected into the routed service, the
 * environment's config files turned into compose `configs`, and the result validated against the
 * Compose specification's JSON Schema before anything is sent. Pure functions, no Pulumi.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { parse, stringify } from "yaml";

/** A config file shipped with a stack. */
export interface StackFile {
  /** The path relative to the stack folder. */
  readonly source: string;
  /** The absolute path inside the container. */
  readonly destination: string;
  /** The service that mounts it; every service when absent. */
  readonly service?: string;
  readonly content: string;
}

/** The manifest's Traefik routing for one service. */
export interface TraefikRoute {
  readonly service: string;
  readonly host: string;
  readonly port: number;
  readonly entrypoints: readonly string[];
  readonly tls: boolean;
}

export interface RenderInput {
  /** The stack name (already Portainer-normalised). */
  readonly stack: string;
  /** Where the assignment is, for messages: `qdrant_service on Dr-Phoenix (phoenix:vms[1].docker_stacks[0])`. */
  readonly where: string;
  /** The compose file as written. */
  readonly compose: string;
  readonly files: readonly StackFile[];
  readonly traefik?: TraefikRoute;
  /**
   * `standalone`: files become configs with inline `content` (needs Docker Compose 2.23.1+ where
   * Portainer runs compose). `swarm`: files are Docker configs created beforehand, referenced as external.
   */
  readonly mode: "standalone" | "swarm";
  /** Swarm mode: the Docker config name of each file, by source. */
  readonly configNames?: Readonly<Record<string, string>>;
}

/** A stack whose rendered compose file is not valid. */
export class ComposeError extends Error {}

type Doc = Record<string, unknown>;
const isMap = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

/** The Traefik labels for a route, in a fixed order. Router and service are named after the stack. */
export function traefikLabels(stack: string, t: TraefikRoute): [string, string][] {
  const router = stack.replace(/_/g, "-");
  const labels: [string, string][] = [
    ["traefik.enable", "true"],
    [`traefik.http.routers.${router}.rule`, `Host(\`${t.host}\`)`],
    [`traefik.http.routers.${router}.entrypoints`, t.entrypoints.join(",")],
  ];
  if (t.tls) labels.push([`traefik.http.routers.${router}.tls`, "true"]);
  labels.push([`traefik.http.services.${router}.loadbalancer.server.port`, String(t.port)]);
  return labels;
}

/**
 * Adds labels to a compose `labels` value in the form it already has (list of `k=v` or map). Labels
 * already there are kept as written, including a value the compose file sets for one of ours.
 */
export function mergeLabels(existing: unknown, add: readonly [string, string][]): string[] | Record<string, string> {
  if (Array.isArray(existing)) {
    const keys = new Set(existing.map((l) => String(l).split("=")[0]));
    return [...existing.map(String), ...add.filter(([k]) => !keys.has(k)).map(([k, v]) => `${k}=${v}`)];
  }
  const map: Record<string, string> = isMap(existing)
    ? Object.fromEntries(Object.entries(existing).map(([k, v]) => [k, String(v)]))
    : {};
  for (const [k, v] of add) if (!(k in map)) map[k] = v;
  return map;
}

/** The name of a Docker config holding a file: changes with the content, so a new content is a new config. */
export function dockerConfigName(stack: string, source: string, content: string): string {
  const base = path.basename(source).replace(/[^A-Za-z0-9_.-]/g, "_");
  return `${stack}-${base}-${crypto.createHash("sha256").update(content).digest("hex").slice(0, 10)}`;
}

/** The compose key of the n-th file. */
export function configKey(index: number, source: string): string {
  return `phoenix_${index}_${path.basename(source).replace(/[^A-Za-z0-9_]/g, "_")}`;
}

let validator: ValidateFunction | undefined;

/** The Compose specification schema as shipped by the dclint package (a current copy of compose-spec). */
function composeValidator(): ValidateFunction {
  if (!validator) {
    const file = path.join(path.dirname(require.resolve("dclint/package.json")), "schemas", "compose.schema.json");
    const schema = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    // The file names draft-07 as "https://json-schema.org/draft-07/schema", a spelling Ajv does not know;
    // draft-07 is Ajv's default, so the key is dropped rather than mapped.
    delete schema["$schema"];
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    validator = ajv.compile(schema);
  }
  return validator;
}

/** Problems of a compose document against the Compose specification, as `path: message`. */
export function composeProblems(doc: unknown): string[] {
  const validate = composeValidator();
  if (validate(doc)) return [];
  const shown = (p: string) =>
    p
      .split("/")
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
      .join("")
      .replace(/^\./, "") || "(top level)";
  return (validate.errors ?? []).map((e) => {
    const extra =
      e.keyword === "additionalProperties"
        ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
        : "";
    return `${shown(e.instancePath)}: ${e.message ?? "is invalid"}${extra}`;
  });
}

/** Renders and validates; throws {@link ComposeError} naming the stack and the problem. */
export function renderCompose(input: RenderInput): string {
  const fail = (problem: string): never => {
    throw new ComposeError(`Stack ${input.where}: ${problem}`);
  };
  let doc: unknown;
  try {
    doc = parse(input.compose);
  } catch (e) {
    fail(`the compose file is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!isMap(doc) || !isMap(doc["services"])) return fail("the compose file has no services map");
  const services = doc["services"] as Record<string, unknown>;

  if (input.traefik) {
    const svc = services[input.traefik.service];
    if (!isMap(svc)) fail(`traefik_service.service "${input.traefik.service}" is not a service of the compose file`);
    const labels = traefikLabels(input.stack, input.traefik);
    const target = svc as Doc;
    if (input.mode === "swarm") {
      // Traefik's swarm provider reads service labels from deploy.labels.
      const deploy = isMap(target["deploy"]) ? (target["deploy"] as Doc) : {};
      target["deploy"] = { ...deploy, labels: mergeLabels(deploy["labels"], labels) };
    } else {
      target["labels"] = mergeLabels(target["labels"], labels);
    }
  }

  if (input.files.length > 0) {
    const top = isMap(doc["configs"]) ? (doc["configs"] as Doc) : {};
    input.files.forEach((f, i) => {
      const key = configKey(i, f.source);
      if (input.mode === "swarm") {
        const name = input.configNames?.[f.source];
        if (!name) fail(`no Docker config name for ${f.source}`);
        top[key] = { external: true, name };
      } else {
        // `$` would be interpolated by compose inside inline content: escape it.
        top[key] = { content: f.content.replace(/\$/g, "$$$$") };
      }
      const targets = f.service !== undefined ? [f.service] : Object.keys(services);
      for (const name of targets) {
        const svc = services[name];
        if (!isMap(svc)) return fail(`files: service "${name}" is not a service of the compose file`);
        const list = Array.isArray(svc["configs"]) ? (svc["configs"] as unknown[]) : [];
        svc["configs"] = [...list, { source: key, target: f.destination }];
      }
    });
    doc["configs"] = top;
  }

  const problems = composeProblems(doc);
  if (problems.length > 0) fail(`the rendered compose file is invalid: ${problems.join("; ")}`);
  return stringify(doc, { lineWidth: 0 });
}
