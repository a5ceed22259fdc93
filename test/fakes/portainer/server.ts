/**
 * A fake Portainer CE server on node:http (or https), 127.0.0.1, ephemeral port: stateful and faithful
 * to ../shared/portainer/CONTRACT.md section 11. It has the exact status codes and error bodies, the
 * auth rules (API key vs JWT, both headers refused, cookies and CSRF), the admin-init window, the login
 * rate limiter, a record of every request, fault injection, and helpers that change state out of band.
 * Routes it does not implement answer as Portainer's router does: 404 text/plain, or 405 with an empty
 * body for a known path with another method.
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { compareVersions } from "../../../providers/portainer/transport";
import { ROUTE_TABLE, type Ctx, type Reply } from "./handlers";
import { emptyState, loadState, saveState, type ContainerChange, type FakeState, type StackRecord } from "./state";

export interface FakePortainerOptions {
  /** The Portainer version to emulate. Defaults to 2.27.9. */
  version?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Serve HTTPS with this certificate (as Portainer does on 9443). */
  tls?: { cert: string; key: string };
  /** How long after start an administrator must be created (C1.7). Defaults to 5 minutes; 0 disables. */
  adminInitTimeoutMs?: number;
  /** The login rate limiter (C1.6): burst, refill per second, ban. `false` disables it. */
  rateLimit?: { burst: number; refillPerSecond: number; banMs: number } | false;
  /** Keep the data in this file: loaded at start, written after every change. */
  stateFile?: string;
  /** Clock, for the rate limiter, the admin window and dates. */
  now?: () => number;
  /** Delay every answer by this many milliseconds (network latency, for benchmarks). */
  latencyMs?: number;
}

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: string;
  /** The JSON body, when it parsed. */
  json?: unknown;
  /** Form fields of a multipart or urlencoded body. */
  form?: Record<string, string | string[]>;
  status: number;
}

/** A fault for the next `times` requests that match. */
export interface Fault {
  method?: string;
  /** Exact path (`/api/stacks/1`) or a pattern. */
  path?: string | RegExp;
  times?: number;
  /** Answer with this status (429, 500, 503) and a JSON error, without running the handler. */
  status?: number;
  /** With `status`: send this raw body (no content type) instead of a JSON error, e.g. "" for a 405. */
  body?: string;
  /** Wait this long before handling. */
  delayMs?: number;
  /** Reset the connection: `before` the handler runs, or `after` it ran (the answer is lost). */
  reset?: "before" | "after";
}

export interface FakePortainer {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  /** The live data. Tests may read it; use the helpers below to change it out of band. */
  readonly state: FakeState;
  readonly requests: RecordedRequest[];
  /** The one-time setup token of an uninitialised 2.43+ server. */
  readonly setupToken: string | undefined;
  fault(f: Fault): void;
  /** Drops faults and deploy failures not yet used. */
  clearFaults(): void;
  /** The next deploy (stack create or update) on this environment fails with this compose error. */
  failNextDeploy(message: string): void;
  /** Agent or Docker URLs Portainer cannot reach (environment creation then fails, C10.4, C10.5). */
  setUnreachable(url: string, unreachable?: boolean): void;
  /** Makes an environment a swarm manager. */
  makeSwarm(endpointId: number, swarmId?: string): string;
  /** Out-of-band changes, as a person in Portainer's UI would make them. */
  editStack(id: number, change: Partial<Pick<StackRecord, "fileContent" | "Env" | "Status" | "Name">>): void;
  removeStack(id: number): void;
  /** A container of a stack, by compose service, stopped or failing its health check (until the next deploy). */
  changeContainer(stackId: number, service: string, change: ContainerChange): void;
  /** The agent version Portainer reports for an agent environment. */
  setAgentVersion(endpointId: number, version: string): void;
  removeEnvironment(id: number): void;
  editEnvironment(
    id: number,
    change: { URL?: string; Name?: string; PublicURL?: string; GroupId?: number; TagIds?: number[]; Status?: 1 | 2 },
  ): void;
  revokeApiKey(id: number): void;
  /** A restart: new JWT signing key (all JWTs die), new admin window, rate limiter reset. */
  restart(): void;
  clearRequests(): void;
  close(): Promise<void>;
}

/** Capitalises the first letter, as Portainer 2.20+ does for `details` (C1.3). */
function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export async function startFakePortainer(options: FakePortainerOptions = {}): Promise<FakePortainer> {
  const version = options.version ?? "2.27.9";
  const now = options.now ?? Date.now;
  const atLeast = (v: string) => compareVersions(version, v) >= 0;
  const state: FakeState = (options.stateFile && loadState(options.stateFile)) || emptyState(crypto.randomUUID());
  const requests: RecordedRequest[] = [];
  const faults: (Fault & { times: number })[] = [];
  const deployFailures: string[] = [];
  const unreachable = new Set<string>();
  const rate =
    options.rateLimit === false
      ? undefined
      : (options.rateLimit ?? { burst: 10, refillPerSecond: 1, banMs: 3_600_000 });
  const buckets = new Map<string, { tokens: number; at: number; bannedUntil: number }>();
  let jwtSecret = crypto.randomBytes(32);
  let startedAt = now();
  let setupToken: string | undefined =
    atLeast("2.43.0") && state.users.length === 0 ? crypto.randomBytes(16).toString("hex") : undefined;

  const persist = () => {
    if (options.stateFile) saveState(options.stateFile, state);
  };

  /**
   * Portainer's error body for this version (C1.3): 2.20+ capitalises `details` (or repeats the message);
   * 2.19 sends the underlying Go error text, which starts lower-case.
   */
  const errorBody = (message: string, details?: string) => {
    if (atLeast("2.20.0")) return { message, details: capitalize(details ?? message) };
    return { message, details: details === undefined ? message : details.charAt(0).toLowerCase() + details.slice(1) };
  };

  const signJwt = (user: { Id: number; Username: string; Role: number }): string => {
    const iat = Math.floor(now() / 1000);
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const head = enc({ alg: "HS256", typ: "JWT" });
    const body = enc({
      id: user.Id,
      username: user.Username,
      role: user.Role,
      scope: "default",
      forceChangePassword: false,
      jti: crypto.randomUUID(),
      iat,
      exp: iat + 8 * 3600,
    });
    const sig = crypto.createHmac("sha256", jwtSecret).update(`${head}.${body}`).digest("base64url");
    return `${head}.${body}.${sig}`;
  };

  const verifyJwt = (token: string): { id: number; iat: number } | undefined => {
    const [head, body, sig] = token.split(".");
    if (!head || !body || !sig) return undefined;
    const expected = crypto.createHmac("sha256", jwtSecret).update(`${head}.${body}`).digest("base64url");
    if (expected.length !== sig.length || !crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(sig)))
      return undefined;
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as {
      id: number;
      iat: number;
      exp: number;
    };
    if (claims.exp * 1000 < now()) return undefined;
    return claims;
  };

  const rateLimited = (ip: string): boolean => {
    if (!rate) return false;
    const t = now();
    const b = buckets.get(ip) ?? { tokens: rate.burst, at: t, bannedUntil: 0 };
    buckets.set(ip, b);
    if (b.bannedUntil > t) return true;
    b.tokens = Math.min(rate.burst, b.tokens + ((t - b.at) / 1000) * rate.refillPerSecond);
    b.at = t;
    if (b.tokens < 1) {
      b.bannedUntil = t + rate.banMs;
      return true;
    }
    b.tokens -= 1;
    return false;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
    const query: Record<string, string | string[]> = {};
    for (const k of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(k);
      query[k] = all.length === 1 ? all[0]! : all;
    }
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query,
      headers,
      body: raw.toString("utf8"),
      status: 0,
    };
    try {
      record.json = JSON.parse(record.body);
    } catch {
      // not JSON
    }
    const ctype = headers["content-type"] ?? "";
    let form: Map<string, string[]> | undefined;
    if (ctype.startsWith("multipart/form-data") || ctype.startsWith("application/x-www-form-urlencoded")) {
      form = new Map();
      const fd = await new Response(raw, { headers: { "content-type": ctype } }).formData();
      for (const [k, v] of fd.entries()) form.set(k, [...(form.get(k) ?? []), typeof v === "string" ? v : "[file]"]);
      record.form = Object.fromEntries([...form].map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
    }
    requests.push(record);
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));

    const send = (reply: Reply) => {
      record.status = reply.status;
      const h: Record<string, string> = { ...(reply.headers ?? {}) };
      if (reply.json !== undefined) {
        h["content-type"] = "application/json";
        h["x-content-type-options"] = "nosniff";
        res.writeHead(reply.status, h).end(JSON.stringify(reply.json));
      } else if (reply.text !== undefined) {
        // An explicit empty content type sends the body with none (the 2.19/2.20 API-key answer, C3).
        if (h["content-type"] === "") delete h["content-type"];
        else h["content-type"] = "text/plain; charset=utf-8";
        res.writeHead(reply.status, h).end(reply.text);
      } else {
        res.writeHead(reply.status, h).end();
      }
    };

    // Fault injection.
    const fi = faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === "string" ? f.path === url.pathname : f.path.test(url.pathname))),
    );
    const fault = fi >= 0 ? faults[fi]! : undefined;
    if (fault) {
      fault.times -= 1;
      if (fault.times <= 0) faults.splice(fi, 1);
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.reset === "before") {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.status && fault.body !== undefined) {
        send({ status: fault.status, text: fault.body, headers: { "content-type": "" } });
        return;
      }
      if (fault.status) {
        send({
          status: fault.status,
          json: errorBody(fault.status === 429 ? "Too many requests" : "Injected fault", `injected ${fault.status}`),
        });
        return;
      }
    }

    const reply = dispatch(method, url, headers, raw, form, req.socket.remoteAddress ?? "?");
    if (fault?.reset === "after") {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    send(reply);
  };

  const dispatch = (
    method: string,
    url: URL,
    headers: Record<string, string>,
    raw: Buffer,
    form: Map<string, string[]> | undefined,
    ip: string,
  ): Reply => {
    const path = url.pathname;
    // Admin-init timeout (C1.7): exempt exactly /api/status and /api/settings/public, no query string.
    const rawUri = path + url.search;
    if (
      options.adminInitTimeoutMs !== 0 &&
      state.users.length === 0 &&
      now() - startedAt > (options.adminInitTimeoutMs ?? 300_000)
    ) {
      if (rawUri.startsWith("/api") && rawUri !== "/api/status" && rawUri !== "/api/settings/public") {
        return {
          status: 303,
          headers: { "redirect-reason": "AdminInitTimeout" },
          json: { message: "Administrator initialization timeout", details: "Administrator initialization timeout" },
        };
      }
    }
    const cookie = headers["cookie"] ?? "";
    const hasAuthCookie = /(?:^|;\s*)portainer_api_key=[^;]+/.test(cookie);
    // CSRF (C1.5): only requests carrying the auth cookie are checked.
    if (
      atLeast("2.20.0") &&
      hasAuthCookie &&
      !["GET", "HEAD", "OPTIONS", "TRACE"].includes(method) &&
      !headers["x-csrf-token"]
    ) {
      return { status: 403, text: "Forbidden - CSRF token not found in request\n" };
    }
    const apiKey = headers["x-api-key"] ?? [...url.searchParams].find(([k]) => k.toLowerCase() === "x-api-key")?.[1];
    const authz = headers["authorization"];
    if (atLeast("2.20.0") && apiKey && authz && !hasAuthCookie) {
      return {
        status: 403,
        json: {
          message: "api key and auth header are not allowed at the same time",
          details: "Api key and auth header are not allowed at the same time",
        },
      };
    }
    if (!path.startsWith("/api/")) return { status: 404, text: "404 page not found\n" };

    const sub = path.slice("/api".length);
    const candidates = ROUTE_TABLE.filter((r) => r.pattern.test(sub));
    if (candidates.length === 0) return { status: 404, text: "404 page not found\n" };
    const route = candidates.find((r) => r.method === method);
    if (!route) return { status: 405 };
    const params = route.pattern.exec(sub)!.groups ?? {};

    if (route.rateLimited && rateLimited(ip))
      return { status: 403, json: errorBody("Access denied", "Access denied to resource") };

    // Authentication (C1.4): API key, then cookie, then Bearer (2.20+; 2.19 tries the JWT first).
    let user: FakeState["users"][number] | undefined;
    let via: "apiKey" | "jwt" | undefined;
    if (route.access !== "public") {
      const missing = atLeast("2.20.0")
        ? "A valid authorization token is missing"
        : "A valid authorisation token is missing";
      const invalid = atLeast("2.20.0") ? "Invalid JWT token" : "A valid authorisation token is missing";
      const tryKey = () => {
        if (!apiKey) return undefined;
        const digest = crypto.createHash("sha256").update(apiKey).digest("base64");
        const key = state.apiKeys.find((k) => k.digest === digest);
        if (!key) return "invalid" as const;
        if (now() - key.lastUsed * 1000 > 60_000) key.lastUsed = Math.floor(now() / 1000);
        return state.users.find((u) => u.Id === key.userId) ?? ("deleted" as const);
      };
      const tryJwt = () => {
        if (!authz) return undefined;
        if (!authz.startsWith("Bearer ")) return "invalid" as const;
        const claims = verifyJwt(authz.slice("Bearer ".length));
        if (!claims) return "invalid" as const;
        const u = state.users.find((x) => x.Id === claims.id);
        if (!u) return "deleted" as const;
        if (u.TokenIssueAt > claims.iat) return "invalid" as const;
        return u;
      };
      const order = atLeast("2.20.0")
        ? ([
            ["apiKey", tryKey],
            ["jwt", tryJwt],
          ] as const)
        : ([
            ["jwt", tryJwt],
            ["apiKey", tryKey],
          ] as const);
      let outcome: ReturnType<typeof tryKey> | undefined;
      for (const [name, attempt] of order) {
        outcome = attempt();
        if (outcome !== undefined) {
          via = name;
          break;
        }
      }
      if (outcome === undefined) return { status: 401, json: { message: missing, details: "Unauthorized" } };
      if (outcome === "invalid") return { status: 401, json: { message: invalid, details: "Unauthorized" } };
      if (outcome === "deleted")
        return {
          status: 401,
          json: { message: atLeast("2.20.0") ? "An authorization token is invalid" : missing, details: "Unauthorized" },
        };
      user = outcome;
      if (route.access === "admin" && user.Role !== 1)
        return { status: 403, json: { message: "Access denied", details: "Unauthorized" } };
    }

    let json: unknown;
    try {
      json = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined;
    } catch {
      json = Symbol.for("invalid-json");
    }
    const formValue = (name: string): string => form?.get(name)?.[0] ?? url.searchParams.get(name) ?? "";
    const ctx: Ctx = {
      method,
      params,
      query: url.searchParams,
      headers,
      json,
      formValue,
      hasForm: form !== undefined,
      user,
      via,
      state,
      version,
      atLeast,
      now,
      err: (status, message, details) => ({ status, json: errorBody(message, details) }),
      signJwt,
      setupToken,
      clearSetupToken: () => (setupToken = undefined),
      deployFailure: () => deployFailures.shift(),
      unreachable: (u) => unreachable.has(u),
    };
    const reply = route.handler(ctx);
    if (method !== "GET" && reply.status < 300) persist();
    return reply;
  };

  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, (q, s) => void handle(q, s))
    : http.createServer((q, s) => void handle(q, s));
  server.keepAliveTimeout = 5_000;
  // A taken port rejects (the lab then picks another), instead of an uncaught 'error' event.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const findStack = (id: number) => {
    const s = state.stacks.find((x) => x.Id === id);
    if (!s) throw new Error(`fake: no stack ${id}`);
    return s;
  };
  const findEndpoint = (id: number) => {
    const e = state.endpoints.find((x) => x.Id === id);
    if (!e) throw new Error(`fake: no environment ${id}`);
    return e;
  };

  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    version,
    state,
    requests,
    get setupToken() {
      return setupToken;
    },
    fault: (f) => faults.push({ times: 1, ...f }),
    clearFaults: () => {
      faults.splice(0);
      deployFailures.splice(0);
    },
    failNextDeploy: (message) => void deployFailures.push(message),
    setUnreachable: (u, flag = true) => void (flag ? unreachable.add(u) : unreachable.delete(u)),
    makeSwarm: (endpointId, swarmId = crypto.randomBytes(13).toString("hex").slice(0, 25)) => {
      findEndpoint(endpointId).swarmId = swarmId;
      persist();
      return swarmId;
    },
    editStack: (id, change) => {
      const s = findStack(id);
      if (change.fileContent !== undefined) s.fileContent = change.fileContent;
      if (change.Env !== undefined) s.Env = change.Env;
      if (change.Status !== undefined) s.Status = change.Status;
      if (change.Name !== undefined) s.Name = change.Name;
      persist();
    },
    removeStack: (id) => {
      findStack(id);
      state.stacks = state.stacks.filter((s) => s.Id !== id);
      persist();
    },
    changeContainer: (stackId, service, change) => {
      const s = findStack(stackId);
      s.containers = { ...s.containers, [service]: { ...s.containers?.[service], ...change } };
      persist();
    },
    setAgentVersion: (endpointId, v) => {
      findEndpoint(endpointId).agentVersion = v;
      persist();
    },
    removeEnvironment: (id) => {
      findEndpoint(id);
      state.endpoints = state.endpoints.filter((e) => e.Id !== id);
      persist();
    },
    editEnvironment: (id, change) => {
      Object.assign(findEndpoint(id), change);
      persist();
    },
    revokeApiKey: (id) => {
      state.apiKeys = state.apiKeys.filter((k) => k.id !== id);
      persist();
    },
    restart: () => {
      jwtSecret = crypto.randomBytes(32);
      startedAt = now();
      buckets.clear();
      if (atLeast("2.43.0") && state.users.length === 0) setupToken = crypto.randomBytes(16).toString("hex");
    },
    clearRequests: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
