/**
 * The fault matrix's machinery (issue 11), for test/lab/faults*.e2e.ts: a world per row (its own fake
 * Portainer and lab state), lab runs in the long-lived driver or spawned and killed, "the fault is over"
 * (every request answered), convergence (`preview --refresh` changes nothing), the desired dev site with
 * nothing duplicated or orphaned, no secret in any output, and the figures printed at the end.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakePortainer, type Fault, type FakePortainer } from "../fakes/portainer/server";
import { LabDriver, labSecretEnv } from "../helpers/lab";
import { PROJECT_DIR } from "../helpers/site";
import { joined } from "../helpers/regex";

export interface Report {
  exitCode: number;
  steps: { type: string; name: string; action: string; changes?: string[] }[];
  logs?: string[];
  error?: string;
}

export interface Run {
  readonly code: number | null;
  readonly out: string[];
  readonly report: Report;
  readonly ms: number;
}

let driver: LabDriver;
let dir: string;
/** The dev stack's secrets as PHOENIX_SECRET_* variables (the values the example passphrase decrypts). */
export let secretEnv: Record<string, string>;
const figures: string[] = [];

/** Starts the driver and the scratch directory for a test file, and prints its figures at the end. */
export function setUpMatrix(title: string): void {
  beforeAll(() => {
    secretEnv = labSecretEnv("dev");
    driver = new LabDriver();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-faults-"));
  });
  afterAll(() => {
    driver.close();
    fs.rmSync(dir, { recursive: true, force: true });
    process.stdout.write(
      `\n${title} (row | first run's exit code | runs to converge once the ` +
        `fault is over | time)\n${figures.join("\n")}\n`,
    );
  });
}

/** The scratch directory of the running test file. */
export function scratch(): string {
  return dir;
}

/** One scenario's world: its own fake Portainer and lab state. */
export interface World {
  fake: FakePortainer;
  /** The faults a row injected: each must have been hit, or the row proves nothing. */
  injected?: Fault[];
  stateFile: string;
  /** Every line every run printed, for the secret check. */
  output: string[];
}

export async function newWorld(name: string, port?: number): Promise<World> {
  const fake = await startFakePortainer({ rateLimit: false, ...(port !== undefined ? { port } : {}) });
  return { fake, stateFile: path.join(dir, `${name.replace(/\W+/g, "-")}.json`), output: [] };
}

export async function run(
  w: World,
  args: readonly string[],
  opts: { url?: string; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
  const started = Date.now();
  const env = { ...secretEnv, ...(opts.env ?? {}) };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const r = await driver.run<Report>(
    [...args, "--stack", "dev", "--json", "--portainer-url", opts.url ?? w.fake.url, "--state", w.stateFile],
    env as Record<string, string>,
  );
  w.output.push(...r.out);
  return { code: r.code, out: r.out, report: r.report, ms: Date.now() - started };
}

/**
 * The lab as `npm run lab` runs it, in its own process, killed with its provider host by SIGKILL when
 * `killWhen` first holds.
 */
export function spawnKilled(w: World, killWhen: (stdout: string) => boolean): Promise<Run> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      path.join(PROJECT_DIR, "lab/cli.ts"),
      "up",
      "--stack",
      "dev",
      "--portainer-url",
      w.fake.url,
      "--state",
      w.stateFile,
    ],
    // Its own process group, so that the kill takes Pulumi's provider host with it, as a machine that
    // goes down would: otherwise the host lives on, orphaned.
    { cwd: PROJECT_DIR, env: { ...process.env, ...secretEnv }, detached: true },
  );
  let stdout = "";
  const check = setInterval(() => killWhen(stdout) && process.kill(-child.pid!, "SIGKILL"), 20);
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      clearInterval(check);
      w.output.push(stdout);
      resolve({ code, out: [stdout], report: { exitCode: code ?? -9, steps: [] }, ms: Date.now() - started });
    }),
  );
}

/** The fault is over when every request the fake received has been answered (or its connection reset). */
export async function settled(fake: FakePortainer): Promise<void> {
  while (fake.requests.some((r) => r.status === 0)) await new Promise((r) => setTimeout(r, 100));
  fake.clearFaults();
}

/** `preview --refresh` changes nothing: no drift, nothing to create, update, replace or delete. */
export async function converged(w: World): Promise<boolean> {
  const p = await run(w, ["preview", "--refresh"]);
  return p.code === 0 && p.report.steps.every((s) => s.action === "same" || s.action === "read");
}

/** Repairs with `up --refresh` until converged; returns how many runs it took (the first included). */
export async function converge(w: World, first: Run, limit = 3): Promise<number> {
  await settled(w.fake);
  let runs = 1;
  let last = first;
  while (!(last.code === 0 && (await converged(w)))) {
    if (runs >= limit) return Infinity;
    last = await run(w, ["up", "--refresh"]);
    runs++;
  }
  return runs;
}

const byName = <T extends { Name: string }>(xs: readonly T[]) => xs.map((x) => x.Name).sort();

/** Exactly the dev site in Portainer: one environment, its two stacks running, one phoenix API key, nothing else. */
export function expectDesiredSite(w: World): void {
  const s = w.fake.state;
  expect(s.endpoints.map((e) => [e.Name, e.URL, e.Type])).toEqual([["dev-apps", "tcp://10.0.0.202:9001", 2]]);
  const env = s.endpoints[0]!.Id;
  expect(s.stacks.map((x) => [x.Name, x.EndpointId, x.Status]).sort()).toEqual([
    ["qdrant_service", env, 1],
    ["thinkheads_ai_app", env, 1],
  ]);
  expect(s.stacks.find((x) => x.Name === "qdrant_service")!.Env).toEqual([
    { name: "QDRANT_LOG_LEVEL", value: "DEBUG" },
    { name: "QDRANT_API_KEY", value: "example-dev-qdrant-key" },
  ]);
  expect(byName(s.users.map((u) => ({ Name: u.Username })))).toEqual(["admin"]);
  const keys = s.apiKeys.filter((k) => k.description === "phoenix");
  const state = JSON.parse(fs.readFileSync(w.stateFile, "utf8")) as {
    resources: { type: string; outputs: Record<string, unknown> }[];
  };
  const inState = state.resources.find((r) => r.type === "pulumi-nodejs:dynamic/portainer:ApiKey")!.outputs["keyId"];
  expect(keys.map((k) => k.id)).toEqual([inState]);
  expect(new Set(byName(s.tags)).size).toBe(s.tags.length);
  expect(new Set(byName(s.groups)).size).toBe(s.groups.length);
}

/** No secret in any output, nor in plain text in the state file. */
export function expectNoSecrets(w: World): void {
  const text = [...w.output, fs.existsSync(w.stateFile) ? fs.readFileSync(w.stateFile, "utf8") : ""].join("\n");
  for (const [name, value] of Object.entries(secretEnv)) {
    const probe = name.endsWith("PRIVATE_KEY") ? value.split("\n")[1]! : value;
    expect([name, text.includes(probe)]).toEqual([name, false]);
  }
  expect(text).not.toMatch(/ptr_[A-Za-z0-9+/=]{20,}/);
  for (const k of w.fake.state.apiKeys) expect(text).not.toContain(k.digest);
}

/** Brings the dev site up cleanly (the start of most rows). */
export async function upClean(w: World): Promise<void> {
  const r = await run(w, ["up"]);
  expect([r.code, r.report.error]).toEqual([0, undefined]);
}

export function record(name: string, first: Run, runs: number, started: number): void {
  figures.push(`| ${name} | ${first.code} | ${runs} | ${((Date.now() - started) / 1000).toFixed(1)} s |`);
}

export const STACK_CREATE = "/api/stacks/create/standalone/string";
export const TOKENS = "/api/users/1/tokens";
export const stackPath = (w: World, name: string) =>
  `/api/stacks/${w.fake.state.stacks.find((s) => s.Name === name)!.Id}`;

export interface Row {
  /** `fresh`: the fault hits the first `up` of an empty site; `converged`: a site already up. */
  readonly start: "fresh" | "converged";
  /** Injects the fault, or changes the site out of band, before the first run. */
  readonly act: (w: World) => void | Promise<void>;
  /** The first run (default `up --refresh`). */
  readonly first?: (w: World) => Promise<Run>;
  /** Runs to converge, at most. */
  readonly runs: 1 | 2;
  /** The first run's exit code and, when it fails, its error. */
  readonly expectFirst?: { code: number; error?: RegExp };
}

export const faults =
  (...fs: Fault[]) =>
  (w: World) =>
    fs.forEach((f) => {
      w.fake.fault(f);
      (w.injected ??= []).push(f);
    });

/** True when the fake received a request the fault matches. */
function hit(w: World, f: Fault): boolean {
  return w.fake.requests.some(
    (r) =>
      (f.method === undefined || f.method === r.method) &&
      (f.path === undefined || (typeof f.path === "string" ? f.path === r.path : f.path.test(r.path))),
  );
}

/** Transient faults, and the lab killed mid-run. */
export const TRANSIENT_ROWS: [string, Row][] = [
  // Transient faults during the first up of an empty site.
  [
    "500 burst on stack create",
    { start: "fresh", act: faults({ method: "POST", path: STACK_CREATE, status: 500, times: 3 }), runs: 1 },
  ],
  [
    "503 burst on the environment list",
    { start: "fresh", act: faults({ method: "GET", path: "/api/endpoints", status: 503, times: 2 }), runs: 1 },
  ],
  [
    "502 on environment create",
    { start: "fresh", act: faults({ method: "POST", path: "/api/endpoints", status: 502 }), runs: 1 },
  ],
  [
    "500 on admin init",
    { start: "fresh", act: faults({ method: "POST", path: "/api/users/admin/init", status: 500 }), runs: 1 },
  ],
  [
    "429 burst on the stack list",
    { start: "fresh", act: faults({ method: "GET", path: "/api/stacks", status: 429, times: 2 }), runs: 1 },
  ],
  [
    "429 on API-key create (never retried)",
    {
      start: "fresh",
      act: faults({ method: "POST", path: TOKENS, status: 429 }),
      runs: 2,
      expectFirst: { code: 1, error: /Unable to create Portainer API key phoenix: Too many requests/ },
    },
  ],
  [
    "reset before environment create",
    { start: "fresh", act: faults({ method: "POST", path: "/api/endpoints", reset: "before" }), runs: 1 },
  ],
  [
    "reset before stack create",
    { start: "fresh", act: faults({ method: "POST", path: STACK_CREATE, reset: "before" }), runs: 1 },
  ],
  [
    "lost answer: environment create",
    { start: "fresh", act: faults({ method: "POST", path: "/api/endpoints", reset: "after" }), runs: 1 },
  ],
  [
    "lost answer: stack create",
    { start: "fresh", act: faults({ method: "POST", path: STACK_CREATE, reset: "after" }), runs: 1 },
  ],
  [
    "lost answer: admin init",
    { start: "fresh", act: faults({ method: "POST", path: "/api/users/admin/init", reset: "after" }), runs: 1 },
  ],
  [
    "lost answer: API-key create",
    {
      start: "fresh",
      act: faults({ method: "POST", path: TOKENS, reset: "after" }),
      runs: 2,
      expectFirst: { code: 1 },
    },
  ],
  [
    "lost answer: login",
    {
      start: "fresh",
      act: faults({ method: "POST", path: "/api/auth", reset: "after" }),
      runs: 2,
      expectFirst: { code: 1 },
    },
  ],
  [
    "resets on the status probe",
    { start: "fresh", act: faults({ method: "GET", path: "/api/system/status", reset: "before", times: 2 }), runs: 1 },
  ],
  [
    "500s beyond the retries on the current user",
    {
      start: "fresh",
      act: faults({ method: "GET", path: "/api/users/me", status: 500, times: 5 }),
      runs: 2,
      expectFirst: { code: 1 },
    },
  ],
  [
    "40 s stall on the environment list (timed out, retried)",
    { start: "fresh", act: faults({ method: "GET", path: "/api/endpoints", delayMs: 40_000 }), runs: 1 },
  ],
  [
    "40 s stall on API-key create (abandoned, lands late)",
    {
      start: "fresh",
      act: faults({ method: "POST", path: TOKENS, delayMs: 40_000 }),
      runs: 2,
      expectFirst: { code: 1, error: /no answer in time/ },
    },
  ],
  ["Portainer restarted between runs (JWTs die)", { start: "converged", act: (w) => w.fake.restart(), runs: 1 }],
  // Faults while a run repairs drift or changes the site.
  [
    "500 burst on stack update",
    {
      start: "converged",
      act: (w) => {
        w.fake.editStack(w.fake.state.stacks[0]!.Id, { fileContent: "services: {}\n" });
        faults({ method: "PUT", path: stackPath(w, w.fake.state.stacks[0]!.Name), status: 500, times: 2 })(w);
      },
      runs: 1,
    },
  ],
  [
    "lost answer: stack update",
    {
      start: "converged",
      act: (w) => {
        w.fake.editStack(w.fake.state.stacks[0]!.Id, { fileContent: "services: {}\n" });
        faults({ method: "PUT", path: stackPath(w, w.fake.state.stacks[0]!.Name), reset: "after" })(w);
      },
      runs: 1,
    },
  ],
  [
    "lost answer: stack start",
    {
      start: "converged",
      act: (w) => {
        w.fake.editStack(w.fake.state.stacks[0]!.Id, { Status: 2 });
        faults({ method: "POST", path: `${stackPath(w, w.fake.state.stacks[0]!.Name)}/start`, reset: "after" })(w);
      },
      runs: 1,
    },
  ],
  [
    "500s on the stack file read (refresh)",
    {
      start: "converged",
      act: (w) => faults({ method: "GET", path: /^\/api\/stacks\/\d+\/file$/, status: 500, times: 2 })(w),
      runs: 1,
    },
  ],
  [
    "reset on the stack read (refresh)",
    {
      start: "converged",
      act: (w) => faults({ method: "GET", path: /^\/api\/stacks\/\d+$/, reset: "before" })(w),
      runs: 1,
    },
  ],
  [
    "429 on the environment read (refresh)",
    {
      start: "converged",
      act: (w) => faults({ method: "GET", path: /^\/api\/endpoints\/\d+$/, status: 429 })(w),
      runs: 1,
    },
  ],
  // The lab killed mid-run.
  [
    "killed after a stack was created",
    {
      start: "fresh",
      act: () => undefined,
      first: (w) => spawnKilled(w, (out) => /create {2}Stack/.test(out)),
      runs: 2,
      expectFirst: { code: null as unknown as number },
    },
  ],
  [
    "killed while the API-key create was in flight (lands late)",
    {
      start: "fresh",
      act: faults({ method: "POST", path: TOKENS, delayMs: 3_000 }),
      // Killed once the create is in flight: the provider lists the keys (a GET of the same path) first.
      first: (w) => spawnKilled(w, () => w.fake.requests.some((r) => r.method === "POST" && r.path === TOKENS)),
      runs: 2,
      expectFirst: { code: null as unknown as number },
    },
  ],
  [
    "killed while a stack create was in flight (lands late)",
    {
      start: "fresh",
      act: faults({ method: "POST", path: STACK_CREATE, delayMs: 3_000 }),
      first: (w) => spawnKilled(w, () => w.fake.requests.some((r) => r.method === "POST" && r.path === STACK_CREATE)),
      runs: 2,
      expectFirst: { code: null as unknown as number },
    },
  ],
];

/** Out-of-band changes in Portainer, repaired by `up --refresh`. */
export const DRIFT_ROWS: [string, Row][] = [
  [
    "stack compose edited",
    {
      start: "converged",
      act: (w) =>
        w.fake.editStack(w.fake.state.stacks[0]!.Id, { fileContent: "services:\n  edited:\n    image: by-hand\n" }),
      runs: 1,
    },
  ],
  [
    "stack env edited",
    {
      start: "converged",
      act: (w) => w.fake.editStack(w.fake.state.stacks[0]!.Id, { Env: [{ name: "X", value: "hacked" }] }),
      runs: 1,
    },
  ],
  [
    "stack stopped",
    { start: "converged", act: (w) => w.fake.editStack(w.fake.state.stacks[1]!.Id, { Status: 2 }), runs: 1 },
  ],
  ["stack deleted", { start: "converged", act: (w) => w.fake.removeStack(w.fake.state.stacks[0]!.Id), runs: 1 }],
  [
    "environment URL edited",
    {
      start: "converged",
      act: (w) => w.fake.editEnvironment(w.fake.state.endpoints[0]!.Id, { URL: "tcp://10.9.9.9:9001" }),
      runs: 1,
    },
  ],
  [
    "environment renamed",
    {
      start: "converged",
      act: (w) => w.fake.editEnvironment(w.fake.state.endpoints[0]!.Id, { Name: "renamed-by-hand" }),
      runs: 1,
    },
  ],
  [
    "environment deleted (its stacks orphaned)",
    { start: "converged", act: (w) => w.fake.removeEnvironment(w.fake.state.endpoints[0]!.Id), runs: 1 },
  ],
  [
    "environment and a stack deleted",
    {
      start: "converged",
      act: (w) => {
        w.fake.removeStack(w.fake.state.stacks[0]!.Id);
        w.fake.removeEnvironment(w.fake.state.endpoints[0]!.Id);
      },
      runs: 1,
    },
  ],
  ["API key revoked", { start: "converged", act: (w) => w.fake.revokeApiKey(w.fake.state.apiKeys[0]!.id), runs: 1 }],
  [
    "API key revoked, then a plain up that changes a stack",
    {
      start: "converged",
      act: (w) => {
        w.fake.revokeApiKey(w.fake.state.apiKeys[0]!.id);
        w.fake.editStack(w.fake.state.stacks[0]!.Id, { Status: 2 });
      },
      // Without a refresh (--skip-refresh) the stack is not known to need work; a changed config makes the run touch
      // Portainer.
      first: (w) =>
        run(w, [
          "up",
          "--skip-refresh",
          "--stack-file",
          variant(w, (y) => y.replace("        - { name: thinkheads_ai_app }\n", "")),
        ]),
      runs: 2,
      expectFirst: {
        code: 1,
        error: joined(
          /Invalid JWT token: Unauthorized \(HTTP 401 DELETE \/api\/stacks\/\d+\?endpointId=\d+\); /,
          /Portainer refused the API key: it was revoked or deleted outside Pulumi\. /,
          /Run `pulumi refresh`, then `pulumi up`/,
        ),
      },
    },
  ],
  [
    "a second phoenix API key, landed after a run",
    {
      start: "converged",
      act: (w) =>
        void w.fake.state.apiKeys.push({
          id: 900,
          userId: 1,
          description: "phoenix",
          prefix: "ptr_lat",
          dateCreated: 0,
          lastUsed: 0,
          digest: "late-digest",
        }),
      runs: 1,
    },
  ],
];

/** A variant of Pulumi.dev.yaml in the scenario's directory. */
export function variant(w: World, edit: (yaml: string) => string): string {
  const file = w.stateFile.replace(/\.json$/, ".Pulumi.dev.yaml");
  fs.writeFileSync(file, edit(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")));
  return file;
}

/** Runs one row: start, fault, first run, repair until converged; then the checks, and a line of figures. */
export async function runRow(name: string, row: Row): Promise<void> {
  const started = Date.now();
  const w = await newWorld(name);
  try {
    if (row.start === "converged") await upClean(w);
    w.fake.clearRequests();
    await row.act(w);
    const first = row.first ? await row.first(w) : await run(w, ["up", "--refresh"]);
    for (const f of w.injected ?? []) expect([name, String(f.path), hit(w, f)]).toEqual([name, String(f.path), true]);
    if (row.expectFirst) {
      expect(first.code).toBe(row.expectFirst.code);
      if (row.expectFirst.error) expect(first.report.error).toMatch(row.expectFirst.error);
    } else {
      expect([first.code, first.report.error]).toEqual([0, undefined]);
    }
    // A run that failed restores the fake's fault-free behaviour before the repair: the fault is over.
    if (first.code !== 0) await settled(w.fake);
    const runs = await converge(w, first);
    record(name, first, runs, started);
    expect(runs).toBeLessThanOrEqual(row.runs);
    expectDesiredSite(w);
    expectNoSecrets(w);
  } finally {
    await w.fake.close();
  }
}
