// Proves, end to end through the lab (real program, real dynamic-provider host, lab processes spawned as
// `npm run lab` runs them) against a fake Portainer this test owns: up from empty reaches exactly the
// desired environments and stacks; a second up changes nothing and sends no write; out-of-band drift is
// reported by refresh (exit 2) and repaired by the next up; a stack removed from the config is deleted;
// destroy removes what the program made and keeps what it did not; an up cut short (faults, or the
// process killed) converges on the next run without duplicates; secrets never reach the state file or
// the output in plain text.
// Does not prove: real Proxmox, Docker or Portainer behaviour (the lab simulates the first two).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer } from "../fakes/portainer/server";
import { LabDriver, labSecretEnv } from "../helpers/lab";
import { PROJECT_DIR } from "../helpers/site";

jest.setTimeout(120_000);

interface Report {
  exitCode: number;
  steps: { type: string; name: string; action: string; changes?: string[] }[];
  summary: Record<string, number>;
  /** The refresh that up and preview run first: its steps by action. */
  refreshed?: Record<string, number>;
  error?: string;
}

let fake: FakePortainer;
let dir: string;
let driver: LabDriver;
/** The dev stack's secrets as PHOENIX_SECRET_* variables: the same values the passphrase decrypts. */
let secretEnv: Record<string, string>;
beforeAll(async () => {
  secretEnv = labSecretEnv("dev");
  driver = new LabDriver();
  // Login limiter off: every lab run is a new client that may log in (admin verification, API key).
  fake = await startFakePortainer({ rateLimit: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-lab-"));
});
afterAll(async () => {
  driver.close();
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function lab(
  args: string[],
  opts: { killOn?: RegExp; passphrase?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; report?: Report }> {
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      path.join(PROJECT_DIR, "lab/cli.ts"),
      ...args,
      "--portainer-url",
      fake.url,
      "--state",
      path.join(dir, "dev.json"),
    ],
    {
      cwd: PROJECT_DIR,
      // Secrets: decrypted with the passphrase (1 s of PBKDF2 a run), or given as variables.
      env: { ...process.env, ...(opts.passphrase ? { PULUMI_CONFIG_PASSPHRASE: "phoenix-example" } : secretEnv) },
      // Its own process group: a kill takes the provider host with it (faultMatrix.ts spawnKilled).
      detached: true,
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (opts.killOn?.test(stdout)) process.kill(-child.pid!, "SIGKILL");
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      let report: Report | undefined;
      try {
        report = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Report;
      } catch {
        report = undefined;
      }
      resolve({ code, stdout, stderr, ...(report ? { report } : {}) });
    }),
  );
}

/** One lab command in the long-lived driver process: the same `main` as `npm run lab`, the program loaded afresh. */
function labHere(args: string[]): Promise<{ code: number; report: Report }> {
  return driver.run<Report>([...args, "--portainer-url", fake.url, "--state", path.join(dir, "dev.json")], secretEnv);
}

// Stacks are created in parallel, so their ids and order vary: compare them by name.
const liveStacks = () =>
  fake.state.stacks
    .filter((s) => fake.state.endpoints.some((e) => e.Id === s.EndpointId))
    .map((s) => [s.Name, fake.state.endpoints.find((e) => e.Id === s.EndpointId)!.Name, s.Status])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
const stackNamed = (name: string) => fake.state.stacks.find((s) => s.Name === name)!;
const actions = (r: Report) =>
  r.steps
    .filter((s) => s.action !== "same" && s.action !== "read")
    .map((s) => `${s.action} ${s.type.split(":").pop()} ${s.name}${s.changes ? ` [${s.changes.join(",")}]` : ""}`);

describe("the lab against a Portainer", () => {
  it("up from empty brings Portainer to exactly the desired environments and stacks", async () => {
    const r = await lab(["up", "--stack", "dev", "--json"], { passphrase: true });
    expect([r.code, r.report?.error]).toEqual([0, undefined]);
    expect(r.report!.summary).toEqual({ create: 30 });
    expect(fake.state.endpoints.map((e) => [e.Name, e.URL, e.Type])).toEqual([
      ["dev-apps", "tcp://10.0.0.202:9001", 2],
    ]);
    expect(liveStacks()).toEqual([
      ["qdrant_service", "dev-apps", 1],
      ["thinkheads_ai_app", "dev-apps", 1],
    ]);
    expect(stackNamed("qdrant_service").Env).toEqual([
      { name: "QDRANT_LOG_LEVEL", value: "DEBUG" },
      { name: "QDRANT_API_KEY", value: "example-dev-qdrant-key" },
    ]);
    expect(stackNamed("thinkheads_ai_app").fileContent).toContain(
      "traefik.http.routers.thinkheads-ai-app.rule=Host(`app.thinkheads.ai`)",
    );
  });

  it("keeps secrets out of the state file and the output", () => {
    const state = fs.readFileSync(path.join(dir, "dev.json"), "utf8");
    for (const plain of [
      "example-dev-admin-password",
      "example-dev-qdrant-key",
      "example-dev-session-secret",
      "lab-generated",
      "aaaaaaaa-bbbb-cccc",
    ])
      expect(state).not.toContain(plain);
    expect(state).not.toMatch(/ptr_[A-Za-z0-9+/=]{20,}/);
    expect(state).toContain('"secure": "v1:');
    expect(JSON.parse(state).resources.map((x: { urn: string }) => x.urn)).toContain(
      "urn:pulumi:dev::phoenix::phoenix:index:Site$phoenix:portainer:DockerStack" +
        "$pulumi-nodejs:dynamic/portainer:Stack::phoenix-stack-qdrant_service-lxc-2002",
    );
  });

  it("names the variables that supply each secret", () => {
    expect(Object.keys(secretEnv).sort()).toEqual([
      "PHOENIX_SECRET_GUEST_SSH_PRIVATE_KEY",
      "PHOENIX_SECRET_PORTAINER_ADMIN_PASSWORD",
      "PHOENIX_SECRET_PROXMOX_PASSWORD",
      "PHOENIX_SECRET_QDRANT_API_KEY",
      "PHOENIX_SECRET_THINKHEADS_SESSION_SECRET",
    ]);
  });

  it(
    "a second up, with the secrets from variables instead of the passphrase, " +
      "reads the site and changes nothing; with --skip-refresh it sends no " +
      "request",
    async () => {
      fake.clearRequests();
      const r = await labHere(["up", "--stack", "dev", "--json"]);
      expect([r.code, r.report.summary, r.report.refreshed]).toEqual([0, { same: 30 }, { read: 5 }]);
      // 10 GETs: one status probe for the host process (ADR 011); the admin check, the key list, the
      // environment, and per stack the stack, its environment and its file.
      expect([new Set(fake.requests.map((q) => q.method)), fake.requests.length]).toEqual([new Set(["GET"]), 10]);
      expect(fake.requests.filter((q) => q.path === "/api/system/status").length).toBe(1);
      fake.clearRequests();
      const quiet = await labHere(["up", "--stack", "dev", "--skip-refresh", "--json"]);
      expect([quiet.code, quiet.report.summary, quiet.report.refreshed]).toEqual([0, { same: 30 }, undefined]);
      expect(fake.requests).toEqual([]);
    },
  );

  it(
    "preview shows out-of-band drift without --refresh; refresh exits 7 (a " +
      "second refresh 0); preview still shows the changes; up repairs them",
    async () => {
      const [qdrant, app] = [stackNamed("qdrant_service"), stackNamed("thinkheads_ai_app")];
      fake.editStack(qdrant!.Id, { fileContent: "services:\n  edited:\n    image: by-hand\n" });
      fake.editStack(app!.Id, { Env: [{ name: "APP_ENV", value: "hacked" }], Status: 2 });
      const drifts = [
        "drift Stack phoenix-stack-qdrant_service-lxc-2002 [composeContent]",
        "drift Stack phoenix-stack-thinkheads_ai_app-lxc-2002 [env,running]",
      ];
      const updates = [
        "update Stack phoenix-stack-qdrant_service-lxc-2002 [composeContent]",
        "update Stack phoenix-stack-thinkheads_ai_app-lxc-2002 [env,running]",
      ];
      // preview refreshes first (Pulumi.yaml: refresh: always) without writing the state.
      const shown = await labHere(["preview", "--stack", "dev", "--json"]);
      expect([shown.code, actions(shown.report!).sort()]).toEqual([0, [...drifts, ...updates]]);
      expect((await labHere(["preview", "--stack", "dev", "--expect-no-changes", "--json"])).code).toBe(7);
      const drift = await labHere(["refresh", "--stack", "dev", "--json"]);
      expect([drift.code, actions(drift.report!).sort()]).toEqual([7, drifts]);
      // The refresh wrote the live values into state: a second refresh finds nothing new (exit 0), as
      // `pulumi refresh` does, while preview still shows what the next up changes.
      const again = await labHere(["refresh", "--stack", "dev", "--json"]);
      expect([again.code, actions(again.report!)]).toEqual([0, []]);
      const preview = await labHere(["preview", "--stack", "dev", "--json"]);
      expect([preview.code, actions(preview.report!).sort()]).toEqual([0, updates]);
      const repair = await labHere(["up", "--stack", "dev", "--json"]);
      expect(actions(repair.report!).sort()).toEqual([
        "update Stack phoenix-stack-qdrant_service-lxc-2002 [composeContent]",
        "update Stack phoenix-stack-thinkheads_ai_app-lxc-2002 [env,running]",
      ]);
      expect([qdrant!, app!].map((s) => [s.Status, s.Env?.[0]?.value])).toEqual([
        [1, "DEBUG"],
        [1, "testing"],
      ]);
      // The next test's refresh shows nothing but what it deletes: the repair left no drift.
    },
  );

  it("recreates a stack and an environment deleted out of band", async () => {
    fake.removeStack(stackNamed("qdrant_service").Id);
    fake.removeEnvironment(fake.state.endpoints[0]!.Id);
    let r = await labHere(["refresh", "--stack", "dev", "--json"]);
    // The other stack survived in Portainer, orphaned: its containers still run on the guest.
    expect([r.code, actions(r.report!).sort()]).toEqual([
      7,
      [
        "drift Stack phoenix-stack-thinkheads_ai_app-lxc-2002 [orphaned]",
        "gone Environment phoenix-agent-lxc-2002-environment",
        "gone Stack phoenix-stack-qdrant_service-lxc-2002",
      ],
    ]);
    const orphan = stackNamed("thinkheads_ai_app").Id;
    // up refreshes first: the orphan is still drift (the state already says so), then it is associated.
    r = await labHere(["up", "--stack", "dev", "--json"]);
    expect(actions(r.report!).sort()).toEqual([
      "create Environment phoenix-agent-lxc-2002-environment",
      "create Stack phoenix-stack-qdrant_service-lxc-2002",
      "drift Stack phoenix-stack-thinkheads_ai_app-lxc-2002",
      "update Stack phoenix-stack-thinkheads_ai_app-lxc-2002 [endpointId,orphaned]",
    ]);
    // Associated with the new environment, not recreated: the same stack, and no orphan left.
    expect(stackNamed("thinkheads_ai_app").Id).toBe(orphan);
    expect(fake.state.stacks.filter((s) => !fake.state.endpoints.some((e) => e.Id === s.EndpointId))).toEqual([]);
    expect(liveStacks().sort()).toEqual([
      ["qdrant_service", "dev-apps", 1],
      ["thinkheads_ai_app", "dev-apps", 1],
    ]);
  });

  it("destroy removes every object the program made and keeps what it did not make", async () => {
    fake.state.tags.push({ ID: 99, Name: "made-by-hand" });
    const r = await labHere(["destroy", "--stack", "dev", "--json"]);
    expect(r.code).toBe(0);
    expect(r.report!.summary).toEqual({ delete: 30 });
    expect(liveStacks()).toEqual([]);
    expect(fake.state.endpoints).toEqual([]);
    expect(fake.state.tags).toEqual([{ ID: 99, Name: "made-by-hand" }]);
    expect(fake.state.users.map((u) => u.Username)).toEqual(["admin"]);
    expect(fake.state.apiKeys).toEqual([]);
    expect(fs.existsSync(path.join(dir, "dev.json"))).toBe(false);
  });

  it("converges after an up killed mid-run, with no duplicates", async () => {
    const before = fake.state.stacks.length;
    // Faults during an up (lost answers, 5xx bursts) are covered at the client and provider level.
    const killed = await lab(["up", "--stack", "dev"], { killOn: /create {2}Stack/ });
    expect(killed.code).toBeNull();
    const again = await labHere(["up", "--stack", "dev", "--json"]);
    expect(again.code).toBe(0);
    expect(liveStacks().sort()).toEqual([
      ["qdrant_service", "dev-apps", 1],
      ["thinkheads_ai_app", "dev-apps", 1],
    ]);
    expect(fake.state.endpoints.map((e) => e.Name)).toEqual(["dev-apps"]);
    expect(fake.state.apiKeys.filter((k) => k.description === "phoenix")).toHaveLength(1);
    expect(fake.state.stacks.length - before).toBe(2);
  });

  it("deletes a stack removed from the configuration", async () => {
    const variant = path.join(dir, "Pulumi.dev-variant.yaml");
    fs.writeFileSync(
      variant,
      fs
        .readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")
        .replace("        - { name: thinkheads_ai_app }\n", ""),
    );
    const r = await labHere(["up", "--stack", "dev", "--stack-file", variant, "--json"]);
    expect(actions(r.report!)).toEqual(["delete Stack phoenix-stack-thinkheads_ai_app-lxc-2002"]);
    expect(liveStacks()).toEqual([["qdrant_service", "dev-apps", 1]]);
  });

  it("prints no stack trace from any command when an error comes through the provider host", async () => {
    // up (a create refused), preview --refresh and refresh (a read failing), destroy (a delete failing), each a real
    // process.
    const cases: [string[], Parameters<FakePortainer["fault"]>[0], RegExp][] = [
      [
        ["up", "--stack", "dev"],
        { method: "POST", path: "/api/stacks/create/standalone/string", status: 500, times: 8 },
        /^lab: .*Unable to create Portainer stack thinkheads_ai_app: Injected fault/m,
      ],
      [
        ["preview", "--stack", "dev", "--refresh"],
        { method: "GET", path: /^\/api\/stacks\/\d+$/, status: 500, times: 8 },
        /^lab: Unable to read Portainer stack \d+: Injected fault: Injected 500/m,
      ],
      [
        ["refresh", "--stack", "dev"],
        { method: "GET", path: /^\/api\/stacks\/\d+$/, status: 500, times: 8 },
        /^lab: Unable to read Portainer stack \d+: Injected fault: Injected 500/m,
      ],
      [
        ["destroy", "--stack", "dev"],
        { method: "DELETE", path: /^\/api\/stacks\/\d+$/, status: 500, times: 8 },
        /^lab: Unable to delete Portainer stack \d+: Injected fault: Injected 500/m,
      ],
    ];
    for (const [args, fault, message] of cases) {
      fake.clearFaults();
      fake.fault(fault);
      const r = await lab(args);
      fake.clearFaults();
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 1]);
      expect(r.stderr).toMatch(message);
      expect([
        args.join(" "),
        `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /^\s+at |\[host stderr\]/.test(l)),
      ]).toEqual([args.join(" "), []]);
    }
  });
});
