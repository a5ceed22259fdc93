/**
 * `npm run lab -- <up|preview|refresh|destroy> --stack <name> [--portainer-url URL] [--state FILE] [--json] [--reset]`
 *
 * Runs the real program and the real dynamic providers, through Pulumi's own dynamic-provider host,
 * against the built-in fake Portainer (default; its data kept beside the state) or any Portainer URL,
 * with a state file. No Pulumi CLI, no Proxmox, no Docker: those resources are simulated.
 * Exit codes: 0 done (refresh: no drift), 2 refresh found drift, 1 error.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startFakePortainer, type FakePortainer } from "../test/fakes/portainer/server";
import { decryptStackFile, readStackFile, toRuntimeConfig } from "../config/sources";
import { passphraseFromEnv } from "../config/passphrase";
import type { RawConfig } from "../config/validate";
import { destroy, refresh, runProgram, type Action, type Step } from "./engine";
import { guestEngine, RealGuests } from "./guests";
import { DynamicProviderHost, secret } from "./host";
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
  /** `up --refresh` / `preview --refresh`: read the live site first, as `pulumi up --refresh` does. */
  readonly refresh: boolean;
}

const USAGE =
  "usage: npm run lab -- <up|preview|refresh|destroy> --stack <name> [--refresh] [--portainer-url URL] [--state FILE] [--stack-file FILE] [--proxmox-host FILE] " +
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
  let refresh = false;
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
  };
}

/** The environment variable that supplies a secret config value: `phoenix:proxmox.api_token` -> `PHOENIX_SECRET_PROXMOX_API_TOKEN`. */
export function secretEnvVar(key: string, at: readonly string[]): string {
  return `PHOENIX_SECRET_${[key.replace(/^phoenix:/, ""), ...at]
    .join("_")
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "_")}`;
}

/** A value for a secret the built-in fake needs but nobody gave: random, and stable across runs (kept in the lab state). */
function generate(varName: string): string {
  if (varName.endsWith("PRIVATE_KEY"))
    return `-----BEGIN OPENSSH PRIVATE KEY-----\nlab-generated-${crypto.randomBytes(12).toString("hex")}\n-----END OPENSSH PRIVATE KEY-----\n`;
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

export function summarize(steps: readonly Step[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps) out[s.action] = (out[s.action] ?? 0) + 1;
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
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded by path, after the mocks are set
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
    return 1;
  }
  const labDir = path.join(io.projectDir, ".lab");
  const stateFile = args.stateFile ? path.resolve(args.stateFile) : path.join(labDir, `${args.stack}.json`);
  const fakeFile = stateFile.replace(/\.json$/, "") + ".portainer.json";
  const stackFile = args.stackFile
    ? path.resolve(args.stackFile)
    : path.join(io.projectDir, `Pulumi.${args.stack}.yaml`);
  if (args.reset) {
    removeState(stateFile);
    fs.rmSync(fakeFile, { force: true });
  }
  const state = loadState(stateFile, args.stack);
  const builtinFake = args.portainerUrl === undefined;
  let fake: FakePortainer | undefined;
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
    if (!fs.existsSync(stackFile)) throw new Error(`${path.relative(io.projectDir, stackFile)} does not exist`);
    const proxmox = new ProxmoxSimulation(
      loadInventory(args.proxmoxHost ? path.resolve(args.proxmoxHost) : DEFAULT_INVENTORY),
    );
    const guests = args.guests === "real" ? new RealGuests(await guestEngine(), args.stack) : undefined;
    const { raw, missing } = resolveConfig(stackFile, io.env, state, builtinFake);
    if (missing.length > 0) {
      throw new Error(
        `these secrets are encrypted in Pulumi.${args.stack}.yaml and not given: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), or ${missing.join(", ")}`,
      );
    }
    if (builtinFake) {
      fake = await startFakePortainer({ stateFile: fakeFile, port: state.fakePort ?? 0 }).catch(() =>
        startFakePortainer({ stateFile: fakeFile }),
      );
      state.fakePort = fake.port;
    }
    const portainerUrl = args.portainerUrl ?? fake!.url;
    const portainer = raw.values["phoenix:portainer"] as Record<string, unknown> | undefined;
    if (portainer) {
      portainer["url"] = portainerUrl;
      if (portainerUrl.startsWith("http:")) delete portainer["tls"];
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
    let exitCode = 0;
    if (args.command === "up" || args.command === "preview") {
      if (args.refresh) await refresh({ state, stateFile, host, onStep, save: args.command === "up" });
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
        ...(guests ? { guests } : {}),
        ...(simulated ? { simulated } : {}),
      });
    } else if (args.command === "refresh") {
      await refresh({ state, stateFile, host, onStep });
      if (steps.some((s) => s.action === "drift" || s.action === "gone")) exitCode = 2;
    } else {
      await destroy({ state, stateFile, host, onStep, proxmox });
      await guests?.removeAll();
    }
    if (args.command === "destroy") {
      removeState(stateFile);
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
            `guests: ${w.container}: ${w.configured} is ${w.address} here; ssh <user>@${w.address} with the stack's phoenix:guest_ssh private key`,
          );
      }
    }
    report(args, io, steps, logs, portainerUrl, exitCode, Date.now() - started);
    return exitCode;
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    if (args.json)
      io.out(JSON.stringify({ command: args.command, stack: args.stack, error: message, steps, logs, exitCode: 1 }));
    else io.err(`lab: ${message}`);
    return 1;
  } finally {
    await (host ?? (await hostStarting.catch(() => undefined)))?.close();
    await fake?.close();
  }
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
        logs,
        exitCode,
        durationMs: ms,
      }),
    );
    return;
  }
  const parts = Object.entries(summary).map(([k, v]) => `${v} ${k}`);
  const verdict =
    args.command === "refresh"
      ? exitCode === 2
        ? "drift found"
        : "no drift"
      : args.command === "preview"
        ? "nothing changed (preview)"
        : "done";
  io.out(
    `${args.command} ${args.stack}: ${parts.join(", ") || "nothing to do"}; ${verdict} in ${(ms / 1000).toFixed(1)} s (Portainer at ${portainerUrl})`,
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
