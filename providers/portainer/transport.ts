/**
 * The transport of the Portainer client: the only code in phoenix that speaks HTTP to Portainer.
 *
 * It owns the base URL, authentication (an API key, or a username and password exchanged once for a
 * JWT), TLS (verified by default, a pinned CA, or skipped when configured), per-request timeouts,
 * retries with exponential backoff and jitter (idempotent requests only; a POST only behind an
 * "already done?" check the caller supplies), connection reuse, and typed errors. Facts about the API
 * come from ../shared/portainer/CONTRACT.md (cited as "C" + section).
 *
 * Loaded from the project in the provider host (ADR 011), so the one module-level value, the servers
 * this process verified, lives as long as the host.
 */
import { Agent, FormData, request } from "undici";
import {
  isPortainerError,
  isRetryable,
  KEY_REFUSED_HINT,
  portainerError,
  withHint,
  type Operation,
  type PortainerErrorInit,
} from "./errors";

/** The oldest Portainer phoenix supports: `/api/stacks/create/...` arrived in 2.19 (C6.3). */
export const MIN_SUPPORTED_VERSION = "2.19.0";

/** How the client authenticates. */
export type PortainerAuth = { readonly apiKey: string } | { readonly username: string; readonly password: string };

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

/** One call: the route, its parameters, how to authenticate, what success is, and how to retry. */
export interface Call<T> {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** The path under `/api`, parameters already filled in (`/stacks/3`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly json?: unknown;
  readonly form?: Readonly<Record<string, string>>;
  /** `none` for public routes; `jwt` where Portainer refuses API keys (API-key creation, C3). */
  readonly auth: "none" | "any" | "jwt";
  readonly op: Operation;
  /** Success statuses. */
  readonly ok: readonly number[];
  /** Parses a successful body; absent for bodiless answers. */
  readonly parse?: (body: unknown) => T;
  /**
   * `idempotent` retries; `never` does not; an object retries a POST only after `alreadyDone` found
   * nothing (a result, or `null` for "done, nothing to return", ends the call).
   */
  readonly retry: "idempotent" | "never" | { readonly alreadyDone: () => Promise<T | undefined> };
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Skip the version check: only for public calls that carry no credential (the status probe, the admin
   * check). A call with a credential, or a secret in its body ({@link Call.sendsSecret}), always waits
   * until the server has proved it is Portainer.
   */
  readonly unversioned?: boolean;
  /** The body holds a secret (admin init's password): sent only to a server that proved it is Portainer. */
  readonly sendsSecret?: boolean;
}

export interface Transport {
  /** The base URL without a trailing slash or `/api`. */
  readonly baseUrl: string;
  readonly options: PortainerClientOptions;
  /** Runs one call with version check, authentication, retries and error mapping. */
  send<T>(c: Call<T>): Promise<T>;
  /**
   * The public status probe (`/api/system/status`, or `/api/status` before 2.17 and after the admin-init
   * timeout). It is also the server's proof of identity: an answer without Portainer's JSON shape and a
   * version fails, naming the URL and what answered.
   */
  status(): Promise<{ Version: string; InstanceID?: string }>;
  /**
   * The server version, read once: the identity check every credential waits for. Rejects servers older
   * than {@link MIN_SUPPORTED_VERSION}.
   */
  version(): Promise<string>;
  /** Logs in with the configured username and password (`POST /api/auth`); never retried (C1.6). */
  login(): Promise<void>;
  /** The JWT of the last login, if any. */
  jwt(): string | undefined;
  /** How many logins this transport made. */
  logins(): number;
  close(): Promise<void>;
}

/** Compares dotted versions numerically; negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a
    .split(/[.-]/)
    .slice(0, 3)
    .map((n) => Number.parseInt(n, 10) || 0);
  const pb = b
    .split(/[.-]/)
    .slice(0, 3)
    .map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The servers this process has verified (C4), by URL and TLS settings, with their versions: the status
 * probe runs once per process and server, not once per provider call (the providers are loaded once per
 * host process, ADR 011). A failed probe is not kept.
 */
const verifiedServers = new Map<string, Promise<string>>();

/** Forgets every verified server, so that the next call probes again (tests that count requests). */
export function forgetVerifiedServers(): void {
  verifiedServers.clear();
}

export function createTransport(options: PortainerClientOptions): Transport {
  const baseUrl = options.url.replace(/\/+$/, "").replace(/\/api$/, "");
  const tls = options.tls ?? {};
  const agent = new Agent({
    connect: {
      rejectUnauthorized: tls.insecureSkipVerify !== true,
      ...(tls.caCert !== undefined ? { ca: tls.caCert } : {}),
    },
    keepAliveTimeout: 10_000,
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const attempts = Math.max(1, options.retry?.attempts ?? 4);
  const baseDelay = options.retry?.baseDelayMs ?? 250;
  const maxDelay = options.retry?.maxDelayMs ?? 5_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const auth = options.auth;
  // Errors no retry loop may retry: failed logins (the login route is rate-limited, C1.6).
  const final = new WeakSet<object>();
  let jwt: string | undefined;
  let loginCount = 0;
  // What the identity check vouches for: this URL reached with these TLS settings.
  const identity = JSON.stringify([baseUrl, tls.insecureSkipVerify === true, tls.caCert ?? ""]);

  /** Waits before the next attempt: exponential backoff with jitter, capped. */
  function backoff(attempt: number): Promise<void> {
    const cap = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
    return sleep(Math.round(cap / 2 + (cap / 2) * random()));
  }

  function fail(c: Call<unknown>, init: Partial<PortainerErrorInit> & Pick<PortainerErrorInit, "kind">) {
    return portainerError({ operation: c.op, method: c.method, path: `/api${c.path}`, ...init });
  }

  /** What one HTTP exchange got back. */
  interface Answer {
    readonly status: number;
    readonly contentType: string;
    readonly text: string;
    /** The path and query sent, for messages. */
    readonly path: string;
  }

  /** One HTTP exchange, no retries, no interpretation beyond transport failures. */
  async function exchange(c: Call<unknown>, authHeader: Record<string, string> | undefined): Promise<Answer> {
    const url = new URL(`${baseUrl}/api${c.path}`);
    for (const [k, v] of Object.entries(c.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json", ...(authHeader ?? {}), ...(c.headers ?? {}) };
    let body: string | FormData | undefined;
    if (c.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(c.json);
    } else if (c.form !== undefined) {
      body = new FormData();
      for (const [k, v] of Object.entries(c.form)) body.append(k, v);
    }
    const path = url.pathname + url.search;
    try {
      const res = await request(url, {
        method: c.method,
        headers,
        body,
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const ct = res.headers["content-type"];
      const contentType = (Array.isArray(ct) ? ct[0] : ct) ?? "";
      return { status: res.statusCode, contentType, text: await res.body.text(), path };
    } catch (e) {
      const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
      if (err.name === "TimeoutError" || err.name === "AbortError") throw fail(c, { kind: "timeout", path, cause: e });
      const code = err.code ?? err.cause?.code ?? "";
      const message = err.message ?? String(e);
      if (
        /^(ERR_TLS|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_SSL|HOSTNAME_MISMATCH)/.test(code) ||
        /certificate/i.test(message)
      ) {
        throw fail(c, { kind: "tls", path, serverMessage: `TLS verification failed: ${code || message}`, cause: e });
      }
      throw fail(c, { kind: "network", path, serverMessage: code ? `${code}: ${message}` : message, cause: e });
    }
  }

  /** One call, no retries: success parsed, anything else a typed error. */
  async function once<T>(c: Call<T>, authHeader: Record<string, string> | undefined): Promise<T> {
    const { status, text, path } = await exchange(c, authHeader);
    if (c.ok.includes(status)) {
      if (!c.parse) return undefined as T;
      try {
        return c.parse(text === "" ? undefined : JSON.parse(text));
      } catch (e) {
        throw fail(c, {
          kind: "protocol",
          path,
          status,
          serverMessage: `unexpected answer: ${(e as Error).message.split("\n")[0]}`,
          cause: e,
        });
      }
    }
    // Router-level answers are not JSON: 404 text/plain, 405 empty (C1.3).
    let serverMessage: string | undefined = text.trim() || undefined;
    let details: string | undefined;
    try {
      const j = JSON.parse(text) as { message?: unknown; details?: unknown };
      if (j && typeof j === "object" && (typeof j.message === "string" || typeof j.details === "string")) {
        serverMessage = typeof j.message === "string" ? j.message : undefined;
        details = typeof j.details === "string" ? j.details : undefined;
      }
    } catch {
      // not JSON
    }
    // A refused API key: revoked or deleted in Portainer (C1.4). Say what repairs it.
    const hint = status === 401 && authHeader?.["X-API-Key"] !== undefined ? KEY_REFUSED_HINT : undefined;
    throw fail(c, {
      kind: "http",
      path,
      status,
      ...(serverMessage ? { serverMessage } : {}),
      ...(details !== undefined ? { details } : {}),
      ...(hint ? { hint } : {}),
    });
  }

  async function login(): Promise<void> {
    const c: Call<{ jwt: string }> = {
      method: "POST",
      path: "/auth",
      auth: "none",
      op: { action: "log in as", resource: "user", id: auth && "username" in auth ? auth.username : undefined },
      ok: [200],
      retry: "never",
      unversioned: true,
    };
    if (!auth || !("username" in auth))
      throw fail(c, { kind: "unsupported", serverMessage: "the client has no username and password" });
    // The password goes only to a server that proved it is Portainer.
    await version();
    loginCount++;
    try {
      const r = await once(
        {
          ...c,
          json: { Username: auth.username, Password: auth.password },
          parse: (b) => {
            const token = (b as { jwt?: unknown } | undefined)?.jwt;
            if (typeof token !== "string" || token === "") throw new TypeError("no jwt in the answer");
            return { jwt: token };
          },
        },
        undefined,
      );
      jwt = r.jwt;
    } catch (e) {
      if (typeof e === "object" && e !== null) final.add(e);
      throw e;
    }
  }

  /**
   * Sends with the right credential; with a password login, a 401 (expired JWT, restarted server) logs in again once.
   */
  async function authenticated<T>(c: Call<T>): Promise<T> {
    if (c.auth === "none") return once(c, undefined);
    if (!auth) throw fail(c, { kind: "unsupported", serverMessage: "the client has no credentials" });
    if ("apiKey" in auth) {
      if (c.auth === "jwt")
        throw fail(c, {
          kind: "unsupported",
          serverMessage: "Portainer accepts this call only with a password login (JWT), not with an API key",
        });
      return once(c, { "X-API-Key": auth.apiKey });
    }
    const hadJwt = jwt !== undefined;
    if (!hadJwt) await login();
    try {
      return await once(c, { Authorization: `Bearer ${jwt}` });
    } catch (e) {
      if (!hadJwt || !isPortainerError(e) || e.status !== 401) throw e;
      await login();
      return once(c, { Authorization: `Bearer ${jwt}` });
    }
  }

  /**
   * The public status probe and identity check (C4): `/api/system/status`, or `/api/status` when that is
   * missing (before 2.17) or disabled by the admin-init timeout (303, C1.7). Anything but Portainer's JSON
   * with a version fails with what answered: status, content type and the first line of the body.
   */
  async function status(): Promise<{ Version: string; InstanceID?: string }> {
    const op = { action: "verify", resource: "server", id: baseUrl };
    const probe = async (path: string): Promise<Answer> => {
      const c: Call<Answer> = { method: "GET", path, auth: "none", op, ok: [], retry: "idempotent", unversioned: true };
      for (let attempt = 1; ; attempt++) {
        try {
          const a = await exchange(c, undefined);
          if (a.status === 429 || a.status >= 500) {
            const said = a.text.trim() ? { serverMessage: firstLineOf(a.text) } : {};
            throw fail(c, { kind: "http", path: a.path, status: a.status, ...said });
          }
          return a;
        } catch (e) {
          const retryable = isRetryable(e) && attempt < attempts;
          if (!retryable)
            throw isPortainerError(e) ? withHint(e, e.kind === "tls" ? TLS_HINT : "no credential was sent") : e;
          await backoff(attempt);
        }
      }
    };
    let a = await probe("/system/status");
    if (a.status === 404 || a.status === 303) a = await probe("/status");
    const parsed = portainerStatus(a);
    if (parsed) return parsed;
    const firstLine = firstLineOf(a.text);
    const shown = firstLine === "" ? "an empty body" : JSON.stringify(firstLine);
    throw portainerError({
      kind: "protocol",
      operation: op,
      method: "GET",
      path: a.path,
      status: a.status,
      serverMessage:
        `it answered HTTP ${a.status} (${a.contentType || "no content type"}) ` +
        `${shown}, not Portainer's status JSON with a Version`,
      hint: "no credential was sent; check phoenix:portainer.url",
    });
  }

  function version(): Promise<string> {
    const known = verifiedServers.get(identity);
    if (known) return known;
    const probe = status().then((s) => {
      if (compareVersions(s.Version, MIN_SUPPORTED_VERSION) < 0) {
        throw portainerError({
          kind: "unsupported",
          operation: { action: "use", resource: "server", id: baseUrl },
          method: "GET",
          path: "/api/system/status",
          serverMessage:
            `version ${s.Version} is older than ${MIN_SUPPORTED_VERSION}, the oldest ` +
            `phoenix supports; upgrade Portainer`,
        });
      }
      return s.Version;
    });
    verifiedServers.set(identity, probe);
    probe.catch(() => verifiedServers.get(identity) === probe && verifiedServers.delete(identity));
    return probe;
  }

  async function send<T>(c: Call<T>): Promise<T> {
    // No credential, and no secret in a body, before the server proved it is Portainer.
    if (!c.unversioned || c.auth !== "none" || c.sendsSecret) await version();
    for (let attempt = 1; ; attempt++) {
      try {
        return await authenticated(c);
      } catch (e) {
        if (!isRetryable(e) || attempt >= attempts || c.retry === "never" || final.has(e as object)) throw e;
        if (typeof c.retry === "object") {
          const done = await c.retry.alreadyDone();
          if (done !== undefined) return done;
        } else if (c.method === "POST") {
          throw e;
        }
        await backoff(attempt);
      }
    }
  }

  return {
    baseUrl,
    options,
    send,
    status,
    version,
    login,
    jwt: () => jwt,
    logins: () => loginCount,
    close: () => agent.close(),
  };
}

const TLS_HINT =
  "no credential was sent; trust the CA that signed its certificate " +
  "(phoenix:portainer.tls.ca_cert), or set tls.insecure_skip_verify";

/** The first line of a body, at most 120 characters: enough to tell what answered. */
function firstLineOf(text: string): string {
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.length > 120 ? `${line.slice(0, 120)}...` : line;
}

/** Portainer's status answer (C4): 200, JSON, an object with a dotted `Version`; undefined for anything else. */
function portainerStatus(a: {
  status: number;
  contentType: string;
  text: string;
}): { Version: string; InstanceID?: string } | undefined {
  if (a.status !== 200 || !/^application\/json\b/i.test(a.contentType)) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(a.text);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== "object" || Array.isArray(o)) return undefined;
  const { Version, InstanceID } = o as { Version?: unknown; InstanceID?: unknown };
  if (typeof Version !== "string" || !/^\d+\.\d+(\.\d+)?/.test(Version)) return undefined;
  return { Version, ...(typeof InstanceID === "string" ? { InstanceID } : {}) };
}
