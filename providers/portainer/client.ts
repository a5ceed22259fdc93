/**
 * The Portainer CE API client: the only module in phoenix that speaks HTTP to Portainer.
 *
 * It owns the base URL, authentication (an API key, or a username and password exchanged once for a
 * JWT), TLS (verified by default, a pinned CA, or skipped when configured), per-request timeouts,
 * retries with exponential backoff and jitter (idempotent requests only; a POST only behind an
 * "already done?" check the caller supplies), connection reuse, response parsing with zod, and typed
 * errors. Facts about the API come from ../shared/portainer/CONTRACT.md (cited as "C" + section).
 *
 * Nothing here is instantiated at module top level: the providers that import this module are
 * closure-serialized by Pulumi, which fails on live objects such as agents or zod schemas.
 */
import { Agent, FormData, request } from "undici";
import type { z } from "zod";
import { PortainerError, isNotFound, isPortainerError, isRetryable, type Operation } from "./errors";
import { ROUTES, fillPath, type RouteName } from "./routes";
import {
  wireSchemas,
  type ApiKey,
  type ApiKeyCreated,
  type DockerObject,
  type EndpointGroup,
  type EnvVar,
  type Environment,
  type Stack,
  type Status,
  type Tag,
  type User,
} from "./wire";

/** The oldest Portainer this client supports: `/api/stacks/create/...` arrived in 2.19 (C6.3). */
export const MIN_SUPPORTED_VERSION = "2.19.0";

/** How the client authenticates. */
export type PortainerAuth =
  | { readonly apiKey: string }
  | { readonly username: string; readonly password: string };

export interface PortainerClientOptions {
  /** The Portainer URL, e.g. `https://10.0.0.101:9443` (a trailing `/api` is accepted). */
  readonly url: string;
  /** Credentials. Without them only public routes work. */
  readonly auth?: PortainerAuth;
  /** TLS: verified against the system CAs by default. */
  readonly tls?: { readonly caCert?: string; readonly insecureSkipVerify?: boolean };
  /** Per-attempt timeout in milliseconds. Defaults to 30,000. */
  readonly timeoutMs?: number;
  /** Retry policy for retryable failures. Defaults to 4 attempts, 250 ms base, 5 s cap. */
  readonly retry?: { readonly attempts?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number };
  /** The one-time setup token Portainer 2.43+ requires on admin init (`X-Setup-Token`). */
  readonly setupToken?: string;
  /** Injected for tests: waits between retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected for tests: jitter source in [0, 1). */
  readonly random?: () => number;
}

/** Retry behaviour of one request. */
type RetryMode<T> = "idempotent" | "never" | { readonly alreadyDone: () => Promise<T | undefined> };

interface Call<T> {
  readonly route: RouteName;
  readonly params?: Readonly<Record<string, string | number>>;
  readonly query?: Readonly<Record<string, string | number | boolean | readonly (string | number)[] | undefined>>;
  readonly json?: unknown;
  readonly form?: Readonly<Record<string, string>>;
  /** `none` for public routes; `jwt` where Portainer refuses API keys (API key creation, C3). */
  readonly auth: "none" | "any" | "jwt";
  readonly op: Operation;
  /** Success statuses. */
  readonly ok: readonly number[];
  /** Parses a successful body; absent for bodiless answers. */
  readonly parse?: (body: unknown) => T;
  readonly retry: RetryMode<T>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Skip the version check (used by the version probe itself and by admin bootstrap routes). */
  readonly unversioned?: boolean;
}

/** Stack list filters (C6.4). */
export interface StackFilters {
  readonly endpointId?: number;
  readonly swarmId?: string;
  readonly includeOrphaned?: boolean;
}

/** Fields of `POST /api/endpoints` (C5.3). */
export interface EnvironmentCreate {
  readonly name: string;
  /** 1 Docker API or socket, 2 Portainer agent, 4 Edge agent. */
  readonly creationType: 1 | 2 | 4;
  readonly url?: string;
  readonly publicUrl?: string;
  readonly groupId?: number;
  readonly tagIds?: readonly number[];
  readonly tls?: boolean;
  readonly tlsSkipVerify?: boolean;
  readonly tlsSkipClientVerify?: boolean;
}

/** Fields of `PUT /api/endpoints/{id}`: omitted means unchanged (C5.6). */
export interface EnvironmentUpdate {
  readonly name?: string;
  readonly url?: string;
  readonly publicUrl?: string;
  readonly groupId?: number;
  readonly tagIds?: readonly number[];
  readonly tls?: boolean;
  readonly tlsSkipVerify?: boolean;
  readonly tlsSkipClientVerify?: boolean;
}

/** A stack's content: the compose file and its environment variables. */
export interface StackContent {
  readonly stackFileContent: string;
  readonly env: readonly EnvVar[];
}

/** Portainer's stack-name normalisation: lower-case, then only `[-_a-z0-9]` kept (C6.2). */
export function normalizeStackName(name: string): string {
  return name.toLowerCase().replace(/[^-_a-z0-9]/g, "");
}

/** Compares dotted versions numerically; negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

type Schemas = ReturnType<typeof wireSchemas>;

const TLS_CODES = /^(ERR_TLS|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_SSL|HOSTNAME_MISMATCH)/;

/** Creates a client. It holds one connection pool; call {@link PortainerClient.close} when done. */
export function createPortainerClient(options: PortainerClientOptions): PortainerClient {
  return new PortainerClient(options);
}

export class PortainerClient {
  /** The base URL without a trailing slash or `/api`. */
  readonly baseUrl: string;
  private readonly agent: Agent;
  private readonly schemas = wireSchemas();
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private jwt: string | undefined;
  /** Errors no retry loop may retry: failed logins (the login route is rate-limited, C1.6). */
  private readonly final = new WeakSet<object>();
  private versionPromise: Promise<string> | undefined;
  private loginCount = 0;

  constructor(private readonly options: PortainerClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, "").replace(/\/api$/, "");
    const tls = options.tls ?? {};
    this.agent = new Agent({
      connect: {
        rejectUnauthorized: tls.insecureSkipVerify !== true,
        ...(tls.caCert !== undefined ? { ca: tls.caCert } : {}),
      },
      keepAliveTimeout: 10_000,
    });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.attempts = Math.max(1, options.retry?.attempts ?? 4);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 250;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** How many times this client logged in (`POST /api/auth`). Portainer bans an IP after a burst (C1.6). */
  get logins(): number {
    return this.loginCount;
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  // ---- system ---------------------------------------------------------------------------------

  /** The public status probe: `GET /api/system/status`, or `/api/status` on servers before 2.17 (C4). */
  async status(): Promise<Status> {
    const op = { action: "read", resource: "status" };
    try {
      return await this.call({ route: "systemStatus", auth: "none", op, ok: [200], parse: this.parser("status"), retry: "idempotent", unversioned: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return this.call({ route: "legacyStatus", auth: "none", op, ok: [200], parse: this.parser("status"), retry: "idempotent", unversioned: true });
    }
  }

  /** The server version, read once per client. Rejects servers older than {@link MIN_SUPPORTED_VERSION}. */
  version(): Promise<string> {
    if (!this.versionPromise) {
      this.versionPromise = this.status().then((s) => {
        if (compareVersions(s.Version, MIN_SUPPORTED_VERSION) < 0) {
          throw new PortainerError({
            kind: "unsupported",
            operation: { action: "use", resource: "server", id: this.baseUrl },
            method: "GET",
            path: "/api/system/status",
            serverMessage: `version ${s.Version} is older than ${MIN_SUPPORTED_VERSION}, the oldest phoenix supports; upgrade Portainer`,
          });
        }
        return s.Version;
      });
      this.versionPromise.catch(() => (this.versionPromise = undefined));
    }
    return this.versionPromise;
  }

  // ---- admin bootstrap and authentication -------------------------------------------------------

  /** True when an administrator exists (`204`), false when none does (`404`) (C2). */
  async adminExists(): Promise<boolean> {
    try {
      await this.call({ route: "adminCheck", auth: "none", op: { action: "check", resource: "administrator" }, ok: [204], retry: "idempotent", unversioned: true });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /**
   * Creates the first administrator (`POST /api/users/admin/init`). Not idempotent: a second call is 409.
   * A lost answer is checked with {@link adminExists} before any retry: `null` then means an administrator
   * exists now but this call cannot tell who made it. Sends `X-Setup-Token` when set.
   */
  async initAdmin(username: string, password: string): Promise<User | null> {
    return this.call<User | null>({
      route: "adminInit",
      auth: "none",
      op: { action: "initialise", resource: "administrator", id: username },
      json: { Username: username, Password: password },
      ...(this.options.setupToken !== undefined ? { headers: { "X-Setup-Token": this.options.setupToken } } : {}),
      ok: [200],
      parse: this.parser("user"),
      retry: { alreadyDone: async () => ((await this.adminExists()) ? null : undefined) },
      unversioned: true,
    });
  }

  /**
   * Logs in with the configured username and password and keeps the JWT (`POST /api/auth`). Called
   * lazily by authenticated requests; never retried (the route is rate-limited, C1.6).
   */
  async login(): Promise<void> {
    const auth = this.options.auth;
    if (!auth || !("username" in auth)) {
      throw new PortainerError({ kind: "unsupported", operation: { action: "log in to", resource: "server", id: this.baseUrl }, method: "POST", path: "/api/auth", serverMessage: "the client has no username and password" });
    }
    this.loginCount++;
    const r = await this.call({
      route: "auth",
      auth: "none",
      op: { action: "log in as", resource: "user", id: auth.username },
      json: { Username: auth.username, Password: auth.password },
      ok: [200],
      parse: this.parser("auth"),
      retry: "never",
      unversioned: true,
    });
    this.jwt = r.jwt;
  }

  /** The authenticated user (`GET /api/users/me`, 2.20+; from the JWT's claims on 2.19) (C3). */
  async me(): Promise<User> {
    const version = await this.version();
    if (compareVersions(version, "2.20.0") < 0) {
      if (!this.jwt) await this.login();
      const claims = JSON.parse(Buffer.from(this.jwt!.split(".")[1] ?? "", "base64url").toString("utf8")) as { id: number; username: string; role: number };
      return { Id: claims.id, Username: claims.username, Role: claims.role };
    }
    return this.call({ route: "usersMe", auth: "any", op: { action: "read", resource: "user", id: "me" }, ok: [200], parse: this.parser("user"), retry: "idempotent" });
  }

  // ---- API keys (C3) ---------------------------------------------------------------------------

  /**
   * Creates an API key for `userId` (the caller itself). Needs the JWT of a password login and, on 2.20+,
   * the password again. Never retried: the raw key is shown only in this answer.
   */
  async createApiKey(userId: number, description: string, password: string): Promise<ApiKeyCreated> {
    const version = await this.version();
    const json = compareVersions(version, "2.20.0") < 0 ? { description } : { description, password };
    return this.call({ route: "apiKeyCreate", params: { id: userId }, auth: "jwt", op: { action: "create", resource: "API key", id: description }, json, ok: [200, 201], parse: this.parser("apiKeyCreated"), retry: "never" });
  }

  async listApiKeys(userId: number): Promise<ApiKey[]> {
    return this.call({ route: "apiKeyList", params: { id: userId }, auth: "any", op: { action: "list", resource: "API keys", id: `of user ${userId}` }, ok: [200], parse: this.listParser("apiKey"), retry: "idempotent" });
  }

  /** Deletes an API key. Portainer answers an unknown key id with 500 "API Key not found": {@link isNotFound} is true for it. */
  async deleteApiKey(userId: number, keyId: number): Promise<void> {
    await this.call({ route: "apiKeyDelete", params: { id: userId, keyID: keyId }, auth: "any", op: { action: "delete", resource: "API key", id: keyId }, ok: [204], retry: "idempotent" });
  }

  // ---- endpoint groups (C5.8) --------------------------------------------------------------------

  async createGroup(name: string, description: string, tagIds: readonly number[] = []): Promise<EndpointGroup> {
    return this.call({
      route: "groupCreate",
      auth: "any",
      op: { action: "create", resource: "environment group", id: name },
      json: { Name: name, Description: description, TagIDs: tagIds },
      ok: [200],
      parse: this.parser("group"),
      // Group names are not unique in Portainer: a lost answer is found again by name.
      retry: { alreadyDone: async () => (await this.listGroups()).find((g) => g.Name === name) },
    });
  }

  async listGroups(): Promise<EndpointGroup[]> {
    return this.call({ route: "groupList", auth: "any", op: { action: "list", resource: "environment groups" }, ok: [200], parse: this.listParser("group"), retry: "idempotent" });
  }

  async getGroup(id: number): Promise<EndpointGroup> {
    return this.call({ route: "groupGet", params: { id }, auth: "any", op: { action: "read", resource: "environment group", id }, ok: [200], parse: this.parser("group"), retry: "idempotent" });
  }

  async updateGroup(id: number, update: { name?: string; description?: string; tagIds?: readonly number[] }): Promise<EndpointGroup> {
    const json = { ...(update.name !== undefined ? { Name: update.name } : {}), ...(update.description !== undefined ? { Description: update.description } : {}), ...(update.tagIds !== undefined ? { TagIDs: update.tagIds } : {}) };
    return this.call({ route: "groupUpdate", params: { id }, auth: "any", op: { action: "update", resource: "environment group", id }, json, ok: [200], parse: this.parser("group"), retry: "idempotent" });
  }

  async deleteGroup(id: number): Promise<void> {
    await this.call({ route: "groupDelete", params: { id }, auth: "any", op: { action: "delete", resource: "environment group", id }, ok: [204], retry: "idempotent" });
  }

  // ---- tags (C5.9) -------------------------------------------------------------------------------

  async createTag(name: string): Promise<Tag> {
    return this.call({
      route: "tagCreate",
      auth: "any",
      op: { action: "create", resource: "tag", id: name },
      json: { Name: name },
      ok: [200],
      parse: this.parser("tag"),
      retry: { alreadyDone: async () => (await this.listTags()).find((t) => t.Name === name) },
    });
  }

  async listTags(): Promise<Tag[]> {
    return this.call({ route: "tagList", auth: "any", op: { action: "list", resource: "tags" }, ok: [200], parse: this.listParser("tag"), retry: "idempotent" });
  }

  async deleteTag(id: number): Promise<void> {
    await this.call({ route: "tagDelete", params: { id }, auth: "any", op: { action: "delete", resource: "tag", id }, ok: [204], retry: "idempotent" });
  }

  // ---- environments (C5.3–5.7) -------------------------------------------------------------------

  /**
   * Registers an environment. The form follows Portainer's rules: `TagIds` is one field holding a JSON
   * array, booleans are lowercase `true`/`false` (C10.2, C10.3). A lost answer is looked up by name.
   */
  async createEnvironment(e: EnvironmentCreate): Promise<Environment> {
    const form: Record<string, string> = { Name: e.name, EndpointCreationType: String(e.creationType) };
    if (e.url !== undefined) form["URL"] = e.url;
    if (e.publicUrl !== undefined) form["PublicURL"] = e.publicUrl;
    if (e.groupId !== undefined) form["GroupID"] = String(e.groupId);
    if (e.tagIds !== undefined) form["TagIds"] = JSON.stringify(e.tagIds);
    if (e.tls !== undefined) form["TLS"] = e.tls ? "true" : "false";
    if (e.tlsSkipVerify !== undefined) form["TLSSkipVerify"] = e.tlsSkipVerify ? "true" : "false";
    if (e.tlsSkipClientVerify !== undefined) form["TLSSkipClientVerify"] = e.tlsSkipClientVerify ? "true" : "false";
    return this.call({
      route: "environmentCreate",
      auth: "any",
      op: { action: "create", resource: "environment", id: e.name },
      form,
      ok: [200],
      parse: this.parser("environment"),
      retry: { alreadyDone: () => this.findEnvironment(e.name) },
    });
  }

  /** Lists environments; `name` is Portainer's exact, case-sensitive filter (C5.4). */
  async listEnvironments(filter: { name?: string } = {}): Promise<Environment[]> {
    return this.call({
      route: "environmentList",
      query: { name: filter.name, excludeSnapshots: true },
      auth: "any",
      op: { action: "list", resource: "environments" },
      ok: [200],
      parse: this.listParser("environment"),
      retry: "idempotent",
    });
  }

  /** The environment with exactly this name, if any. */
  async findEnvironment(name: string): Promise<Environment | undefined> {
    return (await this.listEnvironments({ name })).find((e) => e.Name === name);
  }

  async getEnvironment(id: number): Promise<Environment> {
    return this.call({ route: "environmentGet", params: { id }, auth: "any", op: { action: "read", resource: "environment", id }, ok: [200], parse: this.parser("environment"), retry: "idempotent" });
  }

  async updateEnvironment(id: number, u: EnvironmentUpdate): Promise<Environment> {
    const json: Record<string, unknown> = {};
    if (u.name !== undefined) json["Name"] = u.name;
    if (u.url !== undefined) json["URL"] = u.url;
    if (u.publicUrl !== undefined) json["PublicURL"] = u.publicUrl;
    if (u.groupId !== undefined) json["GroupID"] = u.groupId;
    if (u.tagIds !== undefined) json["TagIDs"] = u.tagIds;
    if (u.tls !== undefined) json["TLS"] = u.tls;
    if (u.tlsSkipVerify !== undefined) json["TLSSkipVerify"] = u.tlsSkipVerify;
    if (u.tlsSkipClientVerify !== undefined) json["TLSSkipClientVerify"] = u.tlsSkipClientVerify;
    return this.call({ route: "environmentUpdate", params: { id }, auth: "any", op: { action: "update", resource: "environment", id }, json, ok: [200], parse: this.parser("environment"), retry: "idempotent" });
  }

  async deleteEnvironment(id: number): Promise<void> {
    await this.call({ route: "environmentDelete", params: { id }, auth: "any", op: { action: "delete", resource: "environment", id }, ok: [204], retry: "idempotent" });
  }

  // ---- stacks (C6) -------------------------------------------------------------------------------

  /** Creates a compose stack from a string. A lost answer is found by normalised name on the environment. */
  async createStandaloneStack(endpointId: number, name: string, content: StackContent): Promise<Stack> {
    return this.call({
      route: "stackCreateStandalone",
      query: { endpointId },
      auth: "any",
      op: { action: "create", resource: "stack", id: name },
      json: { Name: name, StackFileContent: content.stackFileContent, Env: content.env },
      ok: [200],
      parse: this.parser("stack"),
      retry: { alreadyDone: () => this.findStack(name, { endpointId }) },
    });
  }

  /** Creates a swarm stack from a string; `swarmId` comes from {@link swarmId}. */
  async createSwarmStack(endpointId: number, swarmId: string, name: string, content: StackContent): Promise<Stack> {
    return this.call({
      route: "stackCreateSwarm",
      query: { endpointId },
      auth: "any",
      op: { action: "create", resource: "stack", id: name },
      json: { Name: name, SwarmID: swarmId, StackFileContent: content.stackFileContent, Env: content.env },
      ok: [200],
      parse: this.parser("stack"),
      retry: { alreadyDone: () => this.findStack(name, { endpointId, swarmId }) },
    });
  }

  /** Lists stacks. `{endpointId}` alone omits swarm stacks: pass `swarmId` too (C10.10). */
  async listStacks(filters: StackFilters = {}): Promise<Stack[]> {
    const f: Record<string, unknown> = {};
    if (filters.endpointId !== undefined) f["EndpointID"] = filters.endpointId;
    if (filters.swarmId !== undefined) f["SwarmID"] = filters.swarmId;
    if (filters.includeOrphaned !== undefined) f["IncludeOrphanedStacks"] = filters.includeOrphaned;
    return this.call({
      route: "stackList",
      query: { filters: Object.keys(f).length > 0 ? JSON.stringify(f) : undefined },
      auth: "any",
      op: { action: "list", resource: "stacks" },
      ok: [200],
      parse: this.listParser("stack"),
      retry: "idempotent",
    });
  }

  /** The stack whose normalised name matches on that environment, if any. */
  async findStack(name: string, where: { endpointId: number; swarmId?: string }): Promise<Stack | undefined> {
    const wanted = normalizeStackName(name);
    const stacks = await this.listStacks({ endpointId: where.endpointId, ...(where.swarmId !== undefined ? { swarmId: where.swarmId } : {}) });
    return stacks.find((s) => normalizeStackName(s.Name) === wanted && s.EndpointId === where.endpointId);
  }

  async getStack(id: number): Promise<Stack> {
    return this.call({ route: "stackGet", params: { id }, auth: "any", op: { action: "read", resource: "stack", id }, ok: [200], parse: this.parser("stack"), retry: "idempotent" });
  }

  /** The stack's compose file as deployed. */
  async getStackFile(id: number): Promise<string> {
    const r = await this.call({ route: "stackFile", params: { id }, auth: "any", op: { action: "read the file of", resource: "stack", id }, ok: [200], parse: this.parser("stackFile"), retry: "idempotent" });
    return r.StackFileContent;
  }

  /**
   * Redeploys a stack. `Env` replaces the whole list and is always sent, as is the compose file (C10.11);
   * `endpointId` must be the stack's own (C10.12).
   */
  async updateStack(id: number, endpointId: number, content: StackContent & { prune?: boolean; pullImage?: boolean }): Promise<Stack> {
    return this.call({
      route: "stackUpdate",
      params: { id },
      query: { endpointId },
      auth: "any",
      op: { action: "update", resource: "stack", id },
      json: { StackFileContent: content.stackFileContent, Env: content.env, Prune: content.prune ?? false, PullImage: content.pullImage ?? false },
      ok: [200],
      parse: this.parser("stack"),
      retry: "idempotent",
    });
  }

  /** Starts a stopped stack. A lost answer is checked by reading the stack's status (1 = active). */
  async startStack(id: number, endpointId: number): Promise<Stack> {
    return this.call({
      route: "stackStart",
      params: { id },
      query: { endpointId },
      auth: "any",
      op: { action: "start", resource: "stack", id },
      ok: [200],
      parse: this.parser("stack"),
      retry: { alreadyDone: async () => { const s = await this.getStack(id); return s.Status === 1 ? s : undefined; } },
    });
  }

  /** Stops a running stack. A lost answer is checked by reading the stack's status (2 = inactive). */
  async stopStack(id: number, endpointId: number): Promise<Stack> {
    return this.call({
      route: "stackStop",
      params: { id },
      query: { endpointId },
      auth: "any",
      op: { action: "stop", resource: "stack", id },
      ok: [200],
      parse: this.parser("stack"),
      retry: { alreadyDone: async () => { const s = await this.getStack(id); return s.Status === 2 ? s : undefined; } },
    });
  }

  /** Deletes a stack, always with its own `endpointId` (C10.12). 5xx answers are retried (C10.14). */
  async deleteStack(id: number, endpointId: number): Promise<void> {
    await this.call({ route: "stackDelete", params: { id }, query: { endpointId }, auth: "any", op: { action: "delete", resource: "stack", id }, ok: [204], retry: "idempotent" });
  }

  // ---- Docker API through Portainer's proxy (C7) ---------------------------------------------------

  /** The swarm id of a swarm environment, needed to create swarm stacks (C10.25). */
  async swarmId(endpointId: number): Promise<string> {
    const r = await this.call({ route: "dockerSwarm", params: { id: endpointId }, auth: "any", op: { action: "read the swarm of", resource: "environment", id: endpointId }, ok: [200], parse: this.parser("swarm"), retry: "idempotent" });
    return r.ID;
  }

  /** Creates a Docker config (`data` is the plain content; it is sent base64-encoded). Portainer answers 200, Docker 201 (C10.24). */
  async createDockerConfig(endpointId: number, name: string, data: string, labels: Readonly<Record<string, string>> = {}): Promise<string> {
    return this.createDockerObject("config", endpointId, name, data, labels);
  }

  async listDockerConfigs(endpointId: number): Promise<DockerObject[]> {
    return this.call({ route: "dockerConfigList", params: { id: endpointId }, auth: "any", op: { action: "list", resource: "Docker configs", id: `of environment ${endpointId}` }, ok: [200], parse: this.listParser("dockerObject"), retry: "idempotent" });
  }

  async getDockerConfig(endpointId: number, id: string): Promise<DockerObject> {
    return this.call({ route: "dockerConfigGet", params: { id: endpointId, resourceId: id }, auth: "any", op: { action: "read", resource: "Docker config", id }, ok: [200], parse: this.parser("dockerObject"), retry: "idempotent" });
  }

  async deleteDockerConfig(endpointId: number, id: string): Promise<void> {
    await this.call({ route: "dockerConfigDelete", params: { id: endpointId, resourceId: id }, auth: "any", op: { action: "delete", resource: "Docker config", id }, ok: [200, 204], retry: "idempotent" });
  }

  /** Creates a Docker secret; see {@link createDockerConfig}. */
  async createDockerSecret(endpointId: number, name: string, data: string, labels: Readonly<Record<string, string>> = {}): Promise<string> {
    return this.createDockerObject("secret", endpointId, name, data, labels);
  }

  async listDockerSecrets(endpointId: number): Promise<DockerObject[]> {
    return this.call({ route: "dockerSecretList", params: { id: endpointId }, auth: "any", op: { action: "list", resource: "Docker secrets", id: `of environment ${endpointId}` }, ok: [200], parse: this.listParser("dockerObject"), retry: "idempotent" });
  }

  async getDockerSecret(endpointId: number, id: string): Promise<DockerObject> {
    return this.call({ route: "dockerSecretGet", params: { id: endpointId, resourceId: id }, auth: "any", op: { action: "read", resource: "Docker secret", id }, ok: [200], parse: this.parser("dockerObject"), retry: "idempotent" });
  }

  async deleteDockerSecret(endpointId: number, id: string): Promise<void> {
    await this.call({ route: "dockerSecretDelete", params: { id: endpointId, resourceId: id }, auth: "any", op: { action: "delete", resource: "Docker secret", id }, ok: [200, 204], retry: "idempotent" });
  }

  private async createDockerObject(kind: "config" | "secret", endpointId: number, name: string, data: string, labels: Readonly<Record<string, string>>): Promise<string> {
    const list = () => (kind === "config" ? this.listDockerConfigs(endpointId) : this.listDockerSecrets(endpointId));
    const r = await this.call<{ ID: string }>({
      route: kind === "config" ? "dockerConfigCreate" : "dockerSecretCreate",
      params: { id: endpointId },
      auth: "any",
      op: { action: "create", resource: `Docker ${kind}`, id: name },
      json: { Name: name, Data: Buffer.from(data, "utf8").toString("base64"), Labels: labels },
      ok: [200, 201],
      parse: this.parser("dockerCreated"),
      retry: { alreadyDone: async () => { const o = (await list()).find((x) => x.Spec.Name === name); return o ? { ID: o.ID } : undefined; } },
    });
    return r.ID;
  }

  // ---- the transport ---------------------------------------------------------------------------

  private parser<K extends keyof Schemas>(key: K): (body: unknown) => z.output<Schemas[K]> {
    const schema: z.ZodType = this.schemas[key];
    return (body: unknown) => schema.parse(body) as z.output<Schemas[K]>;
  }

  private listParser<K extends keyof Schemas>(key: K): (body: unknown) => z.output<Schemas[K]>[] {
    const schema: z.ZodType = this.schemas[key];
    return (body: unknown) => {
      if (!Array.isArray(body)) throw new TypeError("expected a JSON array");
      return body.map((item) => schema.parse(item) as z.output<Schemas[K]>);
    };
  }

  /** Runs one call with version check, authentication, retries and error mapping. */
  private async call<T>(c: Call<T>): Promise<T> {
    if (!c.unversioned) await this.version();
    const [method] = ROUTES[c.route];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.authenticated(c);
      } catch (e) {
        if (!isRetryable(e) || attempt >= this.attempts || c.retry === "never" || this.final.has(e as object)) throw e;
        if (typeof c.retry === "object") {
          const done = await c.retry.alreadyDone();
          if (done !== undefined) return done;
        } else if (method === "POST") {
          throw e;
        }
        await this.sleep(this.backoff(attempt));
      }
    }
  }

  /** Sends with the right credential; with a password login, a 401 (expired JWT, restarted server) logs in again once. */
  private async authenticated<T>(c: Call<T>): Promise<T> {
    const auth = this.options.auth;
    if (c.auth === "none") return this.once(c, undefined);
    if (!auth) {
      throw new PortainerError({ kind: "unsupported", operation: c.op, method: ROUTES[c.route][0], path: `/api${ROUTES[c.route][1]}`, serverMessage: "the client has no credentials" });
    }
    if ("apiKey" in auth) {
      if (c.auth === "jwt") {
        throw new PortainerError({ kind: "unsupported", operation: c.op, method: ROUTES[c.route][0], path: `/api${ROUTES[c.route][1]}`, serverMessage: "Portainer accepts this call only with a password login (JWT), not with an API key" });
      }
      return this.once(c, { "X-API-Key": auth.apiKey });
    }
    const hadJwt = this.jwt !== undefined;
    if (!hadJwt) await this.finalLogin();
    try {
      return await this.once(c, { Authorization: `Bearer ${this.jwt}` });
    } catch (e) {
      if (!hadJwt || !isPortainerError(e) || e.status !== 401) throw e;
      await this.finalLogin();
      return this.once(c, { Authorization: `Bearer ${this.jwt}` });
    }
  }

  /** Logs in; a failure is final for the request that needed it. */
  private async finalLogin(): Promise<void> {
    try {
      await this.login();
    } catch (e) {
      if (typeof e === "object" && e !== null) this.final.add(e);
      throw e;
    }
  }

  private async once<T>(c: Call<T>, authHeader: Record<string, string> | undefined): Promise<T> {
    const [method, template] = ROUTES[c.route];
    const path = `/api${fillPath(template, c.params ?? {})}`;
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(c.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(`${k}[]`, String(item));
      else url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: "application/json", ...(authHeader ?? {}), ...(c.headers ?? {}) };
    let body: string | FormData | undefined;
    if (c.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(c.json);
    } else if (c.form !== undefined) {
      const fd = new FormData();
      for (const [k, v] of Object.entries(c.form)) fd.append(k, v);
      body = fd;
    }
    const shownPath = url.pathname + url.search;
    let status: number;
    let text: string;
    try {
      const res = await request(url, { method, headers, body, dispatcher: this.agent, signal: AbortSignal.timeout(this.timeoutMs) });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      throw this.transportError(e, c.op, method, shownPath);
    }
    if (c.ok.includes(status)) {
      if (!c.parse) return undefined as T;
      try {
        return c.parse(text === "" ? undefined : JSON.parse(text));
      } catch (e) {
        throw new PortainerError({ kind: "protocol", operation: c.op, method, path: shownPath, status, serverMessage: `unexpected answer: ${(e as Error).message.split("\n")[0]}`, cause: e });
      }
    }
    let serverMessage: string | undefined = text.trim();
    let details: string | undefined;
    try {
      const j = JSON.parse(text) as { message?: unknown; details?: unknown };
      if (j && typeof j === "object" && (typeof j.message === "string" || typeof j.details === "string")) {
        serverMessage = typeof j.message === "string" ? j.message : undefined;
        details = typeof j.details === "string" ? j.details : undefined;
      }
    } catch {
      // Router-level answers are not JSON: 404 text/plain, 405 empty (C1.3).
    }
    throw new PortainerError({ kind: "http", operation: c.op, method, path: shownPath, status, ...(serverMessage ? { serverMessage } : {}), ...(details !== undefined ? { details } : {}) });
  }

  private transportError(e: unknown, op: Operation, method: string, path: string): PortainerError {
    const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") return new PortainerError({ kind: "timeout", operation: op, method, path, cause: e });
    const code = err.code ?? err.cause?.code ?? "";
    const message = err.message ?? String(e);
    if (TLS_CODES.test(code) || /certificate/i.test(message)) {
      return new PortainerError({ kind: "tls", operation: op, method, path, serverMessage: `TLS verification failed: ${code || message}`, cause: e });
    }
    return new PortainerError({ kind: "network", operation: op, method, path, serverMessage: code ? `${code}: ${message}` : message, cause: e });
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + (cap / 2) * this.random());
  }
}
