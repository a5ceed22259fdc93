// Proves the acceptance of `verify` on a lab site, with the commands as users run them (each its own process):
// after `npm run lab -- up --stack dev`, `npm run verify -- --stack dev` exits 0; after a stack is stopped out of
// band it exits 1 naming that stack; after a container exits out of band, a second `up` (which sees only
// Portainer's objects) leaves it so and verify still names it.
// Does not prove: a real Portainer or Docker (the lab's fake answers for both).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../helpers/site";

jest.setTimeout(120_000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-verify-lab-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One `npm run <script> -- args` as its own process (node with ts-node, as the npm script runs it). */
function run(script: string, args: string[]) {
  const env = { ...process.env };
  delete env["PHOENIX_PORTAINER_API_KEY"];
  const r = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, script), ...args],
    {
      cwd: PROJECT_DIR,
      env,
      encoding: "utf8",
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const state = () => path.join(dir, "dev.json");

describe("verify a lab site", () => {
  it("passes after up, and fails naming a stack stopped out of band", () => {
    const up = run("lab/cli.ts", ["up", "--stack", "dev", "--state", state()]);
    expect(up.err).toBe("");
    expect(up.code).toBe(0);
    const ok = run("cli/verify.ts", ["--stack", "dev", "--state", state()]);
    expect(ok).toEqual({ code: 0, out: expect.stringContaining("verify dev: all 9 checks passed\n"), err: "" });

    const stop = run("cli/fake-portainer.ts", [
      "--state",
      path.join(dir, "dev.portainer.json"),
      "--stop-stack",
      "qdrant_service",
    ]);
    expect(stop).toEqual({ code: 0, out: "stopped stack qdrant_service\n", err: "" });
    const failed = run("cli/verify.ts", ["--stack", "dev", "--state", state()]);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain("  FAIL  stack qdrant_service on dev-apps: inactive: stopped (id 1)\n");
    expect(failed.out.trimEnd().split("\n").pop()).toBe(
      "verify dev: 2 of 9 checks failed: stack qdrant_service on dev-apps, containers of qdrant_service on dev-apps",
    );
  });

  it("names a container that exited out of band, which up does not see", () => {
    const up = run("lab/cli.ts", ["up", "--stack", "dev", "--state", state()]);
    expect(up.code).toBe(0);
    expect(run("cli/verify.ts", ["--stack", "dev", "--state", state()]).code).toBe(0);
    const change = run("cli/fake-portainer.ts", [
      "--state",
      path.join(dir, "dev.portainer.json"),
      "--container",
      "thinkheads_ai_app/app=exited",
    ]);
    expect(change).toEqual({
      code: 0,
      out: 'changed container app of stack thinkheads_ai_app: {"state":"exited"}\n',
      err: "",
    });
    const again = run("lab/cli.ts", ["up", "--stack", "dev", "--state", state()]);
    expect(again.out).toMatch(/^up dev: 30 same; refreshed \d+ \(no drift\); done/m);
    const failed = run("cli/verify.ts", ["--stack", "dev", "--state", state()]);
    expect(failed.code).toBe(1);
    expect(failed.out.trimEnd().split("\n").pop()).toBe(
      "verify dev: 1 of 9 checks failed: containers of thinkheads_ai_app on dev-apps",
    );
  });
});
