/**
 * Problems in the configuration and how zod's issues become them: one path and one message each. Shared by the
 * site's validation (validate.ts) and the edge's (gateways.ts).
 */
import type { z } from "zod";

/** One problem in the configuration, with the config path or file it is about. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Renders a zod issue path after a prefix: `phoenix:vms` + [0, "network_config", "ip"]. */
export function formatPath(prefix: string, parts: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" || out.endsWith(": ") ? String(p) : `.${String(p)}`;
  }
  return out;
}

function issuesToProblems(prefix: string, issues: readonly z.core.$ZodIssue[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        out.push({ path: formatPath(prefix, [...issue.path, key]), message: "unknown key" });
      continue;
    }
    let message = issue.message;
    if (issue.code === "invalid_type" && /received undefined$/.test(message))
      message = `is required (${issue.expected})`;
    out.push({ path: formatPath(prefix, issue.path), message });
  }
  return out;
}

/** Parses a value with a schema; on failure adds every issue as a problem under `prefix` and returns undefined. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  problems: Problem[],
): z.output<S> | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  problems.push(...issuesToProblems(prefix, r.error.issues));
  return undefined;
}
