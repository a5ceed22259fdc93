/**
 * `npm run lab -- <up|preview|refresh|destroy> --stack <name> [--skip-refresh] [--expect-no-changes] [--portainer-url
 * URL] [--state FILE] [--json] [--reset]`
 *
 * Runs the real program and the real dynamic providers, through Pulumi's own dynamic-provider host,
 * against the built-in fake Portainer (default; its data kept beside the state) or any Portainer URL,
 * with a state file. No Pulumi CLI, no Proxmox, no Docker: those resources are simulated.
 * `up` and `preview` refresh first, as `pulumi up` and `pulumi preview` do under `options: refresh: always`.
 * Exit codes, as the Pulumi CLI's (3.227+): 0 done, 1 error, 2 bad usage or configuration, 7 changes found where
 * none were expected (`refresh` finding drift; `preview --expect-no-changes` finding changes).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer } from "../test/fakes/portainer/server";
import { startFakeProxmox, type FakeProxmox } from "../test/fakes/proxmox/server";
import { untrustedCertificate } from "../test/helpers/servers";
import { decryptStackFile, readStackFile, toRuntimeConfig, StackFileError } from "../config/sources";
import { PassphraseError, passphraseFromEnv } from "../config/passphrase";
import { describeProblems, validateSite, type RawConfig } from "../config/validate";
import { destroy, refresh, runProgram, type Action, type Step } from "./engine";
import { guestEngine, RealGuests } from "./guests";
import { DynamicProviderHost, secret, stripSecrets } from "./host";
import { DEFAULT_INVENTORY, loadInventory } from "./proxmox/inventory";
import { ProxmoxSimulation } from "./proxmox/simulator";
import { loadState, removeState, saveState, type LabState } from "./state";

export type Command = "up" | "preview" | "refresh" | "destroy";

export interface LabArgs {
  readonly command: Command;
  readonly stack: string;
  readonly portainerUrl?: string;
  readonly stateFile?: string;
  /** Another stack file to read instead of `Pulumi.<stack>.yaml` (a variant of the configuration). */
  readonly stackFile?: string;
  /** The simulated Proxmox host's inventory (default lab/hosts/zfs-single-node.json). */
  readonly proxmoxHost?: string;
  /** `real`: guests boot as real Debian 12 systems in the guest engine and their setup runs over SSH. */
  readonly guests: "simulated" | "real";
  readonly json: boolean;
  readonly reset: boolean;
  /** `up` / `preview`: read the live site first (the default; `--skip-refresh` turns it off). */
  readonly refresh: boolean;
  /** `preview --expect-no-changes`: exit 7 when the preview finds something to change. */
  readonly expectNoChanges: boolean;
}

/** Exit codes, as the Pulumi CLI's since 3.227. */
export const EXIT = { ok: 0, error: 1, usage: 2, changes: 7 } as const;

/** A problem with the command line, the stack file or the configuration: exit 2. */
export class UsageError extends Error {}

const USAGE =
  "usage: npm run lab -- <up|preview|refresh|destroy> --stack <name> " +
  "[--skip-refresh] [--expect-no-changes] [--portainer-url URL] [--state " +
  "FILE] [--stack-file FILE] [--proxmox-host FILE] " +
  "[--guests simulated|real] [--json] [--reset]";

export function parseArgs(argv: readonly string[]): LabArgs | { error: string } {
  const [command, ...rest] = argv;
  if (!["up", "preview", "refresh", "destroy"].includes(command ?? ""))
    return { error: `the first argument must be up, preview, refresh or destroy\n${USAGE}` };
  let stack: string | undefined;
  let portainerUrl: string | undefined;
  let stateFile: string | undefined;
  let stackFile: string | undefined;
  let proxmoxHost: string | undefined;
  let guests: "simulated" | "real" = "simulated";
  let json = false;
  let reset = false;
  let refresh = command === "up" || command === "preview";
  let expectNoChanges = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--stack") stack = rest[++i];
    else if (a === "--portainer-url") portainerUrl = rest[++i];
    else if (a === "--state") stateFile = rest[++i];
    else if (a === "--stack-file") stackFile = rest[++i];
    else if (a === "--proxmox-host") proxmoxHost = rest[++i];
    else if (a === "--guests") {
      const g = rest[++i];
      if (g !== "simulated" && g !== "real") return { error: `--guests must be simulated or real\n${USAGE}` };
      guests = g;
    } else if (a === "--json") json = true;
    else if (a === "--reset") reset = true;
    else if (a === "--refresh" && (command === "up" || command === "preview")) refresh = true;
    else if (a === "--skip-refresh" && (command === "up" || command === "preview")) refresh = false;
    else if (a === "--expect-no-changes" && (command === "preview" || command === "refresh")) expectNoChanges = true;
    else return { error: `unknown argument ${a}\n${USAGE}` };
  }
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) return { error: `--stack <name> is required\n${USAGE}` };
  if (portainerUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(portainerUrl))
    return { error: `--portainer-url must be an http or https URL\n${USAGE}` };
  return {
    command: command as Command,
    stack,
    ...(portainerUrl ? { portainerUrl } : {}),
    ...(stateFile ? { stateFile } : {}),
    ...(stackFile ? { stackFile } : {}),
    ...(proxmoxHost ? { proxmoxHost } : {}),
    guests,
    json,
    reset,
    refresh,
    expectNoChanges,
  };
}

/**
 * The environment variable that supplies a secret config value: `phoenix:proxmox.api_token` ->
 * `PHOENIX_SECRET_PROXMOX_API_TOKEN`.
 */
export function secretEnvVar(key: string, at: readonly string[]): string {
  return `PHOENIX_SECRET_${[key.replace(/^phoenix:/, ""), ...at]
    .join("_")
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * A value for a secret the built-in fake needs but nobody gave: random, and stable across runs (kept in the lab state).
 */
function generate(varName: string): string {
  if (varName.endsWith("PRIVATE_KEY"))
    return (
      `-----BEGIN OPENSSH PRIVATE ` +
      `KEY-----\nlab-generated-${crypto.randomBytes(12).toString("hex")}\n-----END ` +
      `OPENSSH PRIVATE KEY-----\n`
    );
  if (varName.endsWith("API_TOKEN")) return `root@pam!lab=${crypto.randomUUID()}`;
  return crypto.randomBytes(18).toString("base64url");
}

/**
 * The stack's configuration with secrets resolved: decrypted with the passphrase when one is given
 * (`PULUMI_CONFIG_PASSPHRASE`, even empty, or `PULUMI_CONFIG_PASSPHRASE_FILE`, as the Pulumi CLI reads them);
 * otherwise each `secure:` value comes from its `PHOENIX_SECRET_*` variable, or is generated when the lab
 * runs its built-in fake. Returns the names of variables still missing.
 */
export function resolveConfig(
  stackFile: string,
  env: NodeJS.ProcessEnv,
  state: LabState,
  builtinFake: boolean,
  cwd: string = process.cwd(),
): { raw: RawConfig; missing: string[] } {
  // As the CLI: PULUMI_CONFIG_PASSPHRASE when set (even empty), else PULUMI_CONFIG_PASSPHRASE_FILE.
  const passphrase = passphraseFromEnv(env, cwd);
  if (passphrase !== undefined) return { raw: decryptStackFile(stackFile, passphrase), missing: [] };
  const raw = readStackFile(stackFile);
  const secretKeys = new Set<string>();
  const missing: string[] = [];
  const walk = (v: unknown, key: string, at: string[]): unknown => {
    if (
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      typeof (v as Record<string, unknown>)["secure"] === "string"
    ) {
      secretKeys.add(key);
      const name = secretEnvVar(key, at);
      const alias =
        name === "PHOENIX_SECRET_PORTAINER_ADMIN_PASSWORD" ? env["PHOENIX_PORTAINER_ADMIN_PASSWORD"] : undefined;
      const given = env[name] ?? alias;
      if (given !== undefined) return given;
      if (builtinFake) {
        const kept = state.generatedSecrets[name] as { value: string } | undefined;
        const value = kept?.value ?? generate(name);
        state.generatedSecrets[name] = secret(value);
        return value;
      }
      missing.push(name);
      return "";
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, key, [...at, String(i)]));
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, key, [...at, k])]));
    return v;
  };
  const values = Object.fromEntries(Object.entries(raw.values).map(([k, v]) => [k, walk(v, k, [])]));
  return { raw: { values, secretKeys }, missing };
}

const SYMBOL: Record<Action, string> = {
  create: "+",
  update: "~",
  replace: "+-",
  delete: "-",
  same: " ",
  read: " ",
  drift: "!",
  gone: "!",
};

export function formatStep(s: Step): string {
  const type = s.type.split(":").pop();
  const changes = s.changes && s.changes.length > 0 ? ` [${s.changes.join(", ")}]` : "";
  const notes = s.notes && s.notes.length > 0 ? ` — ${s.notes.join("; ")}` : "";
  return `${SYMBOL[s.action].padEnd(2)} ${s.action.padEnd(7)} ${type} ${s.name}${changes} (${s.durationMs} ms)${notes}`;
}

/** Counts the steps by action: the program's (not the refresh before it), or with `refreshPhase` only those. */
export function summarize(steps: readonly Step[], refreshPhase = false): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps) if ((s.refresh === true) === refreshPhase) out[s.action] = (out[s.action] ?? 0) + 1;
  return out;
}

/**
 * Loads the program afresh: its own modules (index.ts, config/, components/, providers/) are dropped from
 * the module cache first, so each run in one process registers every resource again, as a new process would.
 */
export function requireFreshProgram(projectDir: string): void {
  const own = ["index.ts", "config", "components", "providers"].map((p) => path.join(projectDir, p));
  for (const k of Object.keys(require.cache))
    if (own.some((o) => k === o || k.startsWith(o + path.sep))) delete require.cache[k];
  // The program is loaded by path, after the mocks are set.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(projectDir, "index.ts"));
}

export interface LabIo {
  readonly projectDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Loads the program; defaults to {@link requireFreshProgram}. */
  readonly loadProgram?: () => Promise<void>;
}

/** Runs one lab command; returns the exit code. */
export async function main(argv: readonly string[], io: LabIo): Promise<number> {
  const args = parseArgs(argv);
  if ("error" in args) {
    io.err(args.error);
    return EXIT.usage;
  }
  const labDir = path.join(io.projectDir, ".lab");
  const stateFile = args.stateFile ? path.resolve(args.stateFile) : path.join(labDir, `${args.stack}.json`);
  const fakeFile = stateFile.replace(/\.json$/, "") + ".portainer.json";
  const proxmoxFile = stateFile.replace(/\.json$/, "") + ".proxmox.json";
  const stackFile = args.stackFile
    ? path.resolve(args.stackFile)
    : path.join(io.projectDir, `Pulumi.${args.stack}.yaml`);
  if (args.reset) {
    removeState(stateFile);
    fs.rmSync(fakeFile, { force: true });
    fs.rmSync(proxmoxFile, { force: true });
  }
  const state = loadState(stateFile, args.stack);
  const builtinFake = args.portainerUrl === undefined;
  let fake: FakePortainer | undefined;
  let proxmoxApi: FakeProxmox | undefined;
  let host: DynamicProviderHost | undefined;
  const started = Date.now();
  // The host takes about half a second to start: start it while the configuration is read.
  const hostStarting = DynamicProviderHost.start(io.projectDir);
  hostStarting.catch(() => undefined);
  const steps: Step[] = [];
  const logs: string[] = [];
  const onStep = (s: Step) => {
    steps.push(s);
    if (!args.json) io.out(formatStep(s));
  };
  try {
    if (!fs.existsSync(stackFile)) throw new UsageError(`${path.relative(io.projectDir, stackFile)} does not exist`);
    const proxmox = new ProxmoxSimulation(
      loadInventory(args.proxmoxHost ? path.resolve(args.proxmoxHost) : DEFAULT_INVENTORY),
    );
    const guests = args.guests === "real" ? new RealGuests(await guestEngine(), args.stack) : undefined;
    const { raw, missing } = resolveConfig(stackFile, io.env, state, builtinFake);
    if (missing.length > 0) {
      throw new UsageError(
        `these secrets are encrypted in Pulumi.${args.stack}.yaml and not given: ` +
          `set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), or ` +
          `${missing.join(", ")}`,
      );
    }
    if (builtinFake) {
      fake = await startFakePortainer({ stateFile: fakeFile, port: state.fakePort ?? 0 }).catch(() =>
        startFakePortainer({ stateFile: fakeFile }),
      );
      state.fakePort = fake.port;
    }
    // The Proxmox API phoenix's own client talks to (snapshots): a fake on loopback, its data and certificate
    // kept beside the state, its guests those the simulated Proxmox made.
    const startApi = (port: number) =>
      startFakeProxmox({
        stateFile: proxmoxFile,
        ...(fs.existsSync(proxmoxFile) ? {} : { tls: untrustedCertificate() }),
        tokens: "any",
        users: proxmoxUsers(raw),
        taskMs: 20,
        port,
      });
    const portainerUrl = args.portainerUrl ?? fake!.url;
    const portainer = raw.values["phoenix:portainer"] as Record<string, unknown> | undefined;
    if (portainer) {
      portainer["url"] = portainerUrl;
      if (portainerUrl.startsWith("http:")) delete portainer["tls"];
    }
    // The configuration is checked before anything reads or changes the site (the refresh included).
    const checked = validateSite(raw, { stacksDir: path.join(io.projectDir, "stacks"), projectDir: io.projectDir });
    if (!checked.ok) throw new UsageError(describeProblems(args.stack, checked.problems));
    // Started only for a site with snapshots, or a state that holds some.
    const snapshots =
      checked.site.guests.some((g) => g.config.snapshot?.after_setup === true) ||
      state.resources.some((r) => r.type === SNAPSHOT_TYPE);
    if (snapshots) {
      proxmoxApi = await startApi(state.fakeProxmoxPort ?? 0).catch(() => startApi(0));
      state.fakeProxmoxPort = proxmoxApi.port;
    }
    const config = toRuntimeConfig(raw);
    host = await hostStarting;
    // What providers log (waits, adoptions, revoked keys) is shown as it happens, as the CLI shows it.
    host.onLog((line) => {
      const m = /^(\w+): \[runtime\] (.*)$/.exec(line);
      const logLine = m ? `${m[1]}: ${m[2]}` : line;
      logs.push(logLine);
      if (!args.json) io.out(`   ${logLine}`);
    });
    await host.configure(config.config);
    const apiKey = io.env["PHOENIX_PORTAINER_API_KEY"];
    const simulated =
      apiKey && !builtinFake
        ? {
            "pulumi-nodejs:dynamic/portainer:Admin": () => ({ userId: 1, created: false }),
            "pulumi-nodejs:dynamic/portainer:ApiKey": () => ({
              apiKey: secret(apiKey),
              keyId: 0,
              userId: 1,
              prefix: apiKey.slice(0, 7),
            }),
          }
        : undefined;
    const loadProgram = io.loadProgram ?? (async () => requireFreshProgram(io.projectDir));
    let exitCode: number = EXIT.ok;
    if (args.command === "up" || args.command === "preview") {
      if (args.refresh) {
        const onRefresh = (s: Step) => onStep({ ...s, refresh: true });
        await refresh({ state, stateFile, host, onStep: onRefresh, save: args.command === "up" });
      }
      await runProgram({
        mode: args.command,
        stack: args.stack,
        state,
        stateFile,
        host,
        loadProgram,
        config,
        onStep,
        proxmox,
        ...(proxmoxApi ? { proxmoxApi, rewriteInputs: toFakeProxmox(proxmoxApi) } : {}),
        ...(guests ? { guests } : {}),
        ...(simulated ? { simulated } : {}),
      });
      if (args.expectNoChanges && steps.some(isChange)) exitCode = EXIT.changes;
    } else if (args.command === "refresh") {
      await refresh({ state, stateFile, host, onStep });
      if (steps.some(isChange)) exitCode = EXIT.changes;
    } else {
      await destroy({ state, stateFile, host, onStep, proxmox, ...(proxmoxApi ? { proxmoxApi } : {}) });
      await guests?.removeAll();
    }
    if (args.command === "destroy") {
      removeState(stateFile);
      await proxmoxApi?.close();
      proxmoxApi = undefined;
      fs.rmSync(proxmoxFile, { force: true });
      if (fake) {
        await fake.close();
        fake = undefined;
        fs.rmSync(fakeFile, { force: true });
      }
    } else if (args.command !== "preview") {
      saveState(stateFile, state);
    }
    if (guests && !args.json) {
      for (const l of guests.log) io.out(`guests: ${l}`);
      if (args.command === "up") {
        for (const w of await guests.where())
          io.out(
            `guests: ${w.container}: ${w.configured} is ${w.address} here; ssh ` +
              `<user>@${w.address} with the stack's phoenix:guest_ssh private key`,
          );
      }
    }
    report(args, io, steps, logs, portainerUrl, exitCode, Date.now() - started);
    return exitCode;
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    const code = isUsageError(e) ? EXIT.usage : EXIT.error;
    if (args.json)
      io.out(JSON.stringify({ command: args.command, stack: args.stack, error: message, steps, logs, exitCode: code }));
    else io.err(`lab: ${message}`);
    return code;
  } finally {
    await (host ?? (await hostStarting.catch(() => undefined)))?.close();
    await fake?.close();
    await proxmoxApi?.close();
  }
}

/** phoenix's snapshots, which the lab points at its fake Proxmox API. */
const SNAPSHOT_TYPE = "pulumi-nodejs:dynamic/proxmox:Snapshot";

/** The user and password the fake Proxmox accepts: the stack's own, when it signs in with a password. */
function proxmoxUsers(raw: RawConfig): Record<string, string> {
  const p = raw.values["phoenix:proxmox"] as { username?: unknown; password?: unknown } | undefined;
  return typeof p?.username === "string" && typeof p.password === "string" ? { [p.username]: p.password } : {};
}

/** Points phoenix's snapshots at the lab's fake Proxmox API: its URL and certificate, the stack's credentials. */
function toFakeProxmox(api: FakeProxmox) {
  return (type: string, inputs: Record<string, unknown>): Record<string, unknown> => {
    if (type !== SNAPSHOT_TYPE) return inputs;
    const c = (stripSecrets(inputs["connection"]) ?? {}) as Record<string, unknown>;
    return { ...inputs, connection: secret({ ...c, endpoint: api.url, caCert: api.cert, insecure: false }) };
  };
}

/** A step that changes something, or found something changed (the refresh's drift). */
function isChange(s: Step): boolean {
  return s.action !== "same" && s.action !== "read";
}

/** Bad usage, a bad stack file or passphrase, or a configuration the program refused: exit 2. */
export function isUsageError(e: unknown): boolean {
  return (
    e instanceof UsageError ||
    e instanceof StackFileError ||
    e instanceof PassphraseError ||
    (typeof e === "object" && e !== null && (e as { phoenixConfigError?: unknown }).phoenixConfigError === true)
  );
}

function report(
  args: LabArgs,
  io: LabIo,
  steps: readonly Step[],
  logs: readonly string[],
  portainerUrl: string,
  exitCode: number,
  ms: number,
): void {
  const summary = summarize(steps);
  if (args.json) {
    io.out(
      JSON.stringify({
        command: args.command,
        stack: args.stack,
        portainerUrl,
        steps,
        summary,
        ...(steps.some((x) => x.refresh)
          ? {
              refreshed: summarize(
                steps.filter((x) => x.refresh),
                true,
              ),
            }
          : {}),
        logs,
        exitCode,
        durationMs: ms,
      }),
    );
    return;
  }
  const parts = Object.entries(summary).map(([k, v]) => `${v} ${k}`);
  const refreshed = steps.filter((s) => s.refresh);
  const drifted = refreshed.filter(isChange).length;
  const read =
    refreshed.length > 0 ? `; refreshed ${refreshed.length} (${drifted > 0 ? `${drifted} drifted` : "no drift"})` : "";
  const verdict =
    args.command === "refresh"
      ? exitCode === EXIT.changes
        ? "drift found"
        : "no drift"
      : args.command === "preview"
        ? exitCode === EXIT.changes
          ? "changes found (preview, --expect-no-changes)"
          : "nothing changed (preview)"
        : "done";
  io.out(
    `${args.command} ${args.stack}: ` +
      `${parts.join(", ") || "nothing to do"}${read}; ${verdict} in ` +
      `${(ms / 1000).toFixed(1)} s (Portainer at ${portainerUrl})`,
  );
}

if (require.main === module) {
  // A failed registration also rejects inside the SDK; the lab reports it itself, without a stack trace.
  process.on("unhandledRejection", () => undefined);
  main(process.argv.slice(2), {
    projectDir: path.resolve(__dirname, ".."),
    env: process.env,
    out: (l) => process.stdout.write(l + "\n"),
    err: (l) => process.stderr.write(l + "\n"),
  }).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`lab: ${e.message}\n`);
      process.exit(1);
    },
  );
}
