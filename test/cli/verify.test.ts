// Proves: `npm run verify` against the fake Portainer, for the dev example: a healthy site passes with exact output,
// and each kind of failure (agent down, a URL that is not tcp://, agent or server version, a stray, a stack missing
// or stopped, a container exited or unhealthy, a variable missing, no server) fails naming it, exit 1; bad usage exits
// 2 before any request; --wait retries until the site is healthy; variable values are never printed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main, parseArgs } from "../../cli/verify";
import { addAgent, addStack, bootstrappedFake } from "../helpers/portainer";
import { PROJECT_DIR } from "../helpers/site";

const QDRANT = [
  "services:",
  "  qdrant:",
  "    image: qdrant/qdrant:v1.12.4",
  "    healthcheck:",
  '      test: ["CMD", "true"]',
  "",
].join("\n");
const APP = ["services:", "  app:", "    image: app:1", "  cache:", "    image: redis:7", ""].join("\n");
const SECRET_VALUE = "never-print-this-value";

const environment = (fake: Parameters<typeof addAgent>[0], name: string, url: string) => addAgent(fake, name, url);
const stack = (
  fake: Parameters<typeof addStack>[0],
  endpointId: number,
  name: string,
  compose: string,
  env: string[],
) =>
  addStack(
    fake,
    endpointId,
    name,
    env.map((n) => ({ name: n, value: SECRET_VALUE })),
    compose,
  );

/** The dev site as phoenix deploys it: the agent environment and both stacks. */
async function devSite(version?: string) {
  const fake = await bootstrappedFake({ rateLimit: false, ...(version ? { version } : {}) });
  const env = await environment(fake, "dev-apps", "tcp://10.0.0.202:9001");
  const qdrant = await stack(fake, env, "qdrant_service", QDRANT, ["QDRANT_API_KEY", "QDRANT_LOG_LEVEL"]);
  const app = await stack(fake, env, "thinkheads_ai_app", APP, [
    "APP_ENV",
    "LOG_LEVEL",
    "QDRANT_URL",
    "SESSION_SECRET",
  ]);
  fake.clearRequests();
  return Object.assign(fake, { env, qdrant, app });
}

async function verify(argv: string[], env: NodeJS.ProcessEnv, extra: { sleep?: (ms: number) => Promise<void> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    projectDir: PROJECT_DIR,
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    ...extra,
  });
  return { code, out, err };
}

const HEALTHY = (url: string) => [
  `verify dev: Portainer at ${url}`,
  "  ok    server: Portainer 2.27.9, as pinned",
  "  ok    environment dev-apps: tcp://10.0.0.202:9001, up, agent 2.27.9",
  "  ok    strays: no other environment or stack carries the site's names",
  "  ok    stack qdrant_service on dev-apps: active (id 1)",
  "  ok    containers of qdrant_service on dev-apps: qdrant_service-qdrant-1 running, healthy",
  "  ok    variables of qdrant_service on dev-apps: QDRANT_API_KEY, QDRANT_LOG_LEVEL present",
  "  ok    stack thinkheads_ai_app on dev-apps: active (id 2)",
  "  ok    containers of thinkheads_ai_app on dev-apps: " +
    "thinkheads_ai_app-app-1 running, thinkheads_ai_app-cache-1 running",
  "  ok    variables of thinkheads_ai_app on dev-apps: APP_ENV, LOG_LEVEL, QDRANT_URL, SESSION_SECRET present",
  "verify dev: all 9 checks passed",
];

/** The healthy output with lines replaced (by index) and the summary given. */
function withLines(url: string, changes: Record<number, string>, summary: string): string[] {
  const lines = HEALTHY(url).map((l, i) => changes[i] ?? l);
  lines[lines.length - 1] = summary;
  return lines;
}

describe("verify", () => {
  let fake: Awaited<ReturnType<typeof devSite>>;
  const args = () => ["--stack", "dev", "--portainer-url", fake.url];
  const env = () => ({ PHOENIX_PORTAINER_API_KEY: fake.apiKey });
  afterEach(async () => {
    await fake?.close();
  });

  it("passes a healthy site, exit 0, and never prints a variable's value", async () => {
    fake = await devSite();
    const r = await verify(args(), env());
    expect(r).toEqual({ code: 0, out: HEALTHY(fake.url), err: [] });
    expect(JSON.stringify(r)).not.toContain(SECRET_VALUE);
    const json = await verify([...args(), "--json"], env());
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.out.join("\n")) as { ok: boolean; summary: unknown; checks: unknown[] };
    expect(doc.ok).toBe(true);
    expect(doc.summary).toEqual({ total: 9, passed: 9, failed: 0, skipped: 0 });
    expect(doc.checks[1]).toEqual({
      check: "environment dev-apps",
      status: "ok",
      detail: "tcp://10.0.0.202:9001, up, agent 2.27.9",
    });
    // Reads only: no request changed anything.
    expect(fake.requests.filter((q) => q.method !== "GET").map((q) => q.path)).toEqual([]);
  });

  it("fails an agent that is down", async () => {
    fake = await devSite();
    fake.editEnvironment(fake.env, { Status: 2 });
    expect(await verify(args(), env())).toEqual({
      code: 1,
      err: [],
      out: withLines(
        fake.url,
        { 2: "  FAIL  environment dev-apps: down (Portainer cannot reach tcp://10.0.0.202:9001)" },
        "verify dev: 1 of 9 checks failed: environment dev-apps",
      ),
    });
  });

  it("fails an environment whose URL is not tcp://, and an agent of another version", async () => {
    fake = await devSite();
    fake.editEnvironment(fake.env, { URL: "https://10.0.0.202:9001" });
    fake.setAgentVersion(fake.env, "2.21.0");
    expect(await verify(args(), env())).toEqual({
      code: 1,
      err: [],
      out: withLines(
        fake.url,
        {
          2:
            "  FAIL  environment dev-apps: URL is https://10.0.0.202:9001, not tcp://10.0.0.202:9001 (Portainer " +
            "reaches agents over tcp://); agent 2.21.0, the site pins 2.27.9",
        },
        "verify dev: 1 of 9 checks failed: environment dev-apps",
      ),
    });
  });

  it("fails a server of another version than the pinned one", async () => {
    fake = await devSite("2.27.8");
    fake.setAgentVersion(fake.env, "2.27.9");
    expect(await verify(args(), env())).toEqual({
      code: 1,
      err: [],
      out: withLines(
        fake.url,
        { 1: "  FAIL  server: Portainer 2.27.8 answers; the site pins 2.27.9" },
        "verify dev: 1 of 9 checks failed: server",
      ),
    });
  });

  it("fails a missing stack and skips its containers and variables", async () => {
    fake = await devSite();
    fake.removeStack(fake.qdrant);
    expect(await verify(args(), env())).toEqual({
      code: 1,
      err: [],
      out: withLines(
        fake.url,
        {
          4: "  FAIL  stack qdrant_service on dev-apps: missing",
          5: "  skip  containers of qdrant_service on dev-apps: the stack is missing",
          6: "  skip  variables of qdrant_service on dev-apps: the stack is missing",
        },
        "verify dev: 1 of 9 checks failed (2 not run): stack qdrant_service on dev-apps",
      ),
    });
  });

  it("fails a stopped stack, naming it, and its exited containers", async () => {
    fake = await devSite();
    fake.editStack(fake.qdrant, { Status: 2 });
    expect(await verify(args(), env())).toEqual({
      code: 1,
      err: [],
      out: withLines(
        fake.url,
        {
          4: "  FAIL  stack qdrant_service on dev-apps: inactive: stopped (id 1)",
          5:
            "  FAIL  containers of qdrant_service on dev-apps: " +
            "qdrant_service-qdrant-1 exited (Exited (0) 1 minute ago)",
        },
        "verify dev: 2 of 9 checks failed: stack qdrant_service on dev-apps, containers of qdrant_service on dev-apps",
      ),
    });
  });

  it("fails an exited container and an unhealthy one", async () => {
    fake = await devSite();
    fake.changeContainer(fake.app, "cache", { state: "exited" });
    fake.changeContainer(fake.qdrant, "qdrant", { health: "unhealthy" });
    expect(await verify(args(), env())).toEqual({
      code: 1,
      err: [],
      out: withLines(
        fake.url,
        {
          5: "  FAIL  containers of qdrant_service on dev-apps: qdrant_service-qdrant-1 running, unhealthy",
          8:
            "  FAIL  containers of thinkheads_ai_app on dev-apps: " +
            "thinkheads_ai_app-cache-1 exited (Exited (0) 1 minute ago)",
        },
        "verify dev: 2 of 9 checks failed: containers of qdrant_service on dev-apps, containers of thinkheads_ai_app " +
          "on dev-apps",
      ),
    });
  });

  it("fails a missing variable by name, and strays that carry the site's names", async () => {
    fake = await devSite();
    fake.editStack(fake.app, { Env: [{ name: "APP_ENV", value: SECRET_VALUE }] });
    const other = await environment(fake, "dev-portainer", "tcp://10.0.0.201:9001");
    await stack(fake, other, "qdrant_service", QDRANT, []);
    await environment(fake, "old-apps", "tcp://10.0.0.202:9001");
    const r = await verify(args(), env());
    expect(r).toEqual({
      code: 1,
      err: [],
      out: withLines(
        fake.url,
        {
          3:
            "  FAIL  strays: environment dev-portainer (id 2) is not one the site registers; environment old-apps " +
            "(id 3) points at tcp://10.0.0.202:9001, a guest of the " +
            "site; stack qdrant_service (id 3) on dev-portainer " +
            "is not deployed there by the site",
          9: "  FAIL  variables of thinkheads_ai_app on dev-apps: missing LOG_LEVEL, QDRANT_URL, SESSION_SECRET",
        },
        "verify dev: 2 of 9 checks failed: strays, variables of thinkheads_ai_app on dev-apps",
      ),
    });
    expect(JSON.stringify(r)).not.toContain(SECRET_VALUE);
  });

  it("fails when no server answers, and runs nothing else", async () => {
    fake = await devSite();
    const url = fake.url;
    await fake.close();
    const r = await verify(["--stack", "dev", "--portainer-url", url], { PHOENIX_PORTAINER_API_KEY: "ptr_x" });
    expect(r.code).toBe(1);
    expect(r.out[1]).toMatch(new RegExp(`^  FAIL  server: does not answer: .*${url.replace(/[.:/]/g, "\\$&")}`));
    expect(r.out.slice(2)).toEqual([
      "  skip  environment dev-apps: the server does not answer",
      "  skip  strays: the server does not answer",
      "  skip  stack qdrant_service on dev-apps: the server does not answer",
      "  skip  containers of qdrant_service on dev-apps: the server does not answer",
      "  skip  variables of qdrant_service on dev-apps: the server does not answer",
      "  skip  stack thinkheads_ai_app on dev-apps: the server does not answer",
      "  skip  containers of thinkheads_ai_app on dev-apps: the server does not answer",
      "  skip  variables of thinkheads_ai_app on dev-apps: the server does not answer",
      "verify dev: 1 of 9 checks failed (8 not run): server",
    ]);
  });

  it("--wait retries until the site is healthy", async () => {
    fake = await devSite();
    fake.editStack(fake.qdrant, { Status: 2 });
    const waits: number[] = [];
    const r = await verify([...args(), "--wait", "60"], env(), {
      sleep: async (ms) => {
        waits.push(ms);
        fake.editStack(fake.qdrant, { Status: 1 });
      },
    });
    expect(r).toEqual({
      code: 0,
      out: HEALTHY(fake.url),
      err: ["verify dev: 2 checks failing; again in 5 s (60 s left)"],
    });
    expect(waits).toEqual([5000]);
  });

  it("refuses bad usage and a missing API key with exit 2, before any request", async () => {
    fake = await devSite();
    fake.clearRequests();
    expect(parseArgs(["--stack", "dev", "--wait", "soon"])).toEqual({
      error:
        "--wait must be a whole number of seconds (0-86400)\nusage: npm run verify -- --stack <name> " +
        "[--portainer-url URL] [--ca-cert FILE] [--state FILE] [--json] [--wait SECONDS]",
    });
    expect((await verify(["--stack"], {})).code).toBe(2);
    const noKey = await verify(args(), {});
    expect(noKey).toEqual({
      code: 2,
      out: [],
      err: [
        "verify: PHOENIX_PORTAINER_API_KEY is not set: give an API key of a Portainer administrator, e.g. " +
          'PHOENIX_PORTAINER_API_KEY="$(pulumi stack output portainerApiKey --show-secrets --stack dev)" ' +
          "(no lab state .lab/dev.json to read one from)",
      ],
    });
    expect((await verify(["--stack", "nosuch"], env())).err).toEqual([
      "verify: Pulumi.nosuch.yaml: the file does not exist",
    ]);
    expect(fake.requests).toEqual([]);
  });

  it("asks for phoenix's CA before it sends the key to a Portainer with a certificate phoenix issued", async () => {
    fake = await devSite();
    fake.clearRequests();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-verify-"));
    fs.cpSync(path.join(PROJECT_DIR, "stacks"), path.join(dir, "stacks"), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), path.join(dir, "Pulumi.prod.yaml"));
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["--stack", "prod"], {
      projectDir: dir,
      env: env(),
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect({ code, out, err }).toEqual({
      code: 2,
      out: [],
      err: [
        "verify: Portainer's certificate is issued by phoenix's CA: give it with --ca-cert FILE " +
          "(pulumi stack output caCertificate --stack prod > phoenix-ca.pem)",
      ],
    });
    expect(fake.requests).toEqual([]);
  });
});
