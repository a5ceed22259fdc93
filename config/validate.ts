/**
 * Parses and cross-checks a whole site once: the `phoenix:*` stack config and every stack manifest
 * under `stacks/`. Every problem is collected with its path; nothing is thrown for user errors.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import {
  LXC_OS_TYPES,
  PROJECT,
  SITE_KEYS,
  environmentSchema,
  guestSetupSchema,
  guestSshSchema,
  lxcSchema,
  manifestSchema,
  portainerSchema,
  proxmoxSchema,
  vmSchema,
  type GuestSetupConfig,
  type GuestSshConfig,
  type LxcConfig,
  type Manifest,
  type PortainerConfig,
  type ProxmoxConfig,
  type SecretContext,
  type VmConfig,
} from "./schema";
import { Secret } from "./secret";
import { addressOf, inSubnet } from "./net";
import { resolveEdge, type Edge } from "./gateways";
import { resolveHost, type HostParts } from "./hypervisor";
import { parseWith, type Problem } from "./problems";
import { authOf, canDoRootOnly, lxcOsType, placementOf, rootOnlyOperations } from "./proxmox";

export { formatPath, type Problem } from "./problems";

/** Raw configuration: `phoenix:<key>` to value, as a stack file or the Pulumi runtime holds it. */
export interface RawConfig {
  /** Values by full key (`phoenix:vms`). Structured values are already parsed. Encrypted ones read `{secure: ...}`. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Full keys the Pulumi runtime marks as secret (empty when reading a stack file). */
  readonly secretKeys: ReadonlySet<string>;
}

/** A VM or an LXC container, with what the cross-checks and the program need in common. */
export interface Guest {
  readonly kind: "vm" | "lxc";
  /** The VMID or CTID. */
  readonly id: number;
  readonly name: string;
  /** The config path of this guest, e.g. `phoenix:vms[0]`. */
  readonly path: string;
  /** The IPv4 address without prefix. */
  readonly ip: string;
  readonly hasDocker: boolean;
  readonly portainerRole?: "primary" | "agent";
  readonly config: VmConfig | LxcConfig;
  /** `setup_scripts` with their files read and their env resolved (secrets as secrets). */
  readonly setupScripts: readonly SetupScriptDefinition[];
}

/** An application script of a guest, read from the project. */
export interface SetupScriptDefinition {
  readonly name: string;
  /** The path relative to the project folder. */
  readonly source: string;
  readonly content: string;
  readonly env: readonly DeploymentVariable[];
}

/** A stack manifest with its compose file read. */
export interface StackDefinition {
  readonly name: string;
  /** The stack folder, absolute. */
  readonly dir: string;
  /** The manifest path relative to the project, for messages: `stacks/<name>/phoenix.json`. */
  readonly manifestPath: string;
  readonly manifest: Manifest;
  /** The compose file's text, exactly as on disk. */
  readonly composeContent: string;
  /** The service names the compose file defines. */
  readonly services: readonly string[];
  /** The host ports each service publishes (`ports:`), by service; a port without a fixed host port is left out. */
  readonly published: Readonly<Record<string, readonly PublishedPort[]>>;
}

/** A port a compose service publishes on its guest. */
export interface PublishedPort {
  readonly port: number;
  readonly protocol: "tcp" | "udp";
}

/** A variable as deployed: a plain value or a secret. */
export type DeploymentVariable =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly secret: Secret; readonly configKey: string };

/** A config file shipped with a deployment. */
export interface DeploymentFile {
  /** The source path relative to the stack folder. */
  readonly source: string;
  readonly destination: string;
  readonly service?: string;
  readonly content: string;
}

/** One `docker_stacks` assignment, resolved: a stack in an environment on a guest. */
export interface Deployment {
  readonly stack: string;
  readonly environment: string;
  readonly guest: Guest;
  /** The assignment's config path, e.g. `phoenix:vms[1].docker_stacks[0]`. */
  readonly path: string;
  readonly variables: readonly DeploymentVariable[];
  readonly files: readonly DeploymentFile[];
}

/** The validated site: frozen, typed, complete. */
export interface SiteConfig extends Edge, HostParts {
  readonly proxmox: ProxmoxConfig;
  readonly vms: readonly VmConfig[];
  readonly lxcs: readonly LxcConfig[];
  readonly guests: readonly Guest[];
  /** Present when any guest has a Portainer role. `url` is resolved (default `https://<primary ip>:9443`). */
  readonly portainer?: PortainerConfig & { readonly url: string };
  readonly environment?: string;
  /** Present when any guest has features to set up over SSH. */
  readonly guestSsh?: GuestSshConfig;
  /** Site defaults for guest setup (`docker_source` defaults to `docker`). */
  readonly guestSetup: GuestSetupConfig;
  readonly stacks: Readonly<Record<string, StackDefinition>>;
  readonly deployments: readonly Deployment[];
}

export type ValidationResult = { ok: true; site: SiteConfig } | { ok: false; problems: Problem[] };

/** Reads every `stacks/<name>/phoenix.json` with its compose file. Problems name the manifest file. */
export function loadStacks(
  stacksDir: string,
  projectDir: string,
  problems: Problem[],
  broken: Set<string> = new Set(),
): Record<string, StackDefinition> {
  const stacks: Record<string, StackDefinition> = {};
  if (!fs.existsSync(stacksDir)) return stacks;
  const schema = manifestSchema();
  for (const entry of fs.readdirSync(stacksDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(stacksDir, entry.name);
    const file = path.join(dir, "phoenix.json");
    if (!fs.existsSync(file)) continue;
    const shown = path.relative(projectDir, file);
    broken.add(entry.name);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      problems.push({ path: shown, message: `is not valid JSON: ${(e as Error).message}` });
      continue;
    }
    const manifest = parseWith(schema, json, `${shown}: `, problems);
    if (!manifest) continue;
    const before = problems.length;
    if (manifest.name !== entry.name) {
      problems.push({ path: `${shown}: name`, message: `must equal its folder name "${entry.name}"` });
    }
    const compose = readCompose(dir, manifest.compose_file, `${shown}: compose_file`, problems);
    for (const [envName, env] of Object.entries(manifest.environments)) {
      env.files.forEach((f, i) => {
        const where = `${shown}: environments.${envName}.files[${i}]`;
        const src = path.join(dir, f.source);
        if (!fs.existsSync(src) || !fs.statSync(src).isFile()) {
          problems.push({ path: `${where}.source`, message: `file ${path.relative(projectDir, src)} does not exist` });
        }
        if (compose && f.service !== undefined && !compose.services.includes(f.service)) {
          problems.push({
            path: `${where}.service`,
            message:
              `service "${f.service}" is not in ${manifest.compose_file} (services: ` +
              `${compose.services.join(", ")})`,
          });
        }
      });
    }
    const traefik = manifest.traefik_service;
    if (compose && traefik && !compose.services.includes(traefik.service)) {
      problems.push({
        path: `${shown}: traefik_service.service`,
        message:
          `service "${traefik.service}" is not in ` +
          `${manifest.compose_file} (services: ${compose.services.join(", ")})`,
      });
    }
    if (compose && problems.length === before) {
      stacks[manifest.name] = {
        name: manifest.name,
        dir,
        manifestPath: shown,
        manifest,
        composeContent: compose.content,
        services: compose.services,
        published: compose.published,
      };
      broken.delete(entry.name);
    }
  }
  return stacks;
}

function readCompose(
  dir: string,
  rel: string,
  where: string,
  problems: Problem[],
): { content: string; services: string[]; published: Record<string, PublishedPort[]> } | undefined {
  const file = path.join(dir, rel);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    problems.push({ path: where, message: `file ${rel} does not exist in ${path.basename(dir)}/` });
    return undefined;
  }
  const content = fs.readFileSync(file, "utf8");
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (e) {
    problems.push({ path: where, message: `${rel} is not valid YAML: ${(e as Error).message.split("\n")[0]}` });
    return undefined;
  }
  const services = isMap(doc) ? doc["services"] : undefined;
  if (!isMap(services) || Object.keys(services).length === 0) {
    problems.push({ path: where, message: `${rel} must be a compose file with a non-empty services map` });
    return undefined;
  }
  const published = Object.fromEntries(
    Object.entries(services).map(([name, svc]) => [name, publishedPorts(isMap(svc) ? svc["ports"] : undefined)]),
  );
  return { content, services: Object.keys(services), published };
}

/**
 * The fixed host ports of a compose `ports:` list, in both forms (Compose spec, "ports"): `"6333:6333"`,
 * `"127.0.0.1:8080:80/tcp"`, `"8000-8001:8000-8001"`, `{published, target, protocol}`. `"80"` alone publishes a
 * random host port, which no gateway can be pointed at: it is left out.
 */
export function publishedPorts(ports: unknown): PublishedPort[] {
  const out: PublishedPort[] = [];
  const add = (published: string, protocol: string) => {
    const proto = protocol === "udp" ? "udp" : "tcp";
    const [a, b] = published.split("-").map(Number);
    if (!Number.isInteger(a)) return;
    for (let p = a!; p <= (Number.isInteger(b) ? b! : a!); p++) out.push({ port: p, protocol: proto });
  };
  for (const entry of Array.isArray(ports) ? ports : []) {
    if (isMap(entry)) {
      if (entry["published"] !== undefined) add(String(entry["published"]), String(entry["protocol"] ?? "tcp"));
      continue;
    }
    const text = String(entry);
    const [spec, protocol = "tcp"] = text.split("/") as [string, string?];
    const parts = spec.split(":");
    if (parts.length >= 2) add(parts[parts.length - 2]!, protocol);
  }
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a `phoenix:<key>` secret referenced by a manifest variable. */
function readSecretKey(raw: RawConfig, key: string): { secret?: Secret; problem?: string } {
  const v = raw.values[key];
  if (v === undefined || v === null) return { problem: `config key ${key} is not set` };
  if (isMap(v) && typeof v["secure"] === "string") return { secret: Secret.encrypted(key) };
  if (typeof v === "string" && raw.secretKeys.has(key)) return { secret: Secret.of(v, key) };
  return { problem: `config key ${key} must be stored as a secret, not in plain text` };
}

/** The full config key a manifest's `secret` names: `qdrant_api_key` means `phoenix:qdrant_api_key`. */
export function secretConfigKey(name: string): string {
  return name.includes(":") ? name : `${PROJECT}:${name}`;
}

/**
 * Validates a whole site. `stacksDir` holds the stack manifests; `projectDir` is used to print
 * manifest paths relative to the project.
 */
/** Every problem, one per line under a heading naming the stack: how the program and the lab report them. */
export function describeProblems(stack: string, problems: readonly Problem[]): string {
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
  return (
    `Invalid configuration for stack ` +
    `${stack} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`
  );
}

export function validateSite(raw: RawConfig, opts: { stacksDir: string; projectDir: string }): ValidationResult {
  const problems: Problem[] = [];
  const ctx: SecretContext = { secretKeys: raw.secretKeys };
  const key = (k: string) => `${PROJECT}:${k}`;

  // Manifests that failed to load are already reported; checks that depend on them stay quiet.
  const brokenStacks = new Set<string>();
  const stacks = loadStacks(opts.stacksDir, opts.projectDir, problems, brokenStacks);
  const referencedSecrets = new Set<string>();
  for (const s of Object.values(stacks)) {
    for (const env of Object.values(s.manifest.environments)) {
      for (const v of env.variables) if ("secret" in v) referencedSecrets.add(secretConfigKey(v.secret));
    }
  }
  // Unknown keys are reported here, once the guests' setup scripts have named their secrets too.
  const unknownKeysAt = problems.length;

  const proxmox =
    raw.values[key("proxmox")] === undefined
      ? (problems.push({
          path: key("proxmox"),
          message: "is required (endpoint, node_name, datastore, and api_token or username and password)",
        }),
        undefined)
      : parseWith(proxmoxSchema(ctx), raw.values[key("proxmox")], key("proxmox"), problems);
  const environment =
    raw.values[key("environment")] === undefined
      ? undefined
      : parseWith(environmentSchema(), raw.values[key("environment")], key("environment"), problems);
  const portainerRaw = raw.values[key("portainer")];
  const portainer =
    portainerRaw === undefined ? undefined : parseWith(portainerSchema(ctx), portainerRaw, key("portainer"), problems);

  const setupRaw = raw.values[key("guest_setup")];
  const guestSetup = parseWith(guestSetupSchema(), setupRaw ?? {}, key("guest_setup"), problems);
  const sshRaw = raw.values[key("guest_ssh")];
  const guestSsh =
    sshRaw === undefined ? undefined : parseWith(guestSshSchema(ctx), sshRaw, key("guest_ssh"), problems);

  const vms = parseList(raw.values[key("vms")], key("vms"), vmSchema(), problems);
  const lxcs = parseList(raw.values[key("lxcs")], key("lxcs"), lxcSchema(), problems);
  const guests: Guest[] = [
    ...vms.map(({ item, index }) => toGuest("vm", item.vmid, item, `${key("vms")}[${index}]`)),
    ...lxcs.map(({ item, index }) => toGuest("lxc", item.ctid, item, `${key("lxcs")}[${index}]`)),
  ];

  for (const g of guests) {
    for (const sc of g.config.setup_scripts)
      for (const v of Object.values(sc.env))
        if (typeof v === "object") referencedSecrets.add(secretConfigKey(v.secret));
  }
  const unknownKeys: Problem[] = [];
  for (const k of Object.keys(raw.values)) {
    if (!k.startsWith(`${PROJECT}:`)) continue;
    const short = k.slice(PROJECT.length + 1);
    if (!(SITE_KEYS as readonly string[]).includes(short) && !referencedSecrets.has(k) && brokenStacks.size === 0) {
      unknownKeys.push({
        path: k,
        message:
          `unknown config key (known: ${SITE_KEYS.map(key).join(", ")}, and secrets ` +
          `named by stack manifests and setup scripts)`,
      });
    }
  }
  problems.splice(unknownKeysAt, 0, ...unknownKeys);
  for (const g of guests) readSetupScripts(g, raw, opts.projectDir, problems);

  // Every guest, in config order; those that failed their schema with the keys that are valid on their own.
  const keys = (kind: "vm" | "lxc", list: readonly { index: number }[], listKey: string): GuestKeys[] => {
    const rawList = raw.values[key(listKey)];
    if (rawList === undefined || rawList === null) return [];
    // Not a list (reported): whatever roles it meant to hold are unknown.
    if (!Array.isArray(rawList)) return [{ kind, path: key(listKey), portainerRole: null }];
    const parsed = new Map(list.map((x) => [x.index, x]));
    return rawList.map((v, index) => {
      const g = parsed.has(index)
        ? guests.find((x) => x.kind === kind && x.path === `${key(listKey)}[${index}]`)
        : undefined;
      return g ? keysOf(g) : partialKeys(kind, v, `${key(listKey)}[${index}]`);
    });
  };
  checkGuests([...keys("vm", vms, "vms"), ...keys("lxc", lxcs, "lxcs")], problems);
  if (proxmox) checkProxmox(guests, proxmox, problems);
  const hasRoles = guests.some((g) => g.portainerRole !== undefined);
  if (hasRoles && portainerRaw === undefined) {
    problems.push({
      path: key("portainer"),
      message: "is required when a guest has a portainer_role (version, admin_username, admin_password)",
    });
  }
  const primary = guests.find((g) => g.portainerRole === "primary");
  const needsSsh = guests.find((g) => g.config.features.length > 0);
  if (needsSsh && sshRaw === undefined) {
    problems.push({
      path: key("guest_ssh"),
      message:
        `is required: ${needsSsh.path} has features ` +
        `(${needsSsh.config.features.join(", ")}) that phoenix sets up over SSH ` +
        `(public_key, private_key)`,
    });
  }

  const deployments: Deployment[] = [];
  for (const g of guests) {
    g.config.docker_stacks.forEach((a, i) => {
      const where = `${g.path}.docker_stacks[${i}]`;
      const stack = stacks[a.name];
      if (!stack) {
        if (brokenStacks.has(a.name)) return;
        const known = Object.keys(stacks);
        problems.push({
          path: `${where}.name`,
          message: `unknown stack "${a.name}" (stacks: ${known.length ? known.join(", ") : "none"})`,
        });
        return;
      }
      const envName = a.environment ?? environment;
      if (envName === undefined) {
        problems.push({
          path: `${where}.environment`,
          message: `is required: set it here or set ${key("environment")}`,
        });
        return;
      }
      const env = stack.manifest.environments[envName];
      if (!env) {
        problems.push({
          path: a.environment !== undefined ? `${where}.environment` : where,
          message:
            `environment "${envName}" is not defined by ` +
            `${stack.manifestPath} (defines: ` +
            `${Object.keys(stack.manifest.environments).join(", ")})`,
        });
        return;
      }
      if (deployments.some((d) => d.guest === g && d.stack === a.name)) {
        problems.push({
          path: `${where}.name`,
          message:
            `stack "${a.name}" is already assigned to ${g.name}; a stack name is ` + `unique per Portainer environment`,
        });
        return;
      }
      const variables: DeploymentVariable[] = [];
      env.variables.forEach((v, vi) => {
        if ("value" in v) {
          variables.push({ name: v.name, value: String(v.value) });
          return;
        }
        const configKey = secretConfigKey(v.secret);
        const r = readSecretKey(raw, configKey);
        if (r.secret) variables.push({ name: v.name, secret: r.secret, configKey });
        else
          problems.push({
            path: `${stack.manifestPath}: environments.${envName}.variables[${vi}].secret`,
            message:
              `${r.problem} (needed by ${where}); set it with pulumi config set ` +
              `--secret ` +
              `${configKey.startsWith(`${PROJECT}:`) ? configKey.slice(PROJECT.length + 1) : configKey} <value>`,
          });
      });
      const files: DeploymentFile[] = env.files.map((f) => ({
        source: f.source,
        destination: f.destination,
        ...(f.service !== undefined ? { service: f.service } : {}),
        content: fs.readFileSync(path.join(stack.dir, f.source), "utf8"),
      }));
      deployments.push({ stack: a.name, environment: envName, guest: g, path: where, variables, files });
    });
  }

  const edge = resolveEdge(
    raw,
    ctx,
    {
      ...(proxmox ? { proxmox } : {}),
      guests,
      stacks,
      deployments,
      hasPortainer: primary !== undefined && portainer !== undefined,
      hasGuestSsh: sshRaw !== undefined,
    },
    problems,
  );

  const host = resolveHost(
    raw,
    { ...(proxmox ? { proxmox } : {}), guests, firewall: edge?.firewall?.enabled === true },
    problems,
  );
  if (proxmox) checkSnapshots(guests, proxmox, problems);

  if (problems.length > 0 || !proxmox || !edge || !host) return { ok: false, problems };
  const site: SiteConfig = {
    ...edge,
    ...host,
    proxmox,
    vms: vms.map((v) => v.item),
    lxcs: lxcs.map((l) => l.item),
    guests,
    ...(portainer
      ? { portainer: { ...portainer, url: portainer.url ?? `https://${primary ? primary.ip : "127.0.0.1"}:9443` } }
      : {}),
    ...(environment !== undefined ? { environment } : {}),
    ...(guestSsh ? { guestSsh } : {}),
    guestSetup: guestSetup ?? { docker_source: "docker" },
    stacks,
    deployments,
  };
  return { ok: true, site: deepFreeze(site) };
}

/** Snapshots: memory only for VMs; the API token goes only to a server whose certificate phoenix can verify. */
function checkSnapshots(guests: readonly Guest[], proxmox: ProxmoxConfig, problems: Problem[]): void {
  const taking = guests.filter((g) => g.config.snapshot?.after_setup === true);
  for (const g of taking) {
    if (g.kind === "lxc" && g.config.snapshot!.include_memory)
      problems.push({
        path: `${g.path}.snapshot.include_memory`,
        message: "is for VMs only: a container snapshot has no memory state",
      });
  }
  if (taking.length > 0 && proxmox.insecure && proxmox.ca_cert === undefined)
    problems.push({
      path: `${PROJECT}:proxmox.ca_cert`,
      message:
        `is required for snapshots (${taking[0]!.path}.snapshot) while insecure is true: phoenix sends the API ` +
        "token only to a server it can verify; set it to the node's /etc/pve/pve-root-ca.pem",
    });
}

function parseList<S extends z.ZodType>(
  value: unknown,
  prefix: string,
  schema: S,
  problems: Problem[],
): { item: z.output<S>; index: number }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push({ path: prefix, message: "must be a list" });
    return [];
  }
  const out: { item: z.output<S>; index: number }[] = [];
  value.forEach((v, index) => {
    const item = parseWith(schema, v, `${prefix}[${index}]`, problems);
    if (item !== undefined) out.push({ item, index });
  });
  return out;
}

function toGuest(kind: "vm" | "lxc", id: number, c: VmConfig | LxcConfig, p: string): Guest {
  return {
    kind,
    id,
    name: c.name,
    path: p,
    ip: addressOf(c.network_config.ip),
    hasDocker: c.features.includes("docker"),
    ...(c.portainer_role !== undefined ? { portainerRole: c.portainer_role } : {}),
    config: c,
    setupScripts: [],
  };
}

/**
 * What the cross-checks read of one guest: each key present only when it is valid on its own, so a guest
 * with an invalid key elsewhere (say `cores: -2`) is still checked for what it has.
 */
interface GuestKeys {
  readonly kind: "vm" | "lxc";
  readonly path: string;
  readonly id?: number;
  readonly name?: string;
  readonly network?: { readonly ip: string; readonly gw: string };
  readonly features?: readonly string[];
  /** `null`: the key is set but invalid, so role counts cannot be trusted. */
  readonly portainerRole?: "primary" | "agent" | null;
  readonly dockerStacks?: number;
  readonly proxmoxFeatures?: { readonly nesting: boolean; readonly keyctl: boolean };
}

function keysOf(g: Guest): GuestKeys {
  return {
    kind: g.kind,
    path: g.path,
    id: g.id,
    name: g.name,
    network: g.config.network_config,
    features: g.config.features,
    ...(g.portainerRole !== undefined ? { portainerRole: g.portainerRole } : {}),
    dockerStacks: g.config.docker_stacks.length,
    ...(g.kind === "lxc" ? { proxmoxFeatures: (g.config as LxcConfig).proxmox_features } : {}),
  };
}

/** The keys of a guest that failed its schema, each parsed with its own schema from the guest's. */
function partialKeys(kind: "vm" | "lxc", value: unknown, path: string): GuestKeys {
  const shape = (kind === "vm" ? vmSchema() : lxcSchema()).shape as Record<string, z.ZodType>;
  const o = isMap(value) ? value : {};
  const valid = <T>(k: string): T | undefined => {
    if (!(k in o)) return undefined;
    const r = shape[k]!.safeParse(o[k]);
    return r.success ? (r.data as T) : undefined;
  };
  const id = valid<number>(kind === "vm" ? "vmid" : "ctid");
  const name = valid<string>("name");
  const network = valid<{ ip: string; gw: string }>("network_config");
  const features = valid<string[]>("features");
  const role = "portainer_role" in o ? (valid<"primary" | "agent">("portainer_role") ?? null) : undefined;
  const stacks = valid<unknown[]>("docker_stacks");
  const pf = kind === "lxc" ? valid<{ nesting: boolean; keyctl: boolean }>("proxmox_features") : undefined;
  return {
    kind,
    path,
    ...(id !== undefined ? { id } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(network ? { network } : {}),
    ...(features ? { features } : {}),
    ...(role !== undefined ? { portainerRole: role } : {}),
    ...(stacks ? { dockerStacks: stacks.length } : {}),
    ...(pf ? { proxmoxFeatures: pf } : {}),
  };
}

/** Cross-checks between guests, each on the guests whose keys it needs. */
function checkGuests(all: readonly GuestKeys[], problems: Problem[]): void {
  const label = (g: GuestKeys) => {
    const id = g.id !== undefined ? ` ${g.id}` : "";
    const name = g.name !== undefined ? ` "${g.name}"` : "";
    return `${g.path} (${g.kind === "vm" ? "VM" : "LXC"}${id}${name})`;
  };
  all.forEach((g, i) => {
    const idKey = g.kind === "vm" ? "vmid" : "ctid";
    const firstId = all.findIndex((o) => o.id !== undefined && o.id === g.id);
    if (g.id !== undefined && firstId < i)
      problems.push({
        path: `${g.path}.${idKey}`,
        message: `${g.id} is already used by ${label(all[firstId]!)}; VMs and LXCs share one id space`,
      });
    const ip = g.network ? addressOf(g.network.ip) : undefined;
    const firstIp = all.findIndex((o) => o.network !== undefined && addressOf(o.network.ip) === ip);
    if (ip !== undefined && firstIp < i)
      problems.push({
        path: `${g.path}.network_config.ip`,
        message: `${ip} is already used by ${label(all[firstIp]!)}`,
      });
    const firstName = all.findIndex((o) => o.name !== undefined && o.name.toLowerCase() === g.name?.toLowerCase());
    if (g.name !== undefined && firstName < i)
      problems.push({
        path: `${g.path}.name`,
        message:
          `"${g.name}" is already used by ${label(all[firstName]!)}; guest names ` +
          `name Portainer environments and must be unique`,
      });
    if (g.network && !inSubnet(g.network.gw, g.network.ip)) {
      problems.push({
        path: `${g.path}.network_config.gw`,
        message: `${g.network.gw} is outside the guest's subnet ${g.network.ip}`,
      });
    }
    const hasDocker = g.features?.includes("docker");
    if (hasDocker === false && g.portainerRole) {
      problems.push({
        path: `${g.path}.portainer_role`,
        message:
          `"${g.portainerRole}" needs the docker feature on this guest (features: ` +
          `${g.features!.join(", ") || "none"})`,
      });
    }
    if ((g.dockerStacks ?? 0) > 0) {
      if (hasDocker === false)
        problems.push({ path: `${g.path}.docker_stacks`, message: "needs the docker feature on this guest" });
      else if (hasDocker && g.portainerRole === undefined)
        problems.push({
          path: `${g.path}.docker_stacks`,
          message:
            'needs a portainer_role ("primary" or "agent"): Portainer deploys stacks ' +
            "only to guests running its server or an agent",
        });
    }
    if (
      g.kind === "lxc" &&
      hasDocker &&
      g.proxmoxFeatures &&
      (!g.proxmoxFeatures.nesting || !g.proxmoxFeatures.keyctl)
    ) {
      problems.push({
        path: `${g.path}.proxmox_features`,
        message: "Docker inside an LXC needs nesting: true and keyctl: true",
      });
    }
  });
  const primaries = all.filter((g) => g.portainerRole === "primary");
  const agents = all.filter((g) => g.portainerRole === "agent");
  // A role that is set but invalid might be the missing primary: then the count is not reported.
  const rolesKnown = all.every((g) => g.portainerRole !== null);
  if (primaries.length > 1) {
    for (const g of primaries.slice(1))
      problems.push({
        path: `${g.path}.portainer_role`,
        message: `only one guest may be "primary"; ${label(primaries[0]!)} already is`,
      });
  } else if (primaries.length === 0 && agents.length > 0 && rolesKnown) {
    problems.push({
      path: `${agents[0]!.path}.portainer_role`,
      message: `"agent" needs exactly one guest with portainer_role "primary" (found none)`,
    });
  }
}

/** Reads a guest's setup scripts from the project and resolves their env; problems name the key. */
function readSetupScripts(g: Guest, raw: RawConfig, projectDir: string, problems: Problem[]): void {
  const out = g.setupScripts as SetupScriptDefinition[];
  g.config.setup_scripts.forEach((sc, i) => {
    const where = `${g.path}.setup_scripts[${i}]`;
    const file = path.join(projectDir, sc.source);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      problems.push({ path: `${where}.source`, message: `file ${sc.source} does not exist in the project` });
      return;
    }
    if (g.config.features.length === 0) {
      problems.push({
        path: `${where}`,
        message: "setup scripts run over SSH after the features: give this guest base_setup or docker",
      });
      return;
    }
    const env: DeploymentVariable[] = [];
    for (const [name, v] of Object.entries(sc.env)) {
      if (typeof v !== "object") {
        env.push({ name, value: String(v) });
        continue;
      }
      const configKey = secretConfigKey(v.secret);
      const r = readSecretKey(raw, configKey);
      if (r.secret) env.push({ name, secret: r.secret, configKey });
      else
        problems.push({
          path: `${where}.env.${name}`,
          message:
            `${r.problem}; set it with pulumi config set --secret ` + `${configKey.slice(PROJECT.length + 1)} <value>`,
        });
    }
    out.push({ name: sc.name, source: sc.source, content: fs.readFileSync(file, "utf8"), env });
  });
}

/** What Proxmox itself would refuse, or do wrong, for a guest: storage, OS type, root-only operations, PCIe. */
function checkProxmox(guests: readonly Guest[], proxmox: ProxmoxConfig, problems: Problem[]): void {
  const auth = authOf(proxmox);
  const root = canDoRootOnly(proxmox);
  for (const g of guests) {
    const c = g.config;
    if (placementOf(proxmox, c).datastore === undefined) {
      problems.push({
        path: `${g.path}.datastore`,
        message:
          `is required: set the site default phoenix:proxmox.datastore (e.g. ` +
          `local-zfs) or datastore on this guest; the provider would otherwise put ` +
          `${g.kind === "vm" ? "its disks and cloud-init drive on local-lvm" : "its root filesystem on local"}`,
      });
    }
    for (const op of rootOnlyOperations(g.kind, c)) {
      if (root) continue;
      const who =
        auth.kind === "password"
          ? `phoenix signs in as ${auth.user}`
          : `phoenix signs in with ${auth.user}, and Proxmox refuses root-only operations to every API token`;
      problems.push({
        path: `${g.path}.${op.key}`,
        message:
          `needs root@pam: Proxmox says "${op.reason}", and ${who}; set ` +
          `phoenix:proxmox.username to root@pam and phoenix:proxmox.password ` +
          `(secret), or remove it`,
      });
    }
    if (g.kind === "lxc") {
      const l = c as LxcConfig;
      if (l.template === undefined && l.os_type !== undefined) {
        problems.push({
          path: `${g.path}.os_type`,
          message: "applies only to a container made from a template; a clone keeps the OS type of its source",
        });
      } else if (l.template !== undefined && lxcOsType(l) === undefined) {
        problems.push({
          path: `${g.path}.os_type`,
          message:
            `is required: the distribution cannot be told from ` +
            `${l.template.split("/").pop()} (one of ` +
            `${LXC_OS_TYPES.filter((t) => t !== "unmanaged").join(", ")}); without it ` +
            `Proxmox configures no address, hostname or SSH key`,
        });
      } else if (lxcOsType(l) === "unmanaged" && l.features.length > 0) {
        problems.push({
          path: `${g.path}.os_type`,
          message:
            `"unmanaged" makes Proxmox configure no address or SSH key, so phoenix ` +
            `cannot set this guest up over SSH (features: ${l.features.join(", ")})`,
        });
      }
      const seen = new Set<string>();
      l.mount_points.forEach((m, i) => {
        if (seen.has(m.path))
          problems.push({ path: `${g.path}.mount_points[${i}].path`, message: `${m.path} is mounted twice` });
        seen.add(m.path);
      });
    } else {
      const v = c as VmConfig;
      const used = new Set<string>(["scsi0"]);
      v.disks.forEach((d, i) => {
        if (d.interface === "scsi0")
          problems.push({
            path: `${g.path}.disks[${i}].interface`,
            message:
              "scsi0 is the boot disk cloned from the template (disk_size_gb sizes it); " +
              "give extra disks another interface",
          });
        else if (used.has(d.interface))
          problems.push({
            path: `${g.path}.disks[${i}].interface`,
            message: `${d.interface} is used by another disk of this VM`,
          });
        used.add(d.interface);
      });
      v.gpus.forEach((gpu, i) => {
        if (gpu.pcie && !(v.machine ?? "").includes("q35")) {
          problems.push({
            path: `${g.path}.gpus[${i}].pcie`,
            message:
              `needs machine: q35 on this VM (Proxmox refuses PCIe passthrough on the ` +
              `i440fx machine${v.machine ? ` "${v.machine}"` : ", the default"}); set ` +
              `machine: q35 or pcie: false`,
          });
        }
      });
    }
  }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null && !Object.isFrozen(o) && !(o instanceof Secret)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
