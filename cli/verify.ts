/**
 * `npm run verify -- --stack <name> [--portainer-url URL] [--ca-cert FILE] [--state FILE] [--json] [--wait SECONDS]`:
 * checks the live
 * Portainer against the site: the server runs the pinned version; every expected environment exists with its URL, is
 * up and runs the pinned agent; no stray environment or stack carries the site's names; every expected stack is on its
 * environment, active, its containers running (and healthy where they have a health check), with its variables.
 *
 * The API key comes from `PHOENIX_PORTAINER_API_KEY`, or, for a lab site (`npm run lab -- up`), from the lab's state,
 * with the lab's fake Portainer started from its data (`--state` names a lab state file other than
 * `.lab/<stack>.json`, as `npm run lab -- --state` does). Exit 0 when every check passes, 1 when one fails, 2 on bad
 * usage or configuration. `--wait` retries until every check passes or the time is up.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { portainerUsesPhoenixCertificate } from "../config/gateways";
import { readStackFile, StackFileError } from "../config/sources";
import { describeProblems, validateSite } from "../config/validate";
import type * as LabHost from "../lab/host";
import type * as LabState from "../lab/state";
import type { PortainerClientOptions } from "../providers/portainer/client";
import type * as FakeServer from "../test/fakes/portainer/server";
import { checkSite, expectedSite, renderChecks, summarize, type Check } from "../verify/checks";
import { observe } from "../verify/observe";

const USAGE =
  "usage: npm run verify -- --stack <name> [--portainer-url URL] [--ca-cert FILE] [--state FILE] [--json] " +
  "[--wait SECONDS]";

export interface VerifyArgs {
  readonly stack: string;
  readonly portainerUrl?: string;
  readonly caCert?: string;
  /** The lab's state file, when not `.lab/<stack>.json`. */
  readonly stateFile?: string;
  readonly json: boolean;
  readonly waitSeconds: number;
}

export function parseArgs(argv: readonly string[]): VerifyArgs | { error: string } {
  let stack: string | undefined;
  let portainerUrl: string | undefined;
  let caCert: string | undefined;
  let stateFile: string | undefined;
  let json = false;
  let waitSeconds = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--stack") stack = argv[++i];
    else if (a === "--portainer-url") portainerUrl = argv[++i] ?? "";
    else if (a === "--ca-cert") caCert = argv[++i] ?? "";
    else if (a === "--state") stateFile = argv[++i] ?? "";
    else if (a === "--json") json = true;
    else if (a === "--wait") {
      const s = Number(argv[++i]);
      if (!Number.isInteger(s) || s < 0 || s > 86400)
        return { error: `--wait must be a whole number of seconds (0-86400)\n${USAGE}` };
      waitSeconds = s;
    } else return { error: `unknown argument ${a}\n${USAGE}` };
  }
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) return { error: `--stack <name> is required\n${USAGE}` };
  if (portainerUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(portainerUrl))
    return { error: `--portainer-url must be an http or https URL\n${USAGE}` };
  if (caCert === "") return { error: `--ca-cert needs a PEM file\n${USAGE}` };
  if (stateFile === "") return { error: `--state needs the lab's state file\n${USAGE}` };
  return {
    stack,
    ...(portainerUrl ? { portainerUrl } : {}),
    ...(caCert ? { caCert } : {}),
    ...(stateFile ? { stateFile } : {}),
    json,
    waitSeconds,
  };
}

export interface VerifyIo {
  readonly projectDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** A problem with the command line, the stack file or the configuration: exit 2. */
class UsageError extends Error {}

/** How long `--wait` pauses between attempts. */
export const RETRY_INTERVAL_MS = 5000;

/** Where to reach Portainer and with which key: given, or the lab's (its fake started from its data). */
async function target(
  args: VerifyArgs,
  io: VerifyIo,
  siteUrl: string,
  tls: PortainerClientOptions["tls"],
): Promise<{ options: PortainerClientOptions; close: () => Promise<void> }> {
  const apiKey = io.env["PHOENIX_PORTAINER_API_KEY"];
  if (apiKey !== undefined && apiKey !== "")
    return {
      options: { url: args.portainerUrl ?? siteUrl, auth: { apiKey }, ...(tls ? { tls } : {}) },
      close: async () => {},
    };
  const labState = args.stateFile
    ? path.resolve(args.stateFile)
    : path.join(io.projectDir, ".lab", `${args.stack}.json`);
  const fakeFile = labState.replace(/\.json$/, "") + ".portainer.json";
  const shown = path.relative(io.projectDir, labState);
  if (args.portainerUrl !== undefined || !fs.existsSync(labState))
    throw new UsageError(
      "PHOENIX_PORTAINER_API_KEY is not set: give an API key of a Portainer administrator, e.g. " +
        `PHOENIX_PORTAINER_API_KEY="$(pulumi stack output portainerApiKey --show-secrets --stack ${args.stack})"` +
        ` (no lab state ${shown} to read one from)`,
    );
  // Loaded only for lab sites: the lab's state and its fake Portainer.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadState } = require("../lab/state") as typeof LabState;
  const { isSecret } = require("../lab/host") as typeof LabHost;
  const { startFakePortainer } = require("../test/fakes/portainer/server") as typeof FakeServer;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const state = loadState(labState, args.stack);
  const key = state.resources.find((r) => r.type === "pulumi-nodejs:dynamic/portainer:ApiKey")?.outputs["apiKey"];
  const value = isSecret(key) ? key.value : key;
  if (typeof value !== "string" || !fs.existsSync(fakeFile))
    throw new UsageError(
      `the lab state ${shown} holds no Portainer API key or fake ` +
        `Portainer: run npm run lab -- up --stack ${args.stack}`,
    );
  const fake = await startFakePortainer({ stateFile: fakeFile, port: state.fakePort ?? 0 }).catch(() =>
    startFakePortainer({ stateFile: fakeFile }),
  );
  return { options: { url: fake.url, auth: { apiKey: value } }, close: () => fake.close() };
}

/** Runs the command; returns the exit code. */
export async function main(argv: readonly string[], io: VerifyIo): Promise<number> {
  const args = parseArgs(argv);
  if ("error" in args) {
    io.err(args.error);
    return 2;
  }
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = io.now ?? Date.now;
  let close = async () => {};
  try {
    const file = path.join(io.projectDir, `Pulumi.${args.stack}.yaml`);
    let raw;
    try {
      raw = readStackFile(file);
    } catch (e) {
      if (e instanceof StackFileError)
        throw new UsageError(
          `Pulumi.${args.stack}.yaml: ${e.message.replace(`${file}: `, "").replace(file, "the file")}`,
        );
      throw e;
    }
    const result = validateSite(raw, { stacksDir: path.join(io.projectDir, "stacks"), projectDir: io.projectDir });
    if (!result.ok) throw new UsageError(describeProblems(args.stack, result.problems));
    const site = result.site;
    const expected = expectedSite(site, args.stack);
    if (!expected || !site.portainer)
      throw new UsageError(
        `the site ${args.stack} manages no Portainer (no guest has a portainer_role): nothing to verify`,
      );
    let tls: PortainerClientOptions["tls"];
    if (args.caCert !== undefined) {
      if (!fs.existsSync(args.caCert)) throw new UsageError(`--ca-cert: ${args.caCert} does not exist`);
      tls = { caCert: fs.readFileSync(args.caCert, "utf8") };
    } else if (site.portainer.tls?.ca_cert !== undefined) tls = { caCert: site.portainer.tls.ca_cert };
    else if (site.portainer.tls?.insecure_skip_verify) tls = { insecureSkipVerify: true };
    const url = args.portainerUrl ?? site.portainer.url;
    const fromLab = io.env["PHOENIX_PORTAINER_API_KEY"] === undefined || io.env["PHOENIX_PORTAINER_API_KEY"] === "";
    if (!tls && url.startsWith("https:") && portainerUsesPhoenixCertificate(site) && !fromLab)
      throw new UsageError(
        `Portainer's certificate is issued by phoenix's CA: give it with --ca-cert FILE ` +
          `(pulumi stack output caCertificate --stack ${args.stack} > phoenix-ca.pem)`,
      );
    const t = await target(args, io, url, tls);
    close = t.close;
    const deadline = now() + args.waitSeconds * 1000;
    let checks: Check[];
    for (;;) {
      checks = checkSite(expected, await observe(expected, t.options));
      const failed = summarize(checks).failed;
      const left = deadline - now();
      if (failed === 0 || left <= 0) break;
      io.err(
        `verify ${args.stack}: ${failed} check${failed === 1 ? "" : "s"} failing; again in ` +
          `${Math.ceil(Math.min(RETRY_INTERVAL_MS, left) / 1000)} s (${Math.ceil(left / 1000)} s left)`,
      );
      await sleep(Math.min(RETRY_INTERVAL_MS, left));
    }
    const ok = summarize(checks).failed === 0;
    if (args.json)
      io.out(
        JSON.stringify({ stack: args.stack, url: t.options.url, ok, summary: summarize(checks), checks }, null, 2),
      );
    else for (const l of renderChecks(args.stack, t.options.url, checks)) io.out(l);
    return ok ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`verify: ${e.message}`);
      return 2;
    }
    io.err(`verify: ${(e as Error).message}`);
    return 1;
  } finally {
    await close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    // PHOENIX_PROJECT_DIR points the command at another project folder (used by the tests).
    projectDir: process.env["PHOENIX_PROJECT_DIR"] ?? path.resolve(__dirname, ".."),
    env: process.env,
    out: (l) => process.stdout.write(l + "\n"),
    err: (l) => process.stderr.write(l + "\n"),
  }).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      process.stderr.write(`verify: internal error: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
