/**
 * The fake Portainer's routes. Each handler follows ../shared/portainer/CONTRACT.md (section in the
 * comment) for its order of checks, status codes and messages.
 */
import * as crypto from "node:crypto";
import { parse as parseYaml } from "yaml";
import {
  nextId,
  type DockerObjectRecord,
  type EndpointRecord,
  type FakeState,
  type StackRecord,
  type UserRecord,
} from "./state";

export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface Ctx {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  /** The parsed JSON body; `Symbol.for("invalid-json")` when it did not parse. */
  json: unknown;
  /** Go's FormValue: the form field, else the query parameter, else "". */
  formValue(name: string): string;
  hasForm: boolean;
  user: UserRecord | undefined;
  via: "apiKey" | "jwt" | undefined;
  state: FakeState;
  version: string;
  atLeast(v: string): boolean;
  now(): number;
  err(status: number, message: string, details?: string): Reply;
  signJwt(user: UserRecord): string;
  setupToken: string | undefined;
  clearSetupToken(): void;
  deployFailure(): string | undefined;
  unreachable(url: string): boolean;
}

type Access = "public" | "authenticated" | "admin";
interface Route {
  method: string;
  pattern: RegExp;
  access: Access;
  rateLimited?: boolean;
  handler: (c: Ctx) => Reply;
}

const NOT_FOUND_DB = "Object not found inside the database";
const INVALID_JSON = Symbol.for("invalid-json");

/** Go's JSON decoding matches keys case-insensitively (C1.2). */
function field(body: unknown, name: string): unknown {
  if (!body || typeof body !== "object") return undefined;
  const o = body as Record<string, unknown>;
  if (name in o) return o[name];
  const key = Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : o[key];
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const unix = (c: Ctx) => Math.floor(c.now() / 1000);

function payloadError(c: Ctx): Reply | undefined {
  if (c.json === INVALID_JSON) return c.err(400, "Invalid request payload", "invalid character in JSON body");
  if (c.json === undefined) return c.err(400, "Invalid request payload", "EOF");
  return undefined;
}

function intParam(c: Ctx, name: string, what: string): number | Reply {
  const v = c.params[name] ?? "";
  if (!/^\d+$/.test(v))
    return c.err(400, `Invalid ${what} identifier route variable`, `strconv.Atoi: parsing "${v}": invalid syntax`);
  return Number(v);
}

function publicUser(u: UserRecord) {
  return {
    Id: u.Id,
    Username: u.Username,
    Role: u.Role,
    TokenIssueAt: u.TokenIssueAt,
    ThemeSettings: { color: "" },
    UseCache: true,
    PortainerAuthorizations: null,
    EndpointAuthorizations: null,
  };
}

function hashPassword(salt: string, password: string): string {
  return crypto
    .createHash("sha256")
    .update(salt + password)
    .digest("hex");
}

// ---- system (C4) ------------------------------------------------------------------------------

function status(c: Ctx): Reply {
  const body: Record<string, unknown> = { Version: c.version, InstanceID: c.state.instanceId };
  if (!c.atLeast("2.22.0")) body["DemoEnvironment"] = { enabled: false, users: [], environments: [] };
  return { status: 200, json: body };
}

// ---- admin bootstrap (C2) ---------------------------------------------------------------------

function adminCheck(c: Ctx): Reply {
  if (c.state.users.some((u) => u.Role === 1)) return { status: 204 };
  return c.err(404, "No administrator account found inside the database", NOT_FOUND_DB);
}

function adminInit(c: Ctx): Reply {
  if (c.setupToken !== undefined && c.headers["x-setup-token"] !== c.setupToken) {
    return c.err(403, "Access denied - invalid or missing setup token");
  }
  const bad = payloadError(c);
  if (bad) return bad;
  const username = str(field(c.json, "Username"));
  const password = str(field(c.json, "Password"));
  if (username === "" || /\s/.test(username))
    return c.err(400, "Invalid request payload", "Invalid username. Must not contain any whitespace");
  if (password === "") return c.err(400, "Invalid request payload", "Invalid password");
  if (c.state.users.some((u) => u.Role === 1))
    return c.err(409, "Unable to create administrator user", "An administrator user already exists");
  if (password.length < 12) return c.err(400, "Password does not meet the requirements");
  const salt = crypto.randomBytes(8).toString("hex");
  const user: UserRecord = {
    Id: nextId(c.state, "users"),
    Username: username,
    Role: 1,
    passwordHash: hashPassword(salt, password),
    salt,
    TokenIssueAt: 0,
  };
  c.state.users.push(user);
  c.clearSetupToken();
  // The CE handler does not blank the hash here (C2): clients must ignore it.
  return { status: 200, json: { ...publicUser(user), Password: `$2a$10$${user.passwordHash.slice(0, 53)}` } };
}

// ---- auth and users (C3) ----------------------------------------------------------------------

function auth(c: Ctx): Reply {
  const bad = payloadError(c);
  if (bad) return bad;
  const username = str(field(c.json, "Username"));
  const password = str(field(c.json, "Password"));
  if (username === "") return c.err(400, "Invalid request payload", "Invalid username");
  if (password === "") return c.err(400, "Invalid request payload", "Invalid password");
  const user = c.state.users.find((u) => u.Username === username);
  if (!user || user.passwordHash !== hashPassword(user.salt, password))
    return c.err(422, "Invalid credentials", "Unauthorized");
  const jwt = c.signJwt(user);
  const headers: Record<string, string> = c.atLeast("2.20.0")
    ? { "set-cookie": `portainer_api_key=${jwt}; Path=/; HttpOnly; SameSite=Strict` }
    : {};
  return { status: 200, json: { jwt }, headers };
}

function usersMe(c: Ctx): Reply {
  if (!c.atLeast("2.20.0"))
    return c.err(400, "Invalid user identifier route variable", 'strconv.Atoi: parsing "me": invalid syntax');
  return { status: 200, json: { ...publicUser(c.user!), forceChangePassword: false } };
}

function apiKeyJson(k: FakeState["apiKeys"][number], withDigest: boolean) {
  const { digest, ...rest } = k;
  return withDigest ? { ...rest, digest } : rest;
}

function apiKeyCreate(c: Ctx): Reply {
  if (c.via === "apiKey")
    return c.err(
      401,
      "Auth not supported",
      c.atLeast("2.20.0") ? "Authentication required" : "JWT Authentication required",
    );
  const id = intParam(c, "id", "user");
  if (typeof id !== "number") return id;
  const bad = payloadError(c);
  if (bad) return bad;
  const description = str(field(c.json, "description"));
  const password = str(field(c.json, "password"));
  if (description.trim() === "") return c.err(400, "Invalid request payload", "Invalid description: cannot be empty");
  if (description.length >= 128)
    return c.err(400, "Invalid request payload", "Invalid description: cannot be longer than 128 characters");
  if (c.atLeast("2.20.0") && password === "")
    return c.err(400, "Invalid request payload", "Invalid password: cannot be empty");
  if (id !== c.user!.Id) return c.err(403, "Permission denied to create user access token", "Unauthorized");
  const user = c.user!;
  if (c.atLeast("2.20.0") && user.passwordHash !== hashPassword(user.salt, password)) {
    return c.err(
      403,
      "Current password doesn't match",
      "Current password does not match the password provided. Please try again",
    );
  }
  const raw = `ptr_${crypto.randomBytes(32).toString("base64")}`;
  const key = {
    id: nextId(c.state, "apiKeys"),
    userId: user.Id,
    description,
    prefix: raw.slice(0, 7),
    dateCreated: unix(c),
    lastUsed: 0,
    digest: crypto.createHash("sha256").update(raw).digest("base64"),
  };
  c.state.apiKeys.push(key);
  // Before 2.21 the 201 answer had no JSON content type (C3).
  return c.atLeast("2.21.0")
    ? { status: 201, json: { rawAPIKey: raw, apiKey: apiKeyJson(key, true) } }
    : {
        status: 201,
        text: JSON.stringify({ rawAPIKey: raw, apiKey: apiKeyJson(key, true) }),
        headers: { "content-type": "" },
      };
}

function apiKeyList(c: Ctx): Reply {
  const id = intParam(c, "id", "user");
  if (typeof id !== "number") return id;
  const target = c.state.users.find((u) => u.Id === id);
  if (!target)
    return c.err(404, "Unable to find a user with the specified identifier inside the database", NOT_FOUND_DB);
  if (c.user!.Id !== id && !(c.user!.Role === 1 && target.Role !== 1))
    return c.err(403, "Permission denied to get user access tokens", "Unauthorized");
  return { status: 200, json: c.state.apiKeys.filter((k) => k.userId === id).map((k) => apiKeyJson(k, false)) };
}

function apiKeyDelete(c: Ctx): Reply {
  const id = intParam(c, "id", "user");
  if (typeof id !== "number") return id;
  const keyId = intParam(c, "keyID", "API Key");
  if (typeof keyId !== "number") return keyId;
  if (!c.state.users.some((u) => u.Id === id))
    return c.err(404, "Unable to find a user with the specified identifier inside the database", NOT_FOUND_DB);
  if (c.user!.Id !== id && c.user!.Role !== 1) return c.err(403, "Permission denied to remove api-key", "Unauthorized");
  const key = c.state.apiKeys.find((k) => k.id === keyId);
  if (!key)
    return c.err(
      500,
      "API Key not found",
      "Unable to find an api-key with the specified identifier inside the database",
    );
  if (key.userId !== id) return c.err(403, "Permission denied to remove api-key", "Unauthorized");
  c.state.apiKeys = c.state.apiKeys.filter((k) => k.id !== keyId);
  return { status: 204 };
}

// ---- endpoint groups (C5.8) -------------------------------------------------------------------

function groupJson(g: FakeState["groups"][number]) {
  return {
    Id: g.Id,
    Name: g.Name,
    Description: g.Description,
    UserAccessPolicies: {},
    TeamAccessPolicies: {},
    TagIds: g.TagIds,
    Labels: [],
    AuthorizedUsers: null,
    AuthorizedTeams: null,
  };
}

function intArray(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x)) ? (v as number[]) : undefined;
}

function groupCreate(c: Ctx): Reply {
  const bad = payloadError(c);
  if (bad) return bad;
  const name = str(field(c.json, "Name"));
  if (name === "") return c.err(400, "Invalid request payload", "Invalid environment group name");
  const g = {
    Id: nextId(c.state, "groups"),
    Name: name,
    Description: str(field(c.json, "Description")),
    TagIds: intArray(field(c.json, "TagIDs")) ?? [],
  };
  c.state.groups.push(g);
  for (const eid of intArray(field(c.json, "AssociatedEndpoints")) ?? []) {
    const e = c.state.endpoints.find((x) => x.Id === eid);
    if (e) e.GroupId = g.Id;
  }
  return { status: 200, json: groupJson(g) };
}

function findGroup(c: Ctx): FakeState["groups"][number] | Reply {
  const id = intParam(c, "id", "environment group");
  if (typeof id !== "number") return id;
  return (
    c.state.groups.find((g) => g.Id === id) ??
    c.err(404, "Unable to find an environment group with the specified identifier inside the database", NOT_FOUND_DB)
  );
}

function groupUpdate(c: Ctx): Reply {
  const g = findGroup(c);
  if ("status" in g) return g;
  const bad = payloadError(c);
  if (bad) return bad;
  const name = str(field(c.json, "Name"));
  const description = str(field(c.json, "Description"));
  const tags = intArray(field(c.json, "TagIDs"));
  if (name !== "") g.Name = name;
  if (description !== "") g.Description = description;
  if (tags) g.TagIds = tags;
  return { status: 200, json: groupJson(g) };
}

function groupDelete(c: Ctx): Reply {
  const g = findGroup(c);
  if ("status" in g) return g;
  if (g.Id === 1)
    return c.err(403, "Unable to remove the default 'Unassigned' group", "Cannot remove the default environment group");
  c.state.groups = c.state.groups.filter((x) => x.Id !== g.Id);
  for (const e of c.state.endpoints) if (e.GroupId === g.Id) e.GroupId = 1;
  return { status: 204 };
}

// ---- tags (C5.9) ------------------------------------------------------------------------------

function tagJson(c: Ctx, t: FakeState["tags"][number]) {
  const endpoints = Object.fromEntries(
    c.state.endpoints.filter((e) => e.TagIds.includes(t.ID)).map((e) => [String(e.Id), true]),
  );
  const groups = Object.fromEntries(
    c.state.groups.filter((g) => g.TagIds.includes(t.ID)).map((g) => [String(g.Id), true]),
  );
  return { ID: t.ID, Name: t.Name, Endpoints: endpoints, EndpointGroups: groups };
}

function tagCreate(c: Ctx): Reply {
  const bad = payloadError(c);
  if (bad) return bad;
  const name = str(field(c.json, "Name"));
  if (name === "") return c.err(400, "Invalid request payload", "Invalid tag name");
  if (c.state.tags.some((t) => t.Name === name))
    return c.err(409, "This name is already associated to a tag", "A tag already exists with this name");
  const t = { ID: nextId(c.state, "tags"), Name: name };
  c.state.tags.push(t);
  return { status: 200, json: tagJson(c, t) };
}

function tagDelete(c: Ctx): Reply {
  const id = intParam(c, "id", "tag");
  if (typeof id !== "number") return id;
  if (!c.state.tags.some((t) => t.ID === id))
    return c.err(404, "Unable to find a tag with the specified identifier inside the database", NOT_FOUND_DB);
  c.state.tags = c.state.tags.filter((t) => t.ID !== id);
  for (const e of c.state.endpoints) e.TagIds = e.TagIds.filter((x) => x !== id);
  for (const g of c.state.groups) g.TagIds = g.TagIds.filter((x) => x !== id);
  return { status: 204 };
}

// ---- environments (C5) ------------------------------------------------------------------------

function endpointJson(e: EndpointRecord, version: string) {
  return {
    Id: e.Id,
    Name: e.Name,
    Type: e.Type,
    ContainerEngine: "docker",
    URL: e.URL,
    GroupId: e.GroupId,
    PublicURL: e.PublicURL,
    Gpus: [],
    TLSConfig: { TLS: e.TLS, TLSSkipVerify: e.TLSSkipVerify },
    AzureCredentials: { ApplicationID: "", TenantID: "", AuthenticationKey: "" },
    TagIds: e.TagIds,
    Status: e.Status,
    Snapshots: [],
    UserAccessPolicies: {},
    TeamAccessPolicies: {},
    EdgeKey: e.EdgeKey,
    EdgeCheckinInterval: 0,
    Kubernetes: { Snapshots: [], Configuration: {}, Flags: {} },
    ComposeSyntaxMaxVersion: "",
    SecuritySettings: {
      allowBindMountsForRegularUsers: true,
      allowPrivilegedModeForRegularUsers: true,
      allowVolumeBrowserForRegularUsers: false,
      allowHostNamespaceForRegularUsers: true,
      allowDeviceMappingForRegularUsers: true,
      allowStackManagementForRegularUsers: true,
      allowContainerCapabilitiesForRegularUsers: true,
      allowSysctlSettingForRegularUsers: true,
      enableHostManagementFeatures: false,
    },
    LastCheckInDate: 0,
    QueryDate: 0,
    Heartbeat: false,
    PostInitMigrations: { MigrateIngresses: true, MigrateGPUs: true },
    Edge: { AsyncMode: false, PingInterval: 0, SnapshotInterval: 0, CommandInterval: 0 },
    Agent: { Version: e.Type === 2 ? (e.agentVersion ?? version) : "" },
    AuthorizedUsers: null,
    AuthorizedTeams: null,
    Tags: null,
  };
}

const TYPE_MESSAGE =
  "Invalid environment type value. Value must be one of: 1 (Docker " +
  "environment), 2 (Agent environment), 3 (Azure environment), 4 (Edge " +
  "Agent environment) or 5 (Local Kubernetes environment)";

function hostOf(u: string): string {
  return u.replace(/^[a-z]+:\/\//, "");
}

function endpointCreate(c: Ctx): Reply {
  const name = c.formValue("Name");
  if (name === "") return c.err(400, "Invalid request payload", "Invalid environment name");
  const creationType = Number(c.formValue("EndpointCreationType") || "0");
  if (!/^[1-5]$/.test(c.formValue("EndpointCreationType"))) return c.err(400, "Invalid request payload", TYPE_MESSAGE);
  let tagIds: number[] = [];
  const rawTags = c.formValue("TagIds");
  if (rawTags !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawTags);
    } catch {
      parsed = undefined;
    }
    const ids = intArray(parsed);
    if (!ids) return c.err(400, "Invalid request payload", "Invalid TagIds parameter");
    tagIds = ids;
  }
  let url = c.formValue("URL");
  if (creationType === 4 && url === "") return c.err(400, "Invalid request payload", "URL cannot be empty");
  const tls = c.formValue("TLS") === "true";
  const skipVerify = tls && c.formValue("TLSSkipVerify") === "true";
  const skipClientVerify = tls && c.formValue("TLSSkipClientVerify") === "true";
  if (tls && !skipVerify)
    return c.err(
      400,
      "Invalid request payload",
      "Invalid CA certificate file. Ensure that the file is uploaded correctly",
    );
  if (tls && !skipClientVerify)
    return c.err(
      400,
      "Invalid request payload",
      "Invalid certificate file. Ensure that the file is uploaded correctly",
    );
  if (c.state.endpoints.some((e) => e.Name === name)) return c.err(409, "Name is not unique");
  if (creationType === 1) {
    if (url === "") url = "unix:///var/run/docker.sock";
    if (c.unreachable(url))
      return c.err(
        500,
        "Unable to initiate communications with environment",
        `Cannot connect to the Docker daemon at ${url}. Is the docker daemon running?`,
      );
  } else if (creationType === 2) {
    // Agent ping (C10.4): https://<host>/ping with the agent's self-signed certificate.
    const ping = `https://${hostOf(url)}/ping`;
    if (!tls)
      return c.err(
        500,
        "Unable to get environment type",
        `Get "${ping}": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
      );
    if (c.unreachable(url))
      return c.err(
        500,
        "Unable to get environment type",
        `Get "${ping}": dial tcp ${hostOf(url)}: connect: connection refused`,
      );
    if (!url.startsWith("tcp://"))
      return c.err(500, "Unable to initiate communications with environment", `unable to parse docker host \`${url}\``);
  } else if (creationType !== 4) {
    return c.err(500, "Unable to create environment", "environment type not supported by this fake");
  }
  const groupIdText = c.formValue("GroupID");
  const groupId = groupIdText === "" || groupIdText === "0" ? 1 : Number(groupIdText);
  const e: EndpointRecord = {
    Id: nextId(c.state, "endpoints"),
    Name: name,
    Type: creationType,
    URL: url,
    PublicURL: c.formValue("PublicURL"),
    GroupId: groupId,
    TagIds: tagIds,
    Status: 1,
    TLS: tls,
    TLSSkipVerify: skipVerify,
    TLSSkipClientVerify: skipClientVerify,
    EdgeKey: creationType === 4 ? Buffer.from(`${url}|${name}`).toString("base64") : "",
    swarmId: null,
    configs: [],
    secrets: [],
  };
  c.state.endpoints.push(e);
  // Both of these are raised after the environment was saved (C5.3, C10.6).
  if (!c.state.groups.some((g) => g.Id === groupId))
    return c.err(500, "Unable to find an environment group inside the database", NOT_FOUND_DB);
  if (tagIds.some((t) => !c.state.tags.some((x) => x.ID === t)))
    return c.err(500, "An error occurred while trying to create the environment", NOT_FOUND_DB);
  return { status: 200, json: endpointJson(e, c.version) };
}

function endpointList(c: Ctx): Reply {
  const bracket = (k: string) => c.query.getAll(`${k}[]`);
  for (const k of ["types", "tagIds", "groupIds", "status", "endpointIds", "excludeIds"]) {
    if (bracket(k).some((v) => !/^\d+$/.test(v)))
      return c.err(400, "Invalid query parameters", `Invalid ${k} parameter`);
  }
  let list = [...c.state.endpoints];
  const available = list.length;
  const name = c.query.get("name");
  if (name !== null && name !== "") list = list.filter((e) => e.Name === name);
  const search = (c.query.get("search") ?? "").toLowerCase();
  if (search !== "")
    list = list.filter((e) => e.Name.toLowerCase().includes(search) || e.URL.toLowerCase().includes(search));
  const types = bracket("types").map(Number);
  if (types.length) list = list.filter((e) => types.includes(e.Type));
  const groups = bracket("groupIds").map(Number);
  if (groups.length) list = list.filter((e) => groups.includes(e.GroupId));
  const tags = bracket("tagIds").map(Number);
  if (tags.length)
    list = list.filter((e) =>
      c.query.get("tagsPartialMatch") === "true"
        ? tags.some((t) => e.TagIds.includes(t))
        : tags.every((t) => e.TagIds.includes(t)),
    );
  const ids = bracket("endpointIds").map(Number);
  if (ids.length) list = list.filter((e) => ids.includes(e.Id));
  const exclude = bracket("excludeIds").map(Number);
  if (exclude.length) list = list.filter((e) => !exclude.includes(e.Id));
  const total = list.length;
  const start = Math.max(1, Number(c.query.get("start") ?? "1") || 1);
  const limit = Number(c.query.get("limit") ?? "0") || 0;
  const page = limit > 0 ? list.slice(start - 1, start - 1 + limit) : list.slice(start - 1);
  return {
    status: 200,
    json: page.map((e) => endpointJson(e, c.version)),
    headers: { "x-total-count": String(total), "x-total-available": String(available) },
  };
}

function findEndpoint(c: Ctx, param = "id"): EndpointRecord | Reply {
  const id = intParam(c, param, "environment");
  if (typeof id !== "number") return id;
  return (
    c.state.endpoints.find((e) => e.Id === id) ??
    c.err(404, "Unable to find an environment with the specified identifier inside the database", NOT_FOUND_DB)
  );
}

function endpointGet(c: Ctx): Reply {
  const e = findEndpoint(c);
  return "status" in e ? e : { status: 200, json: endpointJson(e, c.version) };
}

function endpointUpdate(c: Ctx): Reply {
  const e = findEndpoint(c);
  if ("status" in e) return e;
  const bad = payloadError(c);
  if (bad) return bad;
  const name = field(c.json, "Name");
  if (typeof name === "string" && name !== "" && name !== e.Name) {
    if (c.state.endpoints.some((x) => x.Name === name && x.Id !== e.Id)) return c.err(409, "Name is not unique");
    e.Name = name;
  }
  const url = field(c.json, "URL");
  if (typeof url === "string" && url !== "") e.URL = url;
  const publicUrl = field(c.json, "PublicURL");
  if (typeof publicUrl === "string") e.PublicURL = publicUrl;
  const groupId = field(c.json, "GroupID");
  if (typeof groupId === "number") e.GroupId = groupId;
  const tagIds = field(c.json, "TagIDs");
  if (tagIds !== undefined) {
    const ids = intArray(tagIds);
    if (!ids || ids.some((t) => !c.state.tags.some((x) => x.ID === t)))
      return c.err(500, "Unable to update environment tags", NOT_FOUND_DB);
    e.TagIds = ids;
  }
  const tls = field(c.json, "TLS");
  if (typeof tls === "boolean") e.TLS = tls;
  const skip = field(c.json, "TLSSkipVerify");
  if (typeof skip === "boolean") e.TLSSkipVerify = skip;
  const skipClient = field(c.json, "TLSSkipClientVerify");
  if (typeof skipClient === "boolean") e.TLSSkipClientVerify = skipClient;
  const st = field(c.json, "Status");
  if (st === 1 || st === 2) e.Status = st;
  return { status: 200, json: endpointJson(e, c.version) };
}

function endpointDelete(c: Ctx): Reply {
  const e = findEndpoint(c);
  if ("status" in e) return e;
  // Stacks are left behind as orphans (C5.7, C10.13).
  c.state.endpoints = c.state.endpoints.filter((x) => x.Id !== e.Id);
  return { status: 204 };
}

// ---- stacks (C6) ------------------------------------------------------------------------------

function normalize(name: string): string {
  return name.toLowerCase().replace(/[^-_a-z0-9]/g, "");
}

function stackJson(s: StackRecord) {
  return {
    Id: s.Id,
    Name: s.Name,
    Type: s.Type,
    EndpointId: s.EndpointId,
    SwarmId: s.SwarmId,
    EntryPoint: s.EntryPoint,
    Env: s.Env,
    Status: s.Status,
    ProjectPath: s.ProjectPath,
    CreationDate: s.CreationDate,
    CreatedBy: s.CreatedBy,
    UpdateDate: s.UpdateDate,
    UpdatedBy: s.UpdatedBy,
    ResourceControl: {
      Id: s.Id,
      ResourceId: `${s.EndpointId}_${s.Name}`,
      SubResourceIds: [],
      Type: 6,
      UserAccesses: [],
      TeamAccesses: [],
      Public: false,
      AdministratorsOnly: true,
      System: false,
    },
    AdditionalFiles: null,
    AutoUpdate: null,
    Option: null,
    GitConfig: null,
    FromAppTemplate: false,
    Namespace: "",
  };
}

/** What `docker compose up` / `docker stack deploy` would refuse (C6.3, C10.14). */
function deployError(c: Ctx, e: EndpointRecord, content: string, swarm: boolean): string | undefined {
  const injected = c.deployFailure();
  if (injected) return injected;
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (err) {
    return `failed to deploy a stack: yaml: ${(err as Error).message.split("\n")[0]}`;
  }
  const services = doc && typeof doc === "object" ? (doc as Record<string, unknown>)["services"] : undefined;
  if (!services || typeof services !== "object" || Object.keys(services).length === 0)
    return "failed to deploy a stack: no service selected";
  if (swarm) {
    for (const kind of ["configs", "secrets"] as const) {
      const top = (doc as Record<string, unknown>)[kind];
      if (!top || typeof top !== "object") continue;
      for (const [key, def] of Object.entries(top as Record<string, Record<string, unknown> | null>)) {
        if (!def || def["external"] !== true) continue;
        const realName = typeof def["name"] === "string" ? def["name"] : key;
        if (!e[kind].some((o) => o.Name === realName))
          return `failed to deploy a stack: ${kind === "configs" ? "config" : "secret"} not found: ${realName}`;
      }
    }
  }
  return undefined;
}

function envList(v: unknown): { name: string; value: string }[] | null | Reply {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) return { status: 400, json: { message: "Invalid request payload", details: "Invalid Env" } };
  return v.map((x) => ({ name: str(field(x, "name")), value: str(field(x, "value")) }));
}

function stackCreate(c: Ctx, type: "standalone" | "swarm"): Reply {
  const endpointIdText = c.query.get("endpointId");
  if (!endpointIdText) return c.err(400, "Invalid query parameter: endpointId", "Missing query parameter");
  const e = c.state.endpoints.find((x) => x.Id === Number(endpointIdText));
  if (!e)
    return c.err(404, "Unable to find an environment with the specified identifier inside the database", NOT_FOUND_DB);
  const bad = payloadError(c);
  if (bad) return bad;
  const name = normalize(str(field(c.json, "Name")));
  if (name === "") return c.err(400, "Invalid request payload", "Invalid stack name");
  const content = str(field(c.json, "StackFileContent"));
  if (content === "") return c.err(400, "Invalid request payload", "Invalid stack file content");
  const swarmId = str(field(c.json, "SwarmID"));
  if (type === "swarm" && swarmId === "") return c.err(400, "Invalid request payload", "Invalid Swarm ID");
  const env = envList(field(c.json, "Env"));
  if (env !== null && !Array.isArray(env)) return env;
  // Conflict (C6.2): a stack of that name on this environment, or the compose project's containers on this
  // Docker host (left by a stack whose environment was deleted) while a stack record of that name exists.
  const onHost = (s: StackRecord) => s.Type === 2 && s.Status === 1 && (s.host ?? "") === e.URL && e.URL !== "";
  if (c.state.stacks.some((s) => s.Name === name && (s.EndpointId === e.Id || (type === "standalone" && onHost(s))))) {
    const msg = `A stack with the normalized name '${name}' already exists`;
    return { status: 409, json: { message: msg, details: msg } };
  }
  if (type === "swarm" && !e.swarmId) {
    const msg =
      'This node is not a swarm manager. Use "docker swarm init" or "docker ' +
      'swarm join" to connect this node to swarm and try again.';
    return c.err(500, msg, msg);
  }
  const failure = deployError(c, e, content, type === "swarm");
  if (failure) return c.err(500, failure, failure);
  const id = nextId(c.state, "stacks");
  const s: StackRecord = {
    Id: id,
    Name: name,
    Type: type === "swarm" ? 1 : 2,
    EndpointId: e.Id,
    SwarmId: type === "swarm" ? swarmId : "",
    EntryPoint: "docker-compose.yml",
    Env: env,
    Status: 1,
    ProjectPath: `/data/compose/${id}`,
    CreationDate: unix(c),
    CreatedBy: c.user!.Username,
    UpdateDate: 0,
    UpdatedBy: "",
    fileContent: content,
    host: e.URL,
  };
  c.state.stacks.push(s);
  return { status: 200, json: stackJson(s) };
}

function legacyStackCreate(c: Ctx): Reply {
  // 2.19.0 removed the old route (405); 2.19.1+ restored it as an alias (C6.3).
  if (!c.atLeast("2.19.1")) return { status: 405 };
  const type = c.query.get("type");
  const method = c.query.get("method");
  if (type !== "1" && type !== "2") return c.err(400, "Invalid query parameter: type", "Invalid query parameter: type");
  if (method !== "string") return c.err(400, "Invalid query parameter: method", "Invalid query parameter: method");
  return stackCreate(c, type === "1" ? "swarm" : "standalone");
}

function stackList(c: Ctx): Reply {
  const raw = c.query.get("filters");
  let filters: Record<string, unknown> = {};
  if (raw) {
    try {
      filters = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return c.err(400, "Invalid query parameter: filters", "Invalid query parameter: filters");
    }
  }
  const endpointId = Number(field(filters, "EndpointID") ?? 0);
  const swarmId = str(field(filters, "SwarmID"));
  const orphans = field(filters, "IncludeOrphanedStacks") === true;
  const live = (s: StackRecord) => c.state.endpoints.some((e) => e.Id === s.EndpointId);
  let list: StackRecord[];
  if (endpointId === 0 && swarmId === "") list = [...c.state.stacks];
  else {
    list = c.state.stacks.filter(
      (s) =>
        live(s) &&
        ((s.Type === 2 && s.EndpointId === endpointId) || (s.Type === 1 && swarmId !== "" && s.SwarmId === swarmId)),
    );
    if (orphans) {
      const names = new Set(list.map((s) => s.Name));
      list.push(...c.state.stacks.filter((s) => !live(s) && !names.has(s.Name)));
    }
  }
  return { status: 200, json: list.map(stackJson) };
}

function findStack(c: Ctx): StackRecord | Reply {
  const id = intParam(c, "id", "stack");
  if (typeof id !== "number") return id;
  return (
    c.state.stacks.find((s) => s.Id === id) ??
    c.err(404, "Unable to find a stack with the specified identifier inside the database", NOT_FOUND_DB)
  );
}

function stackGet(c: Ctx): Reply {
  const s = findStack(c);
  return "status" in s ? s : { status: 200, json: stackJson(s) };
}

function stackFile(c: Ctx): Reply {
  const s = findStack(c);
  return "status" in s ? s : { status: 200, json: { StackFileContent: s.fileContent } };
}

function stackEndpoint(c: Ctx): EndpointRecord | Reply {
  const text = c.query.get("endpointId");
  if (!text) return c.err(400, "Invalid query parameter: endpointId", "Missing query parameter");
  return (
    c.state.endpoints.find((e) => e.Id === Number(text)) ??
    c.err(404, "Unable to find the endpoint associated to the stack inside the database", NOT_FOUND_DB)
  );
}

function stackUpdate(c: Ctx): Reply {
  const s = findStack(c);
  if ("status" in s) return s;
  const e = stackEndpoint(c);
  if ("status" in e) return e;
  const bad = payloadError(c);
  if (bad) return bad;
  const content = str(field(c.json, "StackFileContent"));
  if (content === "") return c.err(400, "Invalid request payload", "Invalid stack file content");
  const env = envList(field(c.json, "Env"));
  if (env !== null && !Array.isArray(env)) return env;
  const failure = deployError(c, e, content, s.Type === 1);
  if (failure) return c.err(500, failure, failure);
  // Env is replaced wholesale: omitted means cleared (C10.11); a different endpointId re-associates.
  Object.assign(s, {
    fileContent: content,
    Env: env,
    EndpointId: e.Id,
    Status: 1,
    UpdateDate: unix(c),
    UpdatedBy: c.user!.Username,
    host: e.URL,
    containers: {},
  });
  return { status: 200, json: stackJson(s) };
}

/**
 * `PUT /stacks/{id}/associate?endpointId=&swarmId=&orphanedRunning=` (admin): moves an orphaned stack's
 * record to an environment, without deploying (CE-src api/http/handler/stacks/stack_associate.go).
 */
function stackAssociate(c: Ctx): Reply {
  const s = findStack(c);
  if ("status" in s) return s;
  const text = c.query.get("endpointId");
  if (!text || !/^\d+$/.test(text))
    return c.err(
      400,
      "Invalid query parameter: endpointId",
      text ? "Invalid query parameter" : "Missing query parameter",
    );
  const e = c.state.endpoints.find((x) => x.Id === Number(text));
  if (!e)
    return c.err(404, "Unable to find an environment with the specified identifier inside the database", NOT_FOUND_DB);
  const running = c.query.get("orphanedRunning");
  if (running !== null && running !== "true" && running !== "false")
    return c.err(400, "Invalid query parameter: orphanedRunning", "Invalid query parameter");
  Object.assign(s, {
    EndpointId: e.Id,
    SwarmId: c.query.get("swarmId") ?? "",
    Status: running === "true" ? 1 : 2,
    CreationDate: unix(c),
    CreatedBy: c.user!.Username,
    UpdateDate: 0,
    UpdatedBy: "",
  });
  return { status: 200, json: stackJson(s) };
}

function stackStartStop(c: Ctx, start: boolean): Reply {
  const s = findStack(c);
  if ("status" in s) return s;
  const e = stackEndpoint(c);
  if ("status" in e) return e;
  if (start && s.Status === 1) return c.err(400, "Stack is already active");
  if (!start && s.Status === 2) return c.err(400, "Stack is already inactive");
  s.Status = start ? 1 : 2;
  if (start) Object.assign(s, { host: e.URL, containers: {} });
  return { status: 200, json: stackJson(s) };
}

function stackDelete(c: Ctx): Reply {
  const s = findStack(c);
  if ("status" in s) return s;
  // A missing or different endpointId treats the stack as orphaned; admins then need that environment (C6.9).
  const e = stackEndpoint(c);
  if ("status" in e)
    return e.status === 400
      ? c.err(404, "Unable to find the endpoint associated to the stack inside the database", NOT_FOUND_DB)
      : e;
  c.state.stacks = c.state.stacks.filter((x) => x.Id !== s.Id);
  return { status: 204 };
}

// ---- Docker proxy (C7) ------------------------------------------------------------------------

const NOT_SWARM =
  'This node is not a swarm manager. Use "docker swarm init" or "docker ' +
  'swarm join" to connect this node to swarm and try again.';

function dockerObjectJson(o: DockerObjectRecord, kind: "configs" | "secrets") {
  return {
    ID: o.ID,
    Version: { Index: o.VersionIndex },
    CreatedAt: o.CreatedAt,
    UpdatedAt: o.CreatedAt,
    Spec: { Name: o.Name, Labels: o.Labels, ...(kind === "configs" ? { Data: o.Data } : {}) },
  };
}

/**
 * The compose services of a stack file, with whether each declares a health check (`healthcheck.disable` or a
 * `test` of `NONE` turns one off, as in Docker).
 */
function composeServices(content: string): { name: string; containerName?: string; healthcheck: boolean }[] {
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch {
    return [];
  }
  const services = (doc as { services?: Record<string, Record<string, unknown> | null> } | null)?.services ?? {};
  return Object.entries(services).map(([name, svc]) => {
    const hc = svc?.["healthcheck"] as { disable?: boolean; test?: unknown } | undefined;
    const off = hc?.disable === true || (Array.isArray(hc?.test) && hc.test[0] === "NONE") || hc?.test === "NONE";
    const containerName = typeof svc?.["container_name"] === "string" ? svc["container_name"] : undefined;
    return { name, ...(containerName ? { containerName } : {}), healthcheck: hc !== undefined && !off };
  });
}

/**
 * `GET /containers/json` through the Docker proxy (CONTRACT.md 7: plain pass-through): the containers of the
 * standalone stacks deployed to this environment's Docker host, as `docker compose up` names and labels them
 * (`<project>-<service>-1`, `com.docker.compose.project`/`service`). An active stack's containers run (healthy when
 * they have a health check) unless changed out of band; an inactive one's have exited. `all=1` lists stopped ones
 * too; `filters` takes Docker's JSON (`{"label":["k=v"]}`).
 */
function containerList(c: Ctx, e: EndpointRecord): Reply {
  const all = ["1", "true"].includes(c.query.get("all") ?? "");
  let labels: string[] = [];
  const filters = c.query.get("filters");
  if (filters) {
    try {
      const f = JSON.parse(filters) as { label?: unknown };
      labels = Array.isArray(f.label) ? f.label.map(String) : Object.keys((f.label as object) ?? {});
    } catch {
      return { status: 400, json: { message: `invalid filter '${filters}'` } };
    }
  }
  const out: Record<string, unknown>[] = [];
  for (const s of c.state.stacks) {
    if (s.Type !== 2 || ((s.host ?? "") !== e.URL && s.EndpointId !== e.Id)) continue;
    for (const svc of composeServices(s.fileContent)) {
      const change = s.containers?.[svc.name] ?? {};
      const state = s.Status === 1 ? (change.state ?? "running") : "exited";
      const health = state === "running" && svc.healthcheck ? (change.health ?? "healthy") : undefined;
      const status =
        state === "running"
          ? `Up 5 minutes${health ? ` (${health === "starting" ? "health: starting" : health})` : ""}`
          : "Exited (0) 1 minute ago";
      const l: Record<string, string> = {
        "com.docker.compose.project": s.Name,
        "com.docker.compose.service": svc.name,
        "com.docker.compose.container-number": "1",
        "com.docker.compose.oneoff": "False",
      };
      if (!labels.every((f) => (f.includes("=") ? l[f.split("=")[0]!] === f.slice(f.indexOf("=") + 1) : f in l)))
        continue;
      if (!all && state !== "running") continue;
      const id = crypto.createHash("sha256").update(`${s.Id}/${svc.name}`).digest("hex");
      out.push({
        Id: id,
        Names: [`/${svc.containerName ?? `${s.Name}-${svc.name}-1`}`],
        Image: "fake",
        Labels: l,
        State: state,
        Status: status,
      });
    }
  }
  return { status: 200, json: out };
}

function docker(c: Ctx): Reply {
  const e = findEndpoint(c);
  if ("status" in e) return e;
  const rest = c.params["rest"] ?? "";
  const dockerErr = (status: number, message: string): Reply => ({ status, json: { message } });
  if (rest === "_ping" && c.method === "GET") return { status: 200, text: "OK" };
  if (rest === "info" && c.method === "GET")
    return {
      status: 200,
      json: {
        Name: e.Name,
        Swarm: {
          LocalNodeState: e.swarmId ? "active" : "inactive",
          Cluster: e.swarmId ? { ID: e.swarmId } : undefined,
        },
      },
    };
  if (rest === "containers/json" && c.method === "GET") return containerList(c, e);
  if (rest === "swarm" && c.method === "GET")
    return e.swarmId ? { status: 200, json: { ID: e.swarmId, Version: { Index: 10 } } } : dockerErr(503, NOT_SWARM);
  const m = /^(configs|secrets)(?:\/(create|[A-Za-z0-9]+))?$/.exec(rest);
  if (!m) return dockerErr(404, "page not found");
  const kind = m[1] as "configs" | "secrets";
  const singular = kind === "configs" ? "config" : "secret";
  if (!e.swarmId) return dockerErr(503, NOT_SWARM);
  const list = e[kind];
  if (m[2] === "create" && c.method === "POST") {
    const name = str(field(c.json, "Name"));
    if (name === "")
      return dockerErr(400, `rpc error: code = InvalidArgument desc = name must be valid as a DNS name component`);
    if (list.some((o) => o.Name === name))
      return dockerErr(409, `rpc error: code = AlreadyExists desc = ${singular} ${name} already exists`);
    const labels = (field(c.json, "Labels") ?? {}) as Record<string, string>;
    const o: DockerObjectRecord = {
      ID: crypto.randomBytes(13).toString("hex").slice(0, 25),
      Name: name,
      Labels: labels,
      Data: str(field(c.json, "Data")),
      VersionIndex: 11,
      CreatedAt: new Date(c.now()).toISOString(),
    };
    list.push(o);
    // Portainer rewrites Docker's 201 to 200 and adds a resource control (C10.24).
    return {
      status: 200,
      json: {
        ID: o.ID,
        Portainer: {
          ResourceControl: {
            Id: nextId(c.state, "resourceControls"),
            ResourceId: o.ID,
            Type: kind === "configs" ? 9 : 5,
            AdministratorsOnly: true,
          },
        },
      },
    };
  }
  if (m[2] === undefined && c.method === "GET")
    return { status: 200, json: list.map((o) => dockerObjectJson(o, kind)) };
  if (m[2] !== undefined && m[2] !== "create") {
    const o = list.find((x) => x.ID === m[2] || x.Name === m[2]);
    if (!o) return dockerErr(404, `${singular} ${m[2]} not found`);
    if (c.method === "GET") return { status: 200, json: dockerObjectJson(o, kind) };
    if (c.method === "DELETE") {
      const users = c.state.stacks.filter(
        (s) => s.EndpointId === e.Id && s.Type === 1 && s.Status === 1 && s.fileContent.includes(o.Name),
      );
      if (users.length > 0)
        return dockerErr(
          400,
          `rpc error: code = InvalidArgument desc = ${singular} '${o.Name}' is in ` +
            `use by the following service: ${users[0]!.Name}`,
        );
      e[kind] = list.filter((x) => x !== o);
      return { status: 204 };
    }
  }
  return dockerErr(404, "page not found");
}

// ---- the table --------------------------------------------------------------------------------

const ID = "(?<id>[^/]+)";
const r = (method: string, path: string, access: Access, handler: (c: Ctx) => Reply, rateLimited = false): Route => ({
  method,
  pattern: new RegExp(`^${path}$`),
  access,
  handler,
  rateLimited,
});

export const ROUTE_TABLE: Route[] = [
  // /api/system/* arrived in 2.17; before it Portainer's router answered 404 (C4, C9).
  r("GET", "/system/status", "public", (c) =>
    c.atLeast("2.17.0") ? status(c) : { status: 404, text: "404 page not found\n" },
  ),
  r("GET", "/status", "public", status),
  r("GET", "/settings/public", "public", () => ({
    status: 200,
    json: {
      LogoURL: "",
      AuthenticationMethod: 1,
      RequiredPasswordLength: 12,
      EnableEdgeComputeFeatures: false,
      EnableTelemetry: false,
    },
  })),
  r("GET", "/system/version", "authenticated", (c) => ({
    status: 200,
    json: {
      UpdateAvailable: false,
      LatestVersion: "",
      ServerVersion: c.version,
      ServerEdition: "CE",
      DatabaseVersion: c.version,
      Build: { BuildNumber: "fake", ImageTag: c.version, GoVersion: "go1.23" },
    },
  })),
  r("GET", "/users/admin/check", "public", adminCheck),
  r("POST", "/users/admin/init", "public", adminInit),
  r("POST", "/auth", "public", auth, true),
  r("GET", "/users/me", "authenticated", usersMe),
  r("POST", `/users/${ID}/tokens`, "authenticated", apiKeyCreate, true),
  r("GET", `/users/${ID}/tokens`, "authenticated", apiKeyList),
  r("DELETE", `/users/${ID}/tokens/(?<keyID>[^/]+)`, "authenticated", apiKeyDelete),
  r("POST", "/endpoint_groups", "admin", groupCreate),
  r("GET", "/endpoint_groups", "authenticated", (c) => ({ status: 200, json: c.state.groups.map(groupJson) })),
  r("GET", `/endpoint_groups/${ID}`, "admin", (c) => {
    const g = findGroup(c);
    return "status" in g ? g : { status: 200, json: groupJson(g) };
  }),
  r("PUT", `/endpoint_groups/${ID}`, "admin", groupUpdate),
  r("DELETE", `/endpoint_groups/${ID}`, "admin", groupDelete),
  r("POST", "/tags", "admin", tagCreate),
  r("GET", "/tags", "authenticated", (c) => ({ status: 200, json: c.state.tags.map((t) => tagJson(c, t)) })),
  r("DELETE", `/tags/${ID}`, "admin", tagDelete),
  r("POST", "/endpoints", "admin", endpointCreate),
  r("GET", "/endpoints", "authenticated", endpointList),
  r("GET", `/endpoints/${ID}`, "authenticated", endpointGet),
  r("PUT", `/endpoints/${ID}`, "admin", endpointUpdate),
  r("DELETE", `/endpoints/${ID}`, "admin", endpointDelete),
  r("POST", "/stacks/create/standalone/string", "authenticated", (c) => stackCreate(c, "standalone")),
  r("POST", "/stacks/create/swarm/string", "authenticated", (c) => stackCreate(c, "swarm")),
  r("GET", "/stacks", "authenticated", stackList),
  r("POST", "/stacks", "authenticated", legacyStackCreate),
  r("GET", `/stacks/${ID}`, "authenticated", stackGet),
  r("PUT", `/stacks/${ID}`, "authenticated", stackUpdate),
  r("DELETE", `/stacks/${ID}`, "authenticated", stackDelete),
  r("GET", `/stacks/${ID}/file`, "authenticated", stackFile),
  r("PUT", `/stacks/${ID}/associate`, "admin", stackAssociate),
  r("POST", `/stacks/${ID}/start`, "authenticated", (c) => stackStartStop(c, true)),
  r("POST", `/stacks/${ID}/stop`, "authenticated", (c) => stackStartStop(c, false)),
  ...["GET", "POST", "PUT", "DELETE"].map((m) =>
    r(m, `/endpoints/${ID}/docker(?:/v[0-9.]+)?/(?<rest>.*)`, "authenticated", docker),
  ),
];
