/** Runs `npm run plan` in-process against a project folder; returns the exit code and the joined output. */
import { main } from "../../cli/plan";
import { PROJECT_DIR } from "./site";

export function runPlan(argv: string[], projectDir = PROJECT_DIR): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(
    argv,
    projectDir,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}
