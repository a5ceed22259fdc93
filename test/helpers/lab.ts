/** Helpers for the lab's end-to-end tests. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as path from "node:path";
import { decryptStackFile, readStackFile } from "../../config/sources";
import { secretEnvVar } from "../../lab/cli";
import { PROJECT_DIR } from "./site";

/**
 * An example stack's secrets as the lab's PHOENIX_SECRET_* variables: the values the example passphrase
 * decrypts (decrypted once here, so each lab run skips the passphrase's key derivation).
 */
export function labSecretEnv(stack: string): Record<string, string> {
  const file = path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
  const plain = decryptStackFile(file, "phoenix-example").values;
  const env: Record<string, string> = {};
  const walk = (enc: unknown, dec: unknown, key: string, at: string[]): void => {
    if (enc && typeof enc === "object" && typeof (enc as Record<string, unknown>)["secure"] === "string")
      env[secretEnvVar(key, at)] = dec as string;
    else if (enc && typeof enc === "object")
      for (const [k, v] of Object.entries(enc)) walk(v, (dec as Record<string, unknown>)[k], key, [...at, k]);
  };
  for (const [k, v] of Object.entries(readStackFile(file).values)) walk(v, plain[k], k, []);
  return env;
}

/**
 * Lab commands run one after another in one long-lived driver process (test/lab/driver.ts): the same `main`
 * as `npm run lab`, the program loaded afresh for each. `run` resolves with the exit code and the last
 * line printed (the `--json` report).
 */
export class LabDriver {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: ((line: string) => void)[] = [];

  constructor() {
    this.child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "test/lab/driver.ts")],
      { cwd: PROJECT_DIR },
    );
    let buf = "";
    this.child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.answers.shift()?.(line);
      }
    });
  }

  run<R>(args: readonly string[], env: Record<string, string>): Promise<{ code: number; report: R; out: string[] }> {
    return new Promise((resolve) => {
      this.answers.push((line) => {
        const { code, out } = JSON.parse(line) as { code: number; out: string[] };
        let report: R;
        try {
          report = JSON.parse(out.at(-1) ?? "{}") as R;
        } catch {
          report = {} as R;
        }
        resolve({ code, report, out });
      });
      this.child.stdin.write(JSON.stringify({ args, env }) + "\n");
    });
  }

  close(): void {
    this.child.kill();
  }
}
