/**
 * `npm run bench`: measures the lab against the fake Portainer, for the dev site and for a generated site
 * of 20 agent guests with 5 stacks each, with 0 ms and 20 ms of latency per request: wall time of `up`,
 * a no-op `up` (with the refresh Pulumi.yaml asks for, and without), and `refresh`; requests per dynamic
 * resource in each phase (writes in a no-op must be 0); logins per run; the marginal no-op cost per
 * resource; state bytes per resource; serialized provider bytes per resource type; the program's load time. Prints the
 * results and writes BENCHMARKS.md with the machine described. A benchmark, not a test: nothing asserts.
 */
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer, type RecordedRequest } from "../test/fakes/portainer/server";

const ROOT = path.resolve(__dirname, "..");
const SITES = [
  ["dev (2 guests, 2 stacks)", "dev"],
  ["generated (1 primary + 20 agents, 5 stacks each)", "bench"],
] as const;

interface Phase {
  wallMs: number;
  requests: number;
  writes: number;
  logins: number;
  /** Resources in the run (steps that are not refresh reads), and how many of them are dynamic. */
  resources: number;
  dynamic: number;
  exitCode: number | null;
  /** The state file after the run, and what its Portainer resources take of it. */
  stateBytes: number;
  dynamicStateBytes: number;
}

/** A copy of the project (sources only, node_modules linked) where a generated site can live. */
function scratchProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-bench-"));
  for (const entry of [
    "index.ts",
    "tsconfig.json",
    "package.json",
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "config",
    "components",
    "providers",
    "lab",
    "test",
    "stacks",
  ]) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** Writes a site of `agents` agent VMs with `stacksPerAgent` stacks each, and its stack manifests. */
function generateSite(dir: string, agents: number, stacksPerAgent: number): void {
  for (let s = 1; s <= stacksPerAgent; s++) {
    const sd = path.join(dir, "stacks", `svc_${s}`);
    fs.mkdirSync(path.join(sd, "config"), { recursive: true });
    fs.writeFileSync(
      path.join(sd, "docker-compose.yml"),
      `services:\n  web:\n    image: nginx:1.27\n    environment:\n      LEVEL: \${LEVEL}\n`,
    );
    fs.writeFileSync(path.join(sd, "config", "app.conf"), `# svc_${s}\nworkers = ${s}\n`);
    fs.writeFileSync(
      path.join(sd, "phoenix.json"),
      JSON.stringify(
        {
          name: `svc_${s}`,
          compose_file: "docker-compose.yml",
          environments: {
            production: {
              variables: [{ name: "LEVEL", value: "info" }],
              files: [{ source: "config/app.conf", destination: "/etc/app.conf", service: "web" }],
            },
          },
          traefik_service: { service: "web", host: `svc${s}.example.com`, port: 80 },
        },
        null,
        2,
      ),
    );
  }
  const vm = (id: number, name: string, ip: number, role: string, stacks: string) =>
    `    - { vmid: ${id}, name: ${name}, clone_from_vmid: 9000, cores: 2, ` +
    `memory_mb: 2048, disk_size_gb: 32, features: [docker], portainer_role: ` +
    `${role}, network_config: { ip: ` +
    `10.1.${Math.floor(ip / 250)}.${(ip % 250) + 2}/16, gw: 10.1.0.1 }, ` +
    `user_config: { username: phoenix }${stacks} }`;
  const lines = [vm(3000, "bench-portainer", 0, "primary", "")];
  for (let i = 1; i <= agents; i++)
    lines.push(
      vm(
        3000 + i,
        `bench-agent-${i}`,
        i,
        "agent",
        `, docker_stacks: [${Array.from({ length: stacksPerAgent }, (_, s) => `{ name: svc_${s + 1} }`).join(", ")}]`,
      ),
    );
  // The ciphertexts are never decrypted: PHOENIX_SECRET_* variables supply the values.
  fs.writeFileSync(
    path.join(dir, "Pulumi.bench.yaml"),
    [
      "config:",
      "  phoenix:environment: production",
      "  phoenix:proxmox: { endpoint: 'https://10.1.0.10:8006', node_name: " +
        "phoenix, datastore: local-zfs, api_token: { secure: 'v1:AAAA:AAAA' } }",
      "  phoenix:guest_ssh: { public_key: 'ssh-ed25519 AAAAC3NzaBench bench', " +
        "private_key: { secure: 'v1:AAAA:AAAA' } }",
      "  phoenix:portainer: { version: 2.27.9, admin_username: admin, admin_password: { secure: 'v1:AAAA:AAAA' } }",
      "  phoenix:vms:",
      ...lines,
      "",
    ].join("\n"),
  );
}

const SECRETS = {
  PHOENIX_SECRET_PROXMOX_API_TOKEN: "root@pam!bench=00000000-0000-0000-0000-000000000000",
  PHOENIX_SECRET_PROXMOX_PASSWORD: "bench-root-password",
  PHOENIX_SECRET_GUEST_SSH_PRIVATE_KEY:
    "-----BEGIN OPENSSH PRIVATE KEY-----\nbench\n-----END OPENSSH PRIVATE KEY-----\n",
  PHOENIX_SECRET_PORTAINER_ADMIN_PASSWORD: "bench-admin-password",
  PHOENIX_SECRET_QDRANT_API_KEY: "bench-qdrant-key",
  PHOENIX_SECRET_THINKHEADS_SESSION_SECRET: "bench-session-secret",
};

/** The state file's size, and the bytes of its dynamic (Portainer) resources. */
function stateSize(stateFile: string): { stateBytes: number; dynamicStateBytes: number } {
  if (!fs.existsSync(stateFile)) return { stateBytes: 0, dynamicStateBytes: 0 };
  const text = fs.readFileSync(stateFile, "utf8");
  const state = JSON.parse(text) as { resources: { dynamic: boolean }[] };
  const dynamic = state.resources.filter((r) => r.dynamic);
  return {
    stateBytes: text.length,
    dynamicStateBytes: dynamic.reduce((n, r) => n + JSON.stringify(r, null, 2).length, 0),
  };
}

function runLab(
  project: string,
  fake: FakePortainer,
  stack: string,
  command: string,
  stateFile: string,
  extra: string[] = [],
): Promise<Phase> {
  const before = fake.requests.length;
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      path.join(project, "lab/cli.ts"),
      command,
      "--stack",
      stack,
      "--json",
      "--portainer-url",
      fake.url,
      "--state",
      stateFile,
      ...extra,
    ],
    {
      cwd: project,
      env: { ...process.env, ...SECRETS },
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => {
      if (code !== 0)
        return reject(
          new Error(
            `lab ${command} --stack ${stack} exited ${code}: ` +
              `${`${err}\n${out}`.trim().split("\n").slice(-3).join(" | ")}`,
          ),
        );
      const wallMs = Date.now() - started;
      const reqs: RecordedRequest[] = fake.requests.slice(before);
      let dynamic = 0;
      let resources = 0;
      try {
        const report = JSON.parse(out.trim().split("\n").pop() ?? "{}") as {
          steps?: { type: string; refresh?: boolean }[];
        };
        const steps = (report.steps ?? []).filter((s) => s.refresh !== true);
        resources = steps.length;
        dynamic = steps.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic/")).length;
      } catch {
        dynamic = 0;
      }
      resolve({
        wallMs,
        requests: reqs.length,
        writes: reqs.filter((r) => r.method !== "GET").length,
        logins: reqs.filter((r) => r.path === "/api/auth").length,
        resources,
        dynamic,
        exitCode: code,
        ...stateSize(stateFile),
      });
    }),
  );
}

async function measureSite(project: string, stack: string, latencyMs: number): Promise<Record<string, Phase>> {
  const fake = await startFakePortainer({ latencyMs });
  const stateFile = path.join(project, ".lab", `${stack}-${latencyMs}.json`);
  try {
    // The median of three runs, for the no-op phases the marginal cost is computed from.
    const median = async (extra: string[]) => {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await runLab(project, fake, stack, "up", stateFile, extra));
      return runs.sort((a, b) => a.wallMs - b.wallMs)[1]!;
    };
    return {
      up: await runLab(project, fake, stack, "up", stateFile),
      // As Pulumi.yaml runs it (refresh: always), then the engine's own cost alone.
      "no-op up": await median([]),
      "no-op up --skip-refresh": await median(["--skip-refresh"]),
      refresh: await runLab(project, fake, stack, "refresh", stateFile),
    };
  } finally {
    await fake.close();
  }
}

function loadTimeMs(project: string): number {
  const t = (code: string) => {
    const s = Date.now();
    execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", code], { cwd: project });
    return Date.now() - s;
  };
  const base = Math.min(t("require('@pulumi/pulumi')"), t("require('@pulumi/pulumi')"));
  const full = Math.min(
    t("require('./components/site.ts'); require('./config/load.ts')"),
    t("require('./components/site.ts'); require('./config/load.ts')"),
  );
  return full - base;
}

async function main(): Promise<void> {
  const project = scratchProject();
  try {
    generateSite(project, 20, 5);
    const sizes = JSON.parse(
      execFileSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(ROOT, "bench/providerSizes.ts")],
        { cwd: ROOT, encoding: "utf8" },
      ),
    ) as Record<string, number>;
    const results: { site: string; latencyMs: number; phases: Record<string, Phase> }[] = [];
    for (const [site, stack] of SITES) {
      for (const latencyMs of [0, 20]) {
        process.stderr.write(`bench: ${site}, ${latencyMs} ms latency...\n`);
        results.push({ site, latencyMs, phases: await measureSite(project, stack, latencyMs) });
      }
    }
    const load = loadTimeMs(project);
    const cpu = os.cpus();
    const lines = [
      "# Benchmarks",
      "",
      `Measured by \`npm run bench\` on ` +
        `${new Date().toISOString().slice(0, 10)}: ${cpu.length} × ` +
        `${cpu[0]?.model ?? "unknown CPU"}, ` +
        `${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `${os.type()} ${os.release()}, Node ${process.version}.`,
      "Each phase is one `npm run lab` process (ts-node, the program, Pulumi's " +
        "dynamic-provider host; no-op phases: the median of three) against the " +
        "fake Portainer",
      "in the benchmark's process; latency is added to every answer. Requests " +
        "are counted by the fake. Proxmox, Docker and",
      "command resources are simulated by the lab, so their cost here is near " +
        "zero; a real `pulumi up` spends most of its",
      "time there.",
      "",
      "| site | latency | phase | wall | resources (dynamic) | requests | per " +
        "dynamic resource | writes | logins | exit |",
      "|---|---|---|---|---|---|---|---|---|---|",
    ];
    for (const r of results) {
      for (const [phase, p] of Object.entries(r.phases)) {
        lines.push(
          `| ${r.site} | ${r.latencyMs} ms | ${phase} | ` +
            `${(p.wallMs / 1000).toFixed(1)} s | ${p.resources} (${p.dynamic}) | ` +
            `${p.requests} | ` +
            `${p.dynamic ? (p.requests / p.dynamic).toFixed(1) : "-"} | ${p.writes} | ` +
            `${p.logins} | ${p.exitCode} |`,
        );
      }
    }
    const at = (site: string, latencyMs: number) =>
      results.find((r) => r.site === site && r.latencyMs === latencyMs)!.phases;
    lines.push(
      "",
      "Marginal no-op cost per resource: `(no-op up of generated - no-op up of " +
        "dev) / (resources of generated - resources of dev)`,",
      "which takes out what every run pays once (loading the program, starting " +
        "the provider host). Target: at most 10 ms.",
      "",
      "| latency | phase | generated | dev | marginal per resource |",
      "|---|---|---|---|---|",
    );
    for (const latencyMs of [0, 20]) {
      for (const phase of ["no-op up --skip-refresh", "no-op up"]) {
        const g = at(SITES[1][0], latencyMs)[phase]!;
        const d = at(SITES[0][0], latencyMs)[phase]!;
        const marginal = (g.wallMs - d.wallMs) / (g.resources - d.resources);
        lines.push(
          `| ${latencyMs} ms | ${phase} | ${(g.wallMs / 1000).toFixed(1)} s, ` +
            `${g.resources} resources | ${(d.wallMs / 1000).toFixed(1)} s, ` +
            `${d.resources} resources | ${marginal.toFixed(1)} ms |`,
        );
      }
    }
    lines.push(
      "",
      "State after the first `up` (the lab's state file, shaped like a Pulumi checkpoint):",
      "",
      "| site | state bytes | resources | per resource | per Portainer resource |",
      "|---|---|---|---|---|",
    );
    for (const [site] of SITES) {
      const up = at(site, 0)["up"]!;
      lines.push(
        `| ${site} | ${up.stateBytes} | ${up.resources} | ` +
          `${Math.round(up.stateBytes / up.resources)} | ` +
          `${Math.round(up.dynamicStateBytes / up.dynamic)} |`,
      );
    }
    lines.push(
      "",
      "Serialized provider bytes per resource type (as `pulumi up` stores " +
        "`__provider`, ts-node; the loader of ADR 011, target at most 8 KB):",
      "",
      "| type | bytes |",
      "|---|---|",
    );
    for (const [type, bytes] of Object.entries(sizes)) lines.push(`| ${type} | ${bytes} |`);
    lines.push(
      "",
      `Program load time (components, providers and config modules on top of @pulumi/pulumi, ts-node): ${load} ms.`,
      "",
    );
    const text = lines.join("\n");
    fs.writeFileSync(path.join(ROOT, "BENCHMARKS.md"), text);
    process.stdout.write(text + "\n");
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exitCode = 1;
});
