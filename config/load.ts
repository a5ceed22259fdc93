/**
 * Loads the site for the Pulumi program: reads the runtime config once, validates it with the
 * stack manifests, and fails with every problem listed. `pulumi.RunError` is printed by Pulumi
 * without a stack trace.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./schema";
import { readRuntimeConfig } from "./sources";
import { validateSite, type SiteConfig } from "./validate";

/** The project folder: where `stacks/` lives. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** Validates the stack's configuration; throws a `RunError` listing every problem. */
export function loadSiteConfig(projectDir: string = PROJECT_DIR): SiteConfig {
  const result = validateSite(readRuntimeConfig(PROJECT), { stacksDir: path.join(projectDir, "stacks"), projectDir });
  if (result.ok) return result.site;
  const lines = result.problems.map((p) => `  ${p.path}: ${p.message}`);
  throw new pulumi.RunError(`Invalid configuration for stack ${pulumi.getStack()} (${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
}
