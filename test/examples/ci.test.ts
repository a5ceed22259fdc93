// Proves: the GitHub Actions workflows under examples/ci/github-actions/ are valid workflows (checked by
// @action-validator/core against the workflow schema, with a broken one as a positive control); each call
// of the reusable workflow passes only inputs it declares and every required input and secret; the
// pulumi/actions step uses only inputs pulumi/actions declares, pins the CLI at 3.227 or later,
// suppresses outputs, and is never `refresh`; the drift job is a preview with --expect-no-changes; prod
// deploys only after dev; secrets appear only in `env:` and `secrets:` maps, never inline in a script.
// Does not prove: that GitHub runs them (no runner here), or pulumi/actions' behaviour.
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { PROJECT_DIR } from "../helpers/site";

const DIR = path.join(PROJECT_DIR, "examples/ci/github-actions");
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- workflow YAML
const doc = (f: string) => parse(read(f)) as Doc;

/** The inputs of pulumi/actions' action.yml (github.com/pulumi/actions, commit 4ddd432). */
const PULUMI_ACTION_INPUTS = [
  "command",
  "stack-name",
  "pulumi-version",
  "pulumi-version-file",
  "work-dir",
  "comment-on-pr",
  "comment-on-pr-number",
  "comment-on-summary",
  "github-token",
  "cloud-url",
  "secrets-provider",
  "parallel",
  "message",
  "config-map",
  "expect-no-changes",
  "diff",
  "replace",
  "target",
  "target-dependents",
  "policyPacks",
  "policyPackConfigs",
  "refresh",
  "upsert",
  "remove",
  "edit-pr-comment",
  "color",
  "exclude-protected",
  "plan",
  "suppress-outputs",
  "suppress-progress",
  "always-include-summary",
];

describe("the example CI workflows", () => {
  const files = fs.readdirSync(DIR).sort();

  it("are the four documented ones", () => {
    expect(files).toEqual(["deploy.yml", "drift.yml", "phoenix-pulumi.yml", "preview.yml"]);
  });

  it.each(files)("%s is a valid workflow", (f) => {
    expect(validateWorkflow(read(f)).errors).toEqual([]);
  });

  it("the validator rejects a broken workflow (positive control)", () => {
    const errors = validateWorkflow("on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n").errors;
    expect(JSON.stringify(errors)).toContain("Additional property 'stepz' is not allowed");
  });

  const reusable = doc("phoenix-pulumi.yml");
  const call = reusable["on"]["workflow_call"];

  it.each(["preview.yml", "deploy.yml", "drift.yml"])(
    "%s calls the reusable workflow with its declared inputs and secrets",
    (f) => {
      const jobs = Object.values(doc(f)["jobs"] as Record<string, Doc>);
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) {
        expect(job["uses"]).toBe("./.github/workflows/phoenix-pulumi.yml");
        const given = Object.keys(job["with"] ?? {});
        expect(given.filter((k) => !(k in call["inputs"]))).toEqual([]);
        const required = Object.entries(call["inputs"] as Record<string, Doc>)
          .filter(([, v]) => v["required"])
          .map(([k]) => k);
        expect(required.filter((k) => !given.includes(k))).toEqual([]);
        expect(Object.keys(job["secrets"]).sort()).toEqual(Object.keys(call["secrets"]).sort());
      }
    },
  );

  it(
    "runs pulumi/actions v7 with known inputs, the CLI pinned at 3.227+, " + "outputs suppressed, and never refresh",
    () => {
      const steps = reusable["jobs"]["pulumi"]["steps"] as Doc[];
      const pulumi = steps.filter((s) => String(s["uses"] ?? "").startsWith("pulumi/actions"));
      expect(pulumi.map((s) => s["uses"])).toEqual(["pulumi/actions@v7"]);
      const w = pulumi[0]!["with"] as Doc;
      expect(Object.keys(w).filter((k) => !PULUMI_ACTION_INPUTS.includes(k))).toEqual([]);
      const [major, minor] = String(w["pulumi-version"]).split(".").map(Number);
      expect(major === 3 && minor! >= 227).toBe(true);
      expect([w["suppress-outputs"], w["refresh"], w["command"]]).toEqual([true, true, "${{ inputs.command }}"]);
      const commands = ["preview.yml", "deploy.yml", "drift.yml"].flatMap((f) =>
        Object.values(doc(f)["jobs"] as Record<string, Doc>).map((j) => j["with"]["command"]),
      );
      expect([...new Set(commands)].sort()).toEqual(["preview", "up"]);
    },
  );

  it("the drift job is a preview that expects no changes, and says which stack drifted", () => {
    const drift = doc("drift.yml");
    expect(Object.keys(drift["on"]).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(drift["jobs"]["drift"]["with"]).toMatchObject({ command: "preview", "expect-no-changes": true });
    const say = (reusable["jobs"]["pulumi"]["steps"] as Doc[]).find((s) => s["name"] === "Say that the stack drifted")!;
    expect(say["if"]).toBe("failure() && inputs.expect-no-changes");
    expect(say["run"]).toContain("::error title=phoenix drift::stack ${{ inputs.stack }} differs from the program");
  });

  it("deploys dev on merge, then prod after it, behind the prod environment", () => {
    const deploy = doc("deploy.yml");
    expect(deploy["on"]).toEqual({ push: { branches: ["main"] } });
    expect(deploy["jobs"]["dev"]["with"]).toEqual({ command: "up", stack: "dev", environment: "dev" });
    expect([deploy["jobs"]["prod"]["needs"], deploy["jobs"]["prod"]["with"]]).toEqual([
      "dev",
      { command: "up", stack: "prod", environment: "prod" },
    ]);
    expect(reusable["jobs"]["pulumi"]["environment"]).toBe("${{ inputs.environment }}");
  });

  it("previews pull requests with a comment, on the self-hosted runner", () => {
    const preview = doc("preview.yml");
    expect(preview["permissions"]).toEqual({ contents: "read", "pull-requests": "write" });
    expect(preview["jobs"]["preview"]["with"]).toMatchObject({ command: "preview", "comment-on-pr": true });
    expect(reusable["jobs"]["pulumi"]["runs-on"]).toEqual(["self-hosted", "phoenix"]);
  });

  it.each(files)("%s names secrets only in env: and secrets: maps, never inline in a script", (f) => {
    const lines = read(f).split("\n");
    const inline = lines.filter(
      (l) => /\$\{\{\s*secrets\./.test(l) && !/^\s+[A-Z_]+: \$\{\{ secrets\.[A-Z_]+ \}\}$/.test(l),
    );
    expect(inline).toEqual([]);
  });
});
