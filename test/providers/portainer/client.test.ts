// Proves: the Portainer client sends exactly the documented requests for every route, authenticates
// correctly (API key or one JWT login, never both, no cookies), maps errors to typed PortainerErrors,
// retries only what is safe, times out, verifies TLS, and refuses servers older than 2.19 — all against
// the fake Portainer. Does not prove: behaviour of a real Portainer (none runs here).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createPortainerClient, forgetVerifiedServers, normalizeStackName } from "../../../providers/portainer/client";
import type { PortainerError } from "../../../providers/portainer/errors";
import {
  isAuthError,
  isConflict,
  isNotFound,
  isPortainerError,
  isRetryable,
} from "../../../providers/portainer/errors";
import { startFakePortainer, type FakePortainer, type RecordedRequest } from "../../fakes/portainer/server";
import { exerciseEveryRoute, noSleep } from "../../helpers/clientScenario";
import { ADMIN, addAgent, bootstrappedFake } from "../../helpers/portainer";

let fake: FakePortainer & { jwt?: string; apiKey?: string };
afterEach(async () => fake?.close());

/** method, path, query and body keys of each request, as a compact line. */
function shape(r: RecordedRequest): string {
  const q = Object.keys(r.query).length
    ? `?${Object.entries(r.query)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("|") : v}`)
        .join("&")}`
    : "";
  const keys = r.form
    ? Object.keys(r.form)
    : r.json && typeof r.json === "object" && !Array.isArray(r.json)
      ? Object.keys(r.json)
      : [];
  const auth = r.headers["x-api-key"] ? "key" : r.headers["authorization"] ? "jwt" : "none";
  return `${r.method} ${r.path}${q} [${keys.join(",")}] ${auth} -> ${r.status}`;
}

async function rejection(p: Promise<unknown>): Promise<PortainerError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isPortainerError(e)) throw new Error(`expected a PortainerError, got ${String(e)}`);
  return e;
}

describe("PortainerClient against the fake: every route", () => {
  it("sends exactly these requests, in this order", async () => {
    fake = await startFakePortainer();
    await exerciseEveryRoute(fake);
    const envId = fake.requests.find((r) => r.path === "/api/endpoints" && r.method === "POST");
    expect(envId).toBeDefined();
    expect(fake.requests.map(shape)).toEqual([
      "GET /api/system/status [] none -> 200",
      "GET /api/users/admin/check [] none -> 404",
      "GET /api/system/status [] none -> 200",
      "POST /api/users/admin/init [Username,Password] none -> 200",
      "POST /api/auth [Username,Password] none -> 200",
      "GET /api/users/me [] jwt -> 200",
      "POST /api/users/1/tokens [description,password] jwt -> 201",
      // The API-key client reaches a server this process has verified: no second probe.
      "GET /api/users/1/tokens [] key -> 200",
      "POST /api/tags [Name] key -> 200",
      "GET /api/tags [] key -> 200",
      "POST /api/endpoint_groups [Name,Description,TagIDs] key -> 200",
      "GET /api/endpoint_groups [] key -> 200",
      "GET /api/endpoint_groups/2 [] key -> 200",
      "PUT /api/endpoint_groups/2 [Description,TagIDs] key -> 200",
      "POST /api/endpoints " +
        "[Name,EndpointCreationType,URL,GroupID,TagIds,TLS,TLSSkipVerify,TLSSkipClientVerify] " +
        "key -> 200",
      "GET /api/endpoints?name=Dr-Phoenix&excludeSnapshots=true [] key -> 200",
      "GET /api/endpoints/1 [] key -> 200",
      "PUT /api/endpoints/1 [PublicURL,TagIDs] key -> 200",
      "POST /api/stacks/create/standalone/string?endpointId=1 [Name,StackFileContent,Env] key -> 200",
      'GET /api/stacks?filters={"EndpointID":1} [] key -> 200',
      "GET /api/stacks/1 [] key -> 200",
      "GET /api/stacks/1/file [] key -> 200",
      "PUT /api/stacks/1?endpointId=1 [StackFileContent,Env,Prune,PullImage] key -> 200",
      "POST /api/stacks/1/stop?endpointId=1 [] key -> 200",
      "POST /api/stacks/1/start?endpointId=1 [] key -> 200",
      "GET /api/endpoints/1/docker/swarm [] key -> 200",
      "POST /api/endpoints/1/docker/configs/create [Name,Data,Labels] key -> 200",
      "GET /api/endpoints/1/docker/configs [] key -> 200",
      'GET /api/endpoints/1/docker/containers/json?all=1&filters={"label":["com.docker.compose.project=app"]} ' +
        "[] key -> 200",
      expect.stringMatching(/^GET \/api\/endpoints\/1\/docker\/configs\/[0-9a-f]{25} \[\] key -> 200$/),
      "POST /api/endpoints/1/docker/secrets/create [Name,Data,Labels] key -> 200",
      "GET /api/endpoints/1/docker/secrets [] key -> 200",
      expect.stringMatching(/^GET \/api\/endpoints\/1\/docker\/secrets\/[0-9a-f]{25} \[\] key -> 200$/),
      "POST /api/stacks/create/swarm/string?endpointId=1 [Name,SwarmID,StackFileContent,Env] key -> 200",
      "DELETE /api/stacks/2?endpointId=1 [] key -> 204",
      expect.stringMatching(/^DELETE \/api\/endpoints\/1\/docker\/configs\/[0-9a-f]{25} \[\] key -> 204$/),
      expect.stringMatching(/^DELETE \/api\/endpoints\/1\/docker\/secrets\/[0-9a-f]{25} \[\] key -> 204$/),
      "DELETE /api/stacks/1?endpointId=1 [] key -> 204",
      "DELETE /api/endpoints/1 [] key -> 204",
      "DELETE /api/endpoint_groups/2 [] key -> 204",
      "DELETE /api/tags/1 [] key -> 204",
      "DELETE /api/users/1/tokens/1 [] key -> 204",
      "GET /api/system/status [] none -> 404",
      "GET /api/status [] none -> 200",
    ]);
  });

  it("never sends both auth headers, a cookie, a split TagIds field, or a stack update without Env", async () => {
    fake = await startFakePortainer();
    await exerciseEveryRoute(fake);
    const all = fake.requests;
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((r) => r.headers["x-api-key"] && r.headers["authorization"])).toEqual([]);
    expect(all.filter((r) => r.headers["cookie"] !== undefined)).toEqual([]);
    const envCreates = all.filter((r) => r.method === "POST" && r.path === "/api/endpoints");
    expect(envCreates.map((r) => r.form?.["TagIds"])).toEqual(["[1]"]);
    const updates = all.filter((r) => r.method === "PUT" && /^\/api\/stacks\/\d+$/.test(r.path));
    expect(updates.map((r) => Object.prototype.hasOwnProperty.call(r.json, "Env"))).toEqual([true]);
    // The login cookie Portainer set was not kept (positive control: it was set).
    expect(all.some((r) => r.path === "/api/auth")).toBe(true);
  });

  it("sends the environment form's booleans as lowercase true/false and the Docker data base64-encoded", async () => {
    fake = await startFakePortainer();
    await exerciseEveryRoute(fake);
    const form = fake.requests.find((r) => r.method === "POST" && r.path === "/api/endpoints")!.form;
    expect(form).toEqual({
      Name: "Dr-Phoenix",
      EndpointCreationType: "2",
      URL: "tcp://10.0.0.102:9001",
      GroupID: "2",
      TagIds: "[1]",
      TLS: "true",
      TLSSkipVerify: "true",
      TLSSkipClientVerify: "true",
    });
    const config = fake.requests.find((r) => r.path.endsWith("/docker/configs/create"))!.json;
    expect(config).toEqual({
      Name: "app-config",
      Data: Buffer.from("key: value\n").toString("base64"),
      Labels: { "phoenix.stack": "app" },
    });
  });
});

describe("PortainerClient errors", () => {
  beforeEach(async () => (fake = await bootstrappedFake()));
  const client = (extra: object = {}) =>
    createPortainerClient({ url: fake.url, auth: { apiKey: fake.apiKey! }, sleep: noSleep, ...extra });

  it("maps 404 to not-found with Portainer's message", async () => {
    const e = await rejection(client().getStack(99));
    expect([isNotFound(e), isConflict(e), isRetryable(e), e.status]).toEqual([true, false, false, 404]);
    expect(e.message).toBe(
      "Unable to read Portainer stack 99: Unable to find a stack with the " +
        "specified identifier inside the database: Object not found inside the " +
        "database (HTTP 404 GET /api/stacks/99)",
    );
  });

  it("maps the 500 'API Key not found' to not-found and does not retry it", async () => {
    const e = await rejection(client().deleteApiKey(1, 42));
    expect([isNotFound(e), isRetryable(e), e.status, e.serverMessage]).toEqual([true, false, 500, "API Key not found"]);
    expect(fake.requests.filter((r) => r.method === "DELETE")).toHaveLength(1);
  });

  it("maps 409 to conflict", async () => {
    await client().createTag("prod");
    const e = await rejection(client().createTag("prod"));
    expect([isConflict(e), e.message]).toEqual([
      true,
      "Unable to create Portainer tag prod: This name is already associated to " +
        "a tag: A tag already exists with this name (HTTP 409 POST /api/tags)",
    ]);
  });

  it("tells 401 (bad credential) from 403 (refused)", async () => {
    const unauthorized = await rejection(
      createPortainerClient({ url: fake.url, auth: { apiKey: "ptr_wrong" } }).listTags(),
    );
    expect([unauthorized.status, isAuthError(unauthorized), unauthorized.message]).toEqual([
      401,
      true,
      "Unable to list Portainer tags: Invalid JWT token: Unauthorized (HTTP 401 " +
        "GET /api/tags); Portainer refused the API key: it was revoked or deleted " +
        "outside Pulumi. " +
        ("Run `pulumi refresh`, then `pulumi up` (or `pulumi up --refresh`): the " +
          "refresh finds the key gone and the up creates a new one"),
    ]);
    const forbidden = await rejection(client().deleteGroup(1));
    expect([forbidden.status, forbidden.message]).toEqual([
      403,
      "Unable to delete Portainer environment group 1: Unable to remove the " +
        "default 'Unassigned' group: Cannot remove the default environment group " +
        "(HTTP 403 DELETE /api/endpoint_groups/1)",
    ]);
  });

  it("reports the non-JSON 404 text and the empty 405 of Portainer's router", async () => {
    const elsewhere = createPortainerClient({ url: `${fake.url}/not-portainer`, auth: { apiKey: fake.apiKey! } });
    const e404 = await rejection(elsewhere.status());
    expect([e404.status, e404.message]).toEqual([
      404,
      `Unable to verify Portainer server ${fake.url}/not-portainer: it answered ` +
        `HTTP 404 (text/plain; charset=utf-8) "404 page not found", not ` +
        `Portainer's status JSON ` +
        "with a Version (GET /not-portainer/api/status); no credential was sent; check phoenix:portainer.url",
    ]);
    fake.fault({ path: "/api/tags", status: 405, body: "" });
    const e405 = await rejection(client().listTags());
    expect([e405.status, e405.serverMessage, e405.message]).toEqual([
      405,
      undefined,
      "Unable to list Portainer tags: (empty answer) (HTTP 405 GET /api/tags)",
    ]);
  });

  it("reports an answer of the wrong shape as a protocol error", async () => {
    fake.fault({ path: "/api/tags", status: 200, body: '[{"id":1,"name":"lower-case"}]' });
    const e = await rejection(client().listTags());
    expect([e.kind, e.status]).toEqual(["protocol", 200]);
    expect(e.message).toMatch(/^Unable to list Portainer tags: unexpected answer: /);
  });
});

describe("PortainerClient retries", () => {
  beforeEach(async () => (fake = await bootstrappedFake()));

  it("retries a GET after 503 with exponential backoff and jitter, then succeeds", async () => {
    const sleeps: number[] = [];
    const c = createPortainerClient({
      url: fake.url,
      auth: { apiKey: fake.apiKey! },
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
      retry: { baseDelayMs: 100, maxDelayMs: 1000 },
    });
    fake.fault({ method: "GET", path: "/api/tags", status: 503, times: 2 });
    expect(await c.listTags()).toEqual([]);
    expect(fake.requests.filter((r) => r.path === "/api/tags").map((r) => r.status)).toEqual([503, 503, 200]);
    expect(sleeps).toEqual([75, 150]);
  });

  it("retries 429 and a reset connection, and gives up after the configured attempts", async () => {
    const c = createPortainerClient({
      url: fake.url,
      auth: { apiKey: fake.apiKey! },
      sleep: noSleep,
      retry: { attempts: 3 },
    });
    fake.fault({ path: "/api/tags", status: 429 });
    fake.fault({ path: "/api/tags", reset: "before" });
    expect(await c.listTags()).toEqual([]);
    fake.fault({ path: "/api/tags", status: 500, times: 3 });
    const e = await rejection(c.listTags());
    expect([e.status, isRetryable(e)]).toEqual([500, true]);
  });

  it("never retries a POST blindly: a lost create is looked up before it is sent again", async () => {
    const c = createPortainerClient({ url: fake.url, auth: { apiKey: fake.apiKey! }, sleep: noSleep });
    fake.fault({ method: "POST", path: "/api/tags", reset: "after" });
    const tag = await c.createTag("prod");
    expect(tag).toEqual({ ID: 1, Name: "prod" });
    expect(fake.state.tags).toEqual([{ ID: 1, Name: "prod" }]);
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /api/system/status 200",
      "POST /api/tags -1",
      "GET /api/tags 200",
    ]);
  });

  it("sends a create again only after the check found nothing", async () => {
    const c = createPortainerClient({ url: fake.url, auth: { apiKey: fake.apiKey! }, sleep: noSleep });
    const env = await addAgent(fake as FakePortainer & { apiKey: string }, "agent-1");
    fake.clearRequests();
    fake.fault({ method: "POST", path: "/api/stacks/create/standalone/string", status: 503 });
    const s = await c.createStandaloneStack(env, "web", {
      stackFileContent: "services:\n  a:\n    image: x\n",
      env: [],
    });
    expect(s.Name).toBe("web");
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /api/system/status 200",
      "POST /api/stacks/create/standalone/string 503",
      "GET /api/stacks 200",
      "POST /api/stacks/create/standalone/string 200",
    ]);
  });

  it("does not retry API key creation or a login at all", async () => {
    const c = createPortainerClient({
      url: fake.url,
      auth: { username: ADMIN.username, password: ADMIN.password },
      sleep: noSleep,
    });
    fake.fault({ method: "POST", path: "/api/auth", status: 503 });
    expect((await rejection(c.listTags())).status).toBe(503);
    fake.fault({ method: "POST", path: "/api/users/1/tokens", status: 503 });
    expect((await rejection(c.createApiKey(1, "x", ADMIN.password))).status).toBe(503);
    expect(fake.requests.filter((r) => r.method === "POST").map((r) => `${r.path} ${r.status}`)).toEqual([
      "/api/auth 503",
      "/api/auth 200",
      "/api/users/1/tokens 503",
    ]);
  });

  it("times out a request that gets no answer, and retries it when idempotent", async () => {
    const one = createPortainerClient({
      url: fake.url,
      auth: { apiKey: fake.apiKey! },
      sleep: noSleep,
      timeoutMs: 100,
      retry: { attempts: 1 },
    });
    await one.version();
    fake.fault({ path: "/api/tags", delayMs: 400 });
    const e = await rejection(one.listTags());
    expect([e.kind, isRetryable(e), e.message]).toEqual([
      "timeout",
      true,
      "Unable to list Portainer tags: no answer in time (GET /api/tags)",
    ]);
    const retrying = createPortainerClient({
      url: fake.url,
      auth: { apiKey: fake.apiKey! },
      sleep: noSleep,
      timeoutMs: 100,
    });
    await retrying.version();
    fake.fault({ path: "/api/tags", delayMs: 400 });
    expect(await retrying.listTags()).toEqual([]);
  });
});

describe("PortainerClient identity check, once per process", () => {
  const statusProbes = () => fake.requests.filter((r) => r.path === "/api/system/status").length;

  it(
    "probes a server once for every client of this process, again under other " +
      "TLS settings, and again after a failed probe",
    async () => {
      fake = await bootstrappedFake();
      forgetVerifiedServers();
      fake.clearRequests();
      const client = () => createPortainerClient({ url: fake.url, auth: { apiKey: fake.apiKey! }, sleep: noSleep });
      await client().listTags();
      await client().listTags();
      await createPortainerClient({ url: `${fake.url}/`, auth: { apiKey: fake.apiKey! } }).listGroups();
      expect(statusProbes()).toBe(1);

      await createPortainerClient({
        url: fake.url,
        auth: { apiKey: fake.apiKey! },
        tls: { insecureSkipVerify: true },
      }).listTags();
      expect(statusProbes()).toBe(2);

      forgetVerifiedServers();
      fake.clearRequests();
      fake.fault({ path: "/api/system/status", status: 500, times: 4 });
      await expect(client().listTags()).rejects.toThrow(/HTTP 500/);
      expect([statusProbes(), fake.requests.some((r) => r.path === "/api/tags")]).toEqual([4, false]);
      await client().listTags();
      expect(statusProbes()).toBe(5);
    },
  );
});

describe("PortainerClient authentication", () => {
  it("logs in once, reuses the JWT, and logs in again once after a server restart", async () => {
    fake = await bootstrappedFake();
    const c = createPortainerClient({
      url: fake.url,
      auth: { username: ADMIN.username, password: ADMIN.password },
      sleep: noSleep,
    });
    await c.listTags();
    await c.listGroups();
    expect(c.logins).toBe(1);
    fake.restart();
    await c.listTags();
    expect(c.logins).toBe(2);
    expect(fake.requests.filter((r) => r.path === "/api/tags").map((r) => r.status)).toEqual([200, 401, 200]);
  });

  it("refuses API-key creation with an API key before sending anything", async () => {
    fake = await bootstrappedFake();
    const c = createPortainerClient({ url: fake.url, auth: { apiKey: fake.apiKey! } });
    const e = await rejection(c.createApiKey(1, "x", "y"));
    expect([e.kind, e.message]).toEqual([
      "unsupported",
      "Unable to create Portainer API key x: Portainer accepts this call only " +
        "with a password login (JWT), not with an API key",
    ]);
    expect(fake.requests.filter((r) => r.path.includes("tokens"))).toEqual([]);
  });

  it("sends the setup token on admin init (Portainer 2.43+)", async () => {
    fake = await startFakePortainer({ version: "2.43.0" });
    const c = createPortainerClient({ url: fake.url, setupToken: fake.setupToken! });
    const user = await c.initAdmin(ADMIN.username, ADMIN.password);
    expect(user).toMatchObject({ Id: 1, Username: "admin", Role: 1 });
    expect(fake.requests.at(-1)!.headers["x-setup-token"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("reads the user from the JWT on 2.19, where /users/me does not exist", async () => {
    fake = await bootstrappedFake({ version: "2.19.4" });
    const c = createPortainerClient({ url: fake.url, auth: { username: ADMIN.username, password: ADMIN.password } });
    expect(await c.me()).toEqual({ Id: 1, Username: "admin", Role: 1 });
    const key = await c.createApiKey(1, "old server", ADMIN.password);
    expect(key.rawAPIKey).toMatch(/^ptr_/);
    expect(fake.requests.at(-1)!.json).toEqual({ description: "old server" });
  });
});

describe("PortainerClient version awareness", () => {
  it("reads the version once and refuses servers older than 2.19", async () => {
    fake = await bootstrappedFake({ version: "2.18.4" });
    const c = createPortainerClient({ url: fake.url, auth: { apiKey: fake.apiKey! } });
    const e = await rejection(c.listTags());
    expect([e.kind, e.message]).toEqual([
      "unsupported",
      `Unable to use Portainer server ${fake.url}: version 2.18.4 is older than ` +
        `2.19.0, the oldest phoenix supports; upgrade Portainer`,
    ]);
    expect(fake.requests.map((r) => r.path)).toEqual(["/api/system/status"]);
  });

  it("reads the version from /api/status on servers before 2.17 and refuses them", async () => {
    fake = await startFakePortainer({ version: "2.16.2" });
    const e = await rejection(createPortainerClient({ url: fake.url }).version());
    expect(e.message).toBe(
      `Unable to use Portainer server ${fake.url}: version 2.16.2 is older than ` +
        `2.19.0, the oldest phoenix supports; upgrade Portainer`,
    );
    expect(fake.requests.map((r) => `${r.path} ${r.status}`)).toEqual(["/api/system/status 404", "/api/status 200"]);
  });

  it("asks for the version only once per client", async () => {
    fake = await bootstrappedFake();
    const c = createPortainerClient({ url: fake.url, auth: { apiKey: fake.apiKey! } });
    await Promise.all([c.listTags(), c.listGroups(), c.listStacks()]);
    await c.listTags();
    expect(fake.requests.filter((r) => r.path === "/api/system/status")).toHaveLength(1);
  });
});

describe("PortainerClient TLS", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-tls-"));
  const pem = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
  beforeAll(() => {
    // A throwaway CA and a server certificate for 127.0.0.1 signed by it, plus an unrelated CA.
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=phoenix test CA",
    );
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    );
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "san.ext",
    );
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "other.key",
      "-out",
      "other.pem",
      "-days",
      "2",
      "-subj",
      "/CN=someone else",
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(
    async () => (fake = await startFakePortainer({ tls: { cert: pem("server.pem"), key: pem("server.key") } })),
  );

  it("accepts the server when its CA is pinned", async () => {
    const c = createPortainerClient({ url: fake.url, tls: { caCert: pem("ca.pem") } });
    expect((await c.status()).Version).toBe("2.27.9");
    expect(fake.url).toMatch(/^https:/);
  });

  it("rejects it with an unknown CA, and with the system CAs, without retrying", async () => {
    for (const tls of [{ caCert: pem("other.pem") }, {}]) {
      fake.clearRequests();
      const e = await rejection(createPortainerClient({ url: fake.url, tls, sleep: noSleep }).status());
      expect([e.kind, isRetryable(e)]).toEqual(["tls", false]);
      expect(e.message).toMatch(
        new RegExp(
          `^Unable to verify Portainer server ${fake.url}: TLS verification failed: ` +
            `\\w+ \\(GET /api/system/status\\); no credential was sent; trust the CA ` +
            `that signed its certificate \\(phoenix:portainer.tls.ca_cert\\), or set ` +
            `tls.insecure_skip_verify$`,
        ),
      );
      expect(fake.requests).toEqual([]);
    }
  });

  it("skips verification only when told to", async () => {
    const c = createPortainerClient({ url: fake.url, tls: { insecureSkipVerify: true } });
    expect((await c.status()).Version).toBe("2.27.9");
  });
});

describe("normalizeStackName", () => {
  it.each([
    ["My App.v2", "myappv2"],
    ["qdrant_service", "qdrant_service"],
    ["Thinkheads.AI-App", "thinkheadsai-app"],
  ])("%s -> %s", (name, expected) => expect(normalizeStackName(name)).toBe(expected));
});
