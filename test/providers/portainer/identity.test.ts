// Proves: before any credential (API key, JWT, password) or secret body leaves the client, the server
// proves it is Portainer through its public status route; a plain HTTP server, a server answering HTML
// with 200, a TLS server whose certificate is not trusted and a closed port are each refused with a
// message naming the URL and what answered, and none of them receives a credential.
// Does not prove: a real Portainer's answers (the fake's are checked in client.test.ts).
import { createPortainerClient } from "../../../providers/portainer/client";
import { isPortainerError } from "../../../providers/portainer/errors";
import { noSleep } from "../../helpers/clientScenario";
import { closedPort, startPlainServer, untrustedCertificate, type PlainServer } from "../../helpers/servers";

const SECRET = "an-admin-password-123";
const KEY = "ptr_secretsecretsecretsecret";

/** Every way the client can send a credential, each on a fresh client. */
const operations: [string, (url: string) => Promise<unknown>][] = [
  ["an API-key call", (url) => createPortainerClient({ url, auth: { apiKey: KEY }, sleep: noSleep }).listTags()],
  [
    "a password login",
    (url) => createPortainerClient({ url, auth: { username: "admin", password: SECRET }, sleep: noSleep }).login(),
  ],
  [
    "a JWT call",
    (url) => createPortainerClient({ url, auth: { username: "admin", password: SECRET }, sleep: noSleep }).listStacks(),
  ],
  ["the admin init", (url) => createPortainerClient({ url, sleep: noSleep }).initAdmin("admin", SECRET)],
  [
    "an API-key creation",
    (url) =>
      createPortainerClient({ url, auth: { username: "admin", password: SECRET }, sleep: noSleep }).createApiKey(
        1,
        "phoenix",
        SECRET,
      ),
  ],
];

async function message(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isPortainerError(e)) throw new Error(`expected a PortainerError, got ${String(e)}`);
  return e.message;
}

function credentialsIn(server: PlainServer): string[] {
  return server.requests.flatMap((r) => [
    ...(r.headers["authorization"] ? [`authorization on ${r.path}`] : []),
    ...(r.headers["x-api-key"] ? [`x-api-key on ${r.path}`] : []),
    ...(r.body.includes(SECRET) ? [`password in the body of ${r.path}`] : []),
  ]);
}

describe.each([
  [
    "a plain HTTP server (nginx's 404 page)",
    {},
    'HTTP 404 (text/html) "<html>", not Portainer\'s status JSON with a Version (GET /api/status)',
  ],
  [
    "a web app answering 200 with HTML",
    { status: 200, body: "<!doctype html><title>app</title>" },
    'HTTP 200 (text/html) "<!doctype html><title>app</title>", not ' +
      "Portainer's status JSON with a Version (GET /api/system/status)",
  ],
  [
    "a JSON API without a Version",
    { status: 200, contentType: "application/json", body: '{"status":"ok"}' },
    'HTTP 200 (application/json) "{\\"status\\":\\"ok\\"}", not Portainer\'s ' +
      "status JSON with a Version (GET /api/system/status)",
  ],
])("against %s", (_what, answer, said) => {
  let server: PlainServer;
  beforeEach(async () => (server = await startPlainServer(answer)));
  afterEach(() => server.close());

  it.each(operations)("%s fails naming the URL and what answered, and sends no credential", async (_op, run) => {
    expect(await message(run(server.url))).toBe(
      `Unable to verify Portainer server ${server.url}: it answered ${said}; no ` +
        `credential was sent; check phoenix:portainer.url`,
    );
    expect(credentialsIn(server)).toEqual([]);
    expect(new Set(server.requests.map((r) => `${r.method} ${r.path}`))).toEqual(
      new Set(["GET /api/system/status", ...(said.endsWith("(GET /api/status)") ? ["GET /api/status"] : [])]),
    );
  });
});

describe("against a TLS server with a certificate nobody trusts", () => {
  let server: PlainServer;
  beforeAll(
    async () =>
      (server = await startPlainServer(
        { status: 200, contentType: "application/json", body: '{"Version":"2.27.9","InstanceID":"x"}' },
        untrustedCertificate(),
      )),
  );
  afterAll(() => server.close());

  it.each(operations)("%s fails before any request is read", async (_op, run) => {
    expect(await message(run(server.url))).toMatch(
      new RegExp(
        `^Unable to verify Portainer server ${server.url}: TLS verification ` +
          `failed: [A-Z_]+ \\(GET /api/system/status\\); no credential was sent; ` +
          `trust the CA that signed its certificate`,
      ),
    );
    expect(server.requests).toEqual([]);
  });
});

describe("against a closed port", () => {
  it.each(operations)("%s fails at once with the refused connection", async (_op, run) => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    expect(await message(run(url))).toMatch(
      new RegExp(
        `^Unable to verify Portainer server ${url}: ECONNREFUSED: .* \\(GET ` +
          `/api/system/status\\); no credential was sent$`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
