/**
 * `npm run fake-portainer -- [--port N] [--version X] [--state FILE] [--admin-timeout SECONDS] [--no-rate-limit]`:
 * starts the fake Portainer (test/fakes/portainer) on 127.0.0.1 and prints its URL, for manual use
 * and for the engine-less lab. Stops on SIGINT/SIGTERM.
 */
import { startFakePortainer, type FakePortainerOptions } from "../test/fakes/portainer/server";

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
  const o = parseArgs(process.argv.slice(2));
  if ("error" in o) {
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
