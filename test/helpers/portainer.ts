/**
 * Helpers to drive the fake Portainer over plain HTTP (`fetch`), independent of our client, so the
 * fake's tests and the client's tests do not prove each other.
 */
import { startFakePortainer, type FakePortainer, type FakePortainerOptions } from "../fakes/portainer/server";

export const ADMIN = { username: "admin", password: "a-long-admin-password" } as const;

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The JSON body, or undefined. */
  body: unknown;
}

/** One HTTP call to the fake. `json` sends a JSON body; `form` a multipart body; `bearer` or `apiKey` authenticate. */
export async function call(
  fake: FakePortainer,
  method: string,
  path: string,
  opts: {
    json?: unknown;
    form?: [string, string][];
    urlencoded?: string;
    bearer?: string;
    apiKey?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.bearer) headers["Authorization"] = `Bearer ${opts.bearer}`;
  if (opts.apiKey) headers["X-API-Key"] = opts.apiKey;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    const fd = new FormData();
    for (const [k, v] of opts.form) fd.append(k, v);
    body = fd;
  } else if (opts.urlencoded !== undefined) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = opts.urlencoded;
  }
  const res = await fetch(fake.url + path, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** Creates the admin, logs in once, and creates an API key. */
export async function bootstrap(fake: FakePortainer): Promise<{ jwt: string; apiKey: string }> {
  const init = await call(fake, "POST", "/api/users/admin/init", {
    json: { Username: ADMIN.username, Password: ADMIN.password },
  });
  if (init.status !== 200) throw new Error(`admin init: ${init.status} ${init.text}`);
  const auth = await call(fake, "POST", "/api/auth", { json: { Username: ADMIN.username, Password: ADMIN.password } });
  const jwt = (auth.body as { jwt: string }).jwt;
  const key = await call(fake, "POST", "/api/users/1/tokens", {
    bearer: jwt,
    json: { description: "tests", password: ADMIN.password },
  });
  return { jwt, apiKey: (key.body as { rawAPIKey: string }).rawAPIKey };
}

/** A started fake with an admin and an API key; the rate limiter is on as in Portainer. */
export async function bootstrappedFake(
  options: FakePortainerOptions = {},
): Promise<FakePortainer & { jwt: string; apiKey: string }> {
  const fake = await startFakePortainer(options);
  const creds = await bootstrap(fake);
  fake.clearRequests();
  return Object.assign(fake, creds);
}

/** Registers an agent environment the way Portainer's UI does. */
export async function addAgent(
  fake: FakePortainer & { apiKey: string },
  name: string,
  url = "tcp://10.0.0.102:9001",
): Promise<number> {
  const r = await call(fake, "POST", "/api/endpoints", {
    apiKey: fake.apiKey,
    form: [
      ["Name", name],
      ["EndpointCreationType", "2"],
      ["URL", url],
      ["TLS", "true"],
      ["TLSSkipVerify", "true"],
      ["TLSSkipClientVerify", "true"],
    ],
  });
  if (r.status !== 200) throw new Error(`add agent: ${r.status} ${r.text}`);
  return (r.body as { Id: number }).Id;
}

/** Creates a compose stack; returns its id. */
export async function addStack(
  fake: FakePortainer & { apiKey: string },
  endpointId: number,
  name: string,
  env: { name: string; value: string }[] = [],
  compose = "services:\n  web:\n    image: nginx:1.27\n",
): Promise<number> {
  const r = await call(fake, "POST", `/api/stacks/create/standalone/string?endpointId=${endpointId}`, {
    apiKey: fake.apiKey,
    json: { Name: name, StackFileContent: compose, Env: env },
  });
  if (r.status !== 200) throw new Error(`add stack: ${r.status} ${r.text}`);
  return (r.body as { Id: number }).Id;
}
