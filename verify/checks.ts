/**
 * `verify`'s decisions, as pure functions: what the site expects of the live Portainer (from the validated config),
 * and the checks that compare it with what Portainer answered. No I/O: `observe.ts` fetches, `cli/verify.ts` prints.
 */
import { agentUrl, environmentsOf } from "../config/desired";
import type { SiteConfig } from "../config/validate";
import { normalizeStackName as normalized } from "../providers/portainer/api/stacks";

export interface ExpectedEnvironment {
  readonly name: string;
  readonly type: "agent" | "local";
  readonly url: string;
}

export interface ExpectedStack {
  readonly name: string;
  /** The Portainer environment it is deployed to (the guest's name). */
  readonly environment: string;
  /** The variable names it must carry (values are never compared or printed). */
  readonly variables: readonly string[];
}

export interface ExpectedSite {
  readonly stack: string;
  readonly version: string;
  readonly environments: readonly ExpectedEnvironment[];
  readonly stacks: readonly ExpectedStack[];
  /** phoenix's names: every guest's (environment names) and every stack's, to find strays. */
  readonly guestNames: readonly string[];
  readonly guestAgentUrls: readonly string[];
  readonly stackNames: readonly string[];
}

/** What the site expects Portainer to hold; `undefined` when the site manages no Portainer. */
export function expectedSite(site: SiteConfig, stack: string): ExpectedSite | undefined {
  const p = site.portainer;
  if (!p) return undefined;
  return {
    stack,
    version: p.version,
    environments: environmentsOf(site).map((e) => ({ name: e.name, type: e.type, url: e.url })),
    stacks: site.deployments.map((d) => ({
      name: normalized(d.stack),
      environment: d.guest.name,
      variables: [...new Set(d.variables.map((v) => v.name))].sort(),
    })),
    guestNames: site.guests.map((g) => g.name),
    guestAgentUrls: site.guests.map((g) => agentUrl(g.ip, p.agent_port)),
    stackNames: [...new Set(site.deployments.map((d) => normalized(d.stack)))],
  };
}

export interface ObservedEnvironment {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  /** Portainer's status: 1 up, 2 down. */
  readonly status: number;
  readonly agentVersion: string;
}

export interface ObservedContainer {
  readonly name: string;
  readonly service: string;
  readonly state: string;
  /** Docker's status text, e.g. `Up 5 minutes (healthy)`. */
  readonly status: string;
  /** `healthy`, `unhealthy`, `starting`, or undefined without a health check. */
  readonly health: string | undefined;
}

export interface ObservedStack {
  readonly id: number;
  readonly name: string;
  readonly endpointId: number;
  /** 1 active, 2 inactive. */
  readonly status: number;
  readonly variables: readonly string[];
  /** The compose project's containers, or why they could not be listed. */
  readonly containers: readonly ObservedContainer[] | { readonly error: string };
}

/** What Portainer answered; `error` when it could not be read at all. */
export type Observed =
  | { readonly server: { readonly error: string } }
  | {
      readonly server: { readonly version: string };
      readonly api: { readonly error: string } | undefined;
      readonly environments: readonly ObservedEnvironment[];
      readonly stacks: readonly ObservedStack[];
    };

export type CheckStatus = "ok" | "fail" | "skip";

export interface Check {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

/** The health Docker reports, from the summary's `Health` (API 1.52+) or its status text. */
export function containerHealth(status: string, health?: string): string | undefined {
  if (health !== undefined && health !== "" && health !== "none") return health;
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  if (!m) return undefined;
  return m[1] === "health: starting" ? "starting" : m[1];
}

const list = (xs: readonly string[]) => xs.join(", ");

function environmentCheck(x: ExpectedEnvironment, version: string, found: ObservedEnvironment | undefined): Check {
  const check = `environment ${x.name}`;
  if (!found) return { check, status: "fail", detail: `missing (expected ${x.url})` };
  const problems: string[] = [];
  if (found.url !== x.url)
    problems.push(
      x.type === "agent" && !found.url.startsWith("tcp://")
        ? `URL is ${found.url}, not ${x.url} (Portainer reaches agents over tcp://)`
        : `URL is ${found.url}, not ${x.url}`,
    );
  if (found.status !== 1) problems.push(`down (Portainer cannot reach ${found.url})`);
  if (x.type === "agent" && found.agentVersion !== "" && found.agentVersion !== version)
    problems.push(`agent ${found.agentVersion}, the site pins ${version}`);
  if (problems.length > 0) return { check, status: "fail", detail: problems.join("; ") };
  const agent =
    x.type === "agent" ? `, agent ${found.agentVersion === "" ? "version not reported" : found.agentVersion}` : "";
  return { check, status: "ok", detail: `${found.url}, up${agent}` };
}

function containersCheck(s: ExpectedStack, found: ObservedStack): Check {
  const check = `containers of ${s.name} on ${s.environment}`;
  if ("error" in found.containers)
    return { check, status: "fail", detail: `cannot list them: ${found.containers.error}` };
  const cs = [...found.containers].sort((a, b) => a.name.localeCompare(b.name));
  if (cs.length === 0) return { check, status: "fail", detail: `none (no container has the project label ${s.name})` };
  const bad = cs.filter((c) => c.state !== "running" || (c.health !== undefined && c.health !== "healthy"));
  const describe = (c: ObservedContainer) =>
    c.state !== "running"
      ? `${c.name} ${c.state} (${c.status})`
      : c.health === undefined
        ? `${c.name} running`
        : `${c.name} running, ${c.health}`;
  if (bad.length > 0) return { check, status: "fail", detail: list(bad.map(describe)) };
  return { check, status: "ok", detail: list(cs.map(describe)) };
}

/** Every check, in a fixed order: server, environments, strays, then each stack. */
export function checkSite(x: ExpectedSite, o: Observed): Check[] {
  const checks: Check[] = [];
  const skipped = (check: string, why: string): Check => ({ check, status: "skip", detail: why });
  const stackChecks = (s: ExpectedStack) => [
    `stack ${s.name} on ${s.environment}`,
    `containers of ${s.name} on ${s.environment}`,
    `variables of ${s.name} on ${s.environment}`,
  ];
  const rest = () => [
    ...x.environments.map((e) => `environment ${e.name}`),
    "strays",
    ...x.stacks.flatMap(stackChecks),
  ];
  if (!("environments" in o)) {
    checks.push({ check: "server", status: "fail", detail: `does not answer: ${o.server.error}` });
    for (const c of rest()) checks.push(skipped(c, "the server does not answer"));
    return checks;
  }
  const v = o.server.version;
  checks.push(
    v === x.version
      ? { check: "server", status: "ok", detail: `Portainer ${v}, as pinned` }
      : { check: "server", status: "fail", detail: `Portainer ${v} answers; the site pins ${x.version}` },
  );
  if (o.api) {
    checks.push({ check: "api", status: "fail", detail: o.api.error });
    for (const c of rest()) checks.push(skipped(c, "the API did not answer"));
    return checks;
  }
  const envByName = new Map(o.environments.map((e) => [e.name, e]));
  for (const e of x.environments) checks.push(environmentCheck(e, x.version, envByName.get(e.name)));

  const expectedEnvs = new Set(x.environments.map((e) => e.name));
  const strays: string[] = [];
  for (const e of o.environments) {
    if (expectedEnvs.has(e.name)) continue;
    if (x.guestNames.includes(e.name)) strays.push(`environment ${e.name} (id ${e.id}) is not one the site registers`);
    else if (x.guestAgentUrls.includes(e.url))
      strays.push(`environment ${e.name} (id ${e.id}) points at ${e.url}, a guest of the site`);
  }
  const envName = new Map(o.environments.map((e) => [e.id, e.name]));
  for (const s of o.stacks) {
    if (!x.stackNames.includes(s.name)) continue;
    const at = envName.get(s.endpointId);
    if (!x.stacks.some((d) => d.name === s.name && d.environment === at))
      strays.push(
        `stack ${s.name} (id ${s.id}) on ${at ?? `environment ${s.endpointId}`} is not deployed there by the site`,
      );
  }
  checks.push(
    strays.length === 0
      ? { check: "strays", status: "ok", detail: "no other environment or stack carries the site's names" }
      : { check: "strays", status: "fail", detail: strays.join("; ") },
  );

  for (const s of x.stacks) {
    const [stackName, containersName, variablesName] = stackChecks(s) as [string, string, string];
    const env = envByName.get(s.environment);
    if (!env) {
      checks.push({ check: stackName, status: "fail", detail: `its environment ${s.environment} is missing` });
      checks.push(
        skipped(containersName, "the environment is missing"),
        skipped(variablesName, "the environment is missing"),
      );
      continue;
    }
    const found = o.stacks.find((y) => y.name === s.name && y.endpointId === env.id);
    if (!found) {
      checks.push({ check: stackName, status: "fail", detail: "missing" });
      checks.push(skipped(containersName, "the stack is missing"), skipped(variablesName, "the stack is missing"));
      continue;
    }
    checks.push(
      found.status === 1
        ? { check: stackName, status: "ok", detail: `active (id ${found.id})` }
        : { check: stackName, status: "fail", detail: `inactive: stopped (id ${found.id})` },
    );
    checks.push(containersCheck(s, found));
    const missing = s.variables.filter((n) => !found.variables.includes(n));
    checks.push(
      missing.length > 0
        ? { check: variablesName, status: "fail", detail: `missing ${list(missing)}` }
        : {
            check: variablesName,
            status: "ok",
            detail: s.variables.length === 0 ? "none expected" : `${list(s.variables)} present`,
          },
    );
  }
  return checks;
}

/** The summary line's counts. */
export function summarize(checks: readonly Check[]): {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
} {
  return {
    total: checks.length,
    passed: checks.filter((c) => c.status === "ok").length,
    failed: checks.filter((c) => c.status === "fail").length,
    skipped: checks.filter((c) => c.status === "skip").length,
  };
}

const MARK: Record<CheckStatus, string> = { ok: "ok  ", fail: "FAIL", skip: "skip" };

/** One line per check, then the summary naming what failed. */
export function renderChecks(stack: string, url: string, checks: readonly Check[]): string[] {
  const s = summarize(checks);
  const failed = checks.filter((c) => c.status === "fail").map((c) => c.check);
  return [
    `verify ${stack}: Portainer at ${url}`,
    ...checks.map((c) => `  ${MARK[c.status]}  ${c.check}: ${c.detail}`),
    failed.length === 0
      ? `verify ${stack}: all ${s.total} checks passed`
      : `verify ${stack}: ${s.failed} of ${s.total} checks failed` +
        `${s.skipped > 0 ? ` (${s.skipped} not run)` : ""}: ${failed.join(", ")}`,
  ];
}
