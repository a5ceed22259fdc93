/**
 * Loads the site for the Pulumi program: reads the runtime config once, validates it with the
 * stack manifests, and fails with every problem listed. `pulumi.RunError` is printed by Pulumi
 * without a stack trace.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./schema";
import { readRuntimeConfig } from "./sources";
import { describeProblems, validateSite, type SiteConfig } from "./validate";

/** The project folder: where `stacks/` lives. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** Validates the stack's configuration; throws a `RunError` listing every problem. */
export function loadSiteConfig(projectDir: string = PROJECT_DIR): SiteConfig {
  const result = validateSite(readRuntimeConfig(PROJECT), { stacksDir: path.join(projectDir, "stacks"), projectDir });
  if (result.ok) return result.site;
  const e = new pulumi.RunError(describeProblems(pulumi.getStack(), result.problems));
  // Marked so that tools (the lab) can tell a configuration error from a failed run.
  throw Object.assign(e, { phoenixConfigError: true });
}
