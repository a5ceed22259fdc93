/**
 * `npm run fake-portainer -- [--port N] [--version X] [--state FILE] [--admin-timeout SECONDS] [--no-rate-limit]`:
 * starts the fake Portainer (test/fakes/portainer) on 127.0.0.1 and prints its URL, for manual use
 * and for the engine-less lab. Stops on SIGINT/SIGTERM.
 *
 * `npm run fake-portainer -- --state FILE --stop-stack NAME` or `--state FILE --container NAME/SERVICE=STATE` (STATE
 * one of exited, running, unhealthy, healthy, starting) changes a kept data file out of band instead, as someone on
 * the site would, for example the lab's `.lab/<stack>.portainer.json` between two commands.
 */
import { changeStoredStack, type ContainerChange } from "../test/fakes/portainer/state";
import { startFakePortainer, type FakePortainerOptions } from "../test/fakes/portainer/server";

const CONTAINER_STATES: Record<string, ContainerChange> = {
  exited: { state: "exited" },
  running: { state: "running" },
  unhealthy: { health: "unhealthy" },
  healthy: { health: "healthy" },
  starting: { health: "starting" },
};

/** An out-of-band edit of a data file, or undefined when the arguments ask for none. */
export function parseEdit(
  argv: readonly string[],
):
  | { file: string; stack: string; change: { stop: true } | { service: string; container: ContainerChange } }
  | { error: string }
  | undefined {
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : (argv[i + 1] ?? "");
  };
  const stop = at("--stop-stack");
  const container = at("--container");
  if (stop === undefined && container === undefined) return undefined;
  const file = at("--state");
  const usage = `usage: npm run fake-portainer -- --state FILE (--stop-stack NAME | --container NAME/SERVICE=STATE)`;
  if (!file || argv.length !== 4) return { error: usage };
  if (stop !== undefined) return stop === "" ? { error: usage } : { file, stack: stop, change: { stop: true } };
  const m = /^([^/]+)\/([^=]+)=(.+)$/.exec(container!);
  if (!m || !CONTAINER_STATES[m[3]!])
    return {
      error: `--container must be NAME/SERVICE=STATE with STATE one of ${Object.keys(CONTAINER_STATES).join(", ")}`,
    };
  return { file, stack: m[1]!, change: { service: m[2]!, container: CONTAINER_STATES[m[3]!]! } };
}

const USAGE =
  "usage: npm run fake-portainer -- [--port N] [--version X.Y.Z] [--state " +
  "FILE] [--admin-timeout SECONDS] [--no-rate-limit]";

export function parseArgs(argv: readonly string[]): FakePortainerOptions | { error: string } {
  const o: FakePortainerOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? "";
    if (a === "--port") {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) return { error: `--port must be 0-65535\n${USAGE}` };
      o.port = p;
    } else if (a === "--version") {
      const v = value();
      if (!/^\d+\.\d+\.\d+$/.test(v)) return { error: `--version must look like 2.27.9\n${USAGE}` };
      o.version = v;
    } else if (a === "--state") o.stateFile = value();
    else if (a === "--admin-timeout") {
      const s = Number(value());
      if (!Number.isFinite(s) || s < 0)
        return { error: `--admin-timeout must be a number of seconds (0 disables)\n${USAGE}` };
      o.adminInitTimeoutMs = s * 1000;
    } else if (a === "--no-rate-limit") o.rateLimit = false;
    else return { error: `unknown argument ${a}\n${USAGE}` };
  }
  return o;
}

if (require.main === module) {
  const edit = parseEdit(process.argv.slice(2));
  const o = edit ? { error: "" } : parseArgs(process.argv.slice(2));
  if (edit) {
    try {
      if ("error" in edit) throw new Error(edit.error);
      process.stdout.write(changeStoredStack(edit.file, edit.stack, edit.change) + "\n");
    } catch (e) {
      process.stderr.write(`fake-portainer: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  } else if ("error" in o) {
    process.stderr.write(o.error + "\n");
    process.exitCode = 2;
  } else {
    startFakePortainer(o).then(
      (fake) => {
        process.stdout.write(`${fake.url}\n`);
        if (fake.setupToken) process.stderr.write(`setup token: ${fake.setupToken}\n`);
        const stop = () => void fake.close().then(() => process.exit(0));
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      },
      (e: Error) => {
        process.stderr.write(`fake-portainer: ${e.message}\n`);
        process.exitCode = 1;
      },
    );
  }
}
