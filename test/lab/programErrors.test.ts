// Proves: an error the program raises outside a registration (a throwing apply) fails the lab's run with its
// message, as Pulumi's language host fails `pulumi up`, instead of a run that reports "done" with resources
// missing. In a process of its own, as the lab runs (jest keeps unhandled rejections to itself).
// Does not prove: the language host's own wording.
import { spawnSync } from "node:child_process";
import { PROJECT_DIR } from "../helpers/site";

const PROGRAM = `
const command = require("@pulumi/command");
const pulumi = require("@pulumi/pulumi");
const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
const { runProgram } = require("./lab/engine");
const { emptyState } = require("./lab/state");
process.on("unhandledRejection", () => undefined);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-program-error-"));
runProgram({
  mode: "up", stack: "t", state: emptyState("t"), stateFile: path.join(dir, "t.json"), host: {},
  config: { config: {}, secretKeys: [] }, onStep: () => undefined,
  loadProgram: async () => {
    const script = pulumi.output("x").apply(() => { throw new Error("the certificate has no PEM"); });
    new command.remote.Command("c", { connection: { host: "h" }, create: script });
    new command.remote.Command("fine", { connection: { host: "h" }, create: "true" });
  },
}).then(
  (steps) => console.log("resolved " + steps.map((s) => s.name).join(",")),
  (e) => console.log("rejected " + e.message),
).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
`;

it("fails the run when an apply in the program throws", () => {
  const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", PROGRAM], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.stdout.trim()).toBe(
    'rejected the program failed: error serializing property "create": the certificate has no PEM',
  );
}, 60_000);
