/**
 * Runs lab commands one after another in one process, for the end-to-end tests: each line on stdin is
 * `{"args": [...], "env": {...}}`; each answer on stdout is `{"code": n, "out": [lines]}`. The program is
 * loaded afresh for every command (requireFreshProgram), so a run is what a new `npm run lab` process
 * would do, without paying Node's and ts-node's start again.
 */
import * as path from "node:path";
import * as readline from "node:readline";
import { main } from "../../lab/cli";

process.on("unhandledRejection", () => undefined);
const projectDir = path.resolve(__dirname, "..", "..");
const lines = readline.createInterface({ input: process.stdin });

(async () => {
  for await (const line of lines) {
    const { args, env } = JSON.parse(line) as { args: string[]; env: Record<string, string> };
    const out: string[] = [];
    const code = await main(args, {
      projectDir,
      env: { ...process.env, ...env },
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    process.stdout.write(JSON.stringify({ code, out }) + "\n");
  }
})();
