/**
 * phoenix's policies for production stacks (stacks whose name starts with `prod`): pinned images, TLS
 * verified to Portainer, the agent secret set, secret stack variables kept secret, guests protected.
 * The pack itself is `index.ts`; the rules are here, as plain functions tests can run.
 *
 * Pulumi's policy SDK hands `validateResource` the inputs with secrets unwrapped (@pulumi/policy
 * `deserializeProperties(..., false)`), so no rule can see whether a value is secret. The secret rule
 * therefore reads the manifests in `stacks/` and checks `secretNames`, the record the program makes
 * of which env values the Pulumi SDK marks secret (components/portainer/dockerStack.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import { normalizeStackName } from "../providers/portainer/api/stacks";

const PORTAINER = "pulumi-nodejs:dynamic/portainer:";
const STACK = `${PORTAINER}Stack`;
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const CONTAINER = "docker:index/container:Container";
const GUESTS = ["proxmoxve:index/vmLegacy:VmLegacy", "proxmoxve:index/containerLegacy:ContainerLegacy"];
/** The containers phoenix runs with `AGENT_SECRET`: the Portainer server and its agents. */
const AGENT_SECRET_CONTAINERS = ["portainer", "portainer_agent"];
/** At least this long: phoenix generates 40 characters. */
export const MIN_AGENT_SECRET_LENGTH = 16;

/** The stack a URN belongs to (`urn:pulumi:<stack>::<project>::...`). */
export function stackOfUrn(urn: string): string {
  return urn.replace(/^urn:pulumi:/, "").split("::")[0] ?? "";
}

/** The policies apply to stacks named `prod*`. */
export function isProductionStack(stack: string): boolean {
  return /^prod/.test(stack);
}

/**
 * Why an image reference is not pinned, or undefined when it is: a digest, or a tag other than
 * `latest`. A variable in the reference cannot be judged before it is substituted.
 */
export function unpinnedReason(ref: string): string | undefined {
  if (ref.includes("${") || ref.includes("$"))
    return `${ref} is set from a variable; write the tag in the compose file`;
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return undefined;
  const last = ref.split("/").pop() ?? ref;
  const colon = last.lastIndexOf(":");
  if (colon === -1) return `${ref} has no tag (Docker pulls latest)`;
  if (last.slice(colon + 1) === "latest") return `${ref} uses the latest tag`;
  return undefined;
}

/** The image of each service of a compose file, by service name. */
export function composeImages(compose: string): { service: string; image: string }[] {
  const doc = parse(compose) as { services?: Record<string, { image?: unknown } | null> } | null;
  return Object.entries(doc?.services ?? {}).flatMap(([service, s]) =>
    typeof s?.image === "string" ? [{ service, image: s.image }] : [],
  );
}

/** The variable names the manifests of `stacksDir` mark secret, by normalised stack name. */
export function manifestSecrets(stacksDir: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!fs.existsSync(stacksDir)) return out;
  for (const entry of fs.readdirSync(stacksDir, { withFileTypes: true })) {
    const file = path.join(stacksDir, entry.name, "phoenix.json");
    if (!entry.isDirectory() || !fs.existsSync(file)) continue;
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as {
      name?: string;
      environments?: Record<string, { variables?: { name: string; secret?: string }[] }>;
    };
    const names = new Set<string>();
    for (const env of Object.values(m.environments ?? {}))
      for (const v of env.variables ?? []) if (v.secret !== undefined) names.add(v.name);
    out.set(normalizeStackName(m.name ?? entry.name), names);
  }
  return out;
}

type Check = (args: ResourceValidationArgs, report: ReportViolation) => void;

/** Runs a check on production stacks only. */
function inProduction(check: Check): Check {
  return (args, report) => {
    if (isProductionStack(stackOfUrn(args.urn))) check(args, report);
  };
}

export interface PolicyOptions {
  /** Where the stack manifests are: `stacks/` of the project by default. */
  readonly stacksDir?: string;
}

/** The policies, mandatory, for stacks named `prod*`. */
export function productionPolicies(options: PolicyOptions = {}): ResourceValidationPolicy[] {
  const stacksDir = options.stacksDir ?? path.resolve(__dirname, "..", "stacks");
  // The manifests, read once per pack process, at the first stack it judges.
  let secrets: Map<string, Set<string>> | undefined;
  return [
    {
      name: "phoenix-pinned-images",
      description: "Production pulls pinned images only: a tag other than latest, or a digest.",
      enforcementLevel: "mandatory",
      validateResource: inProduction((args, report) => {
        if (args.type === REMOTE_IMAGE) {
          const why = unpinnedReason(String(args.props["name"]));
          if (why) report(`The image ${why}.`);
        }
        if (args.type === STACK) {
          for (const { service, image } of composeImages(String(args.props["composeContent"]))) {
            const why = unpinnedReason(image);
            if (why) report(`Stack ${String(args.props["name"])}, service ${service}: the image ${why}.`);
          }
        }
      }),
    },
    {
      name: "phoenix-portainer-tls-verified",
      description: "Production talks to Portainer over HTTPS with the certificate verified.",
      enforcementLevel: "mandatory",
      validateResource: inProduction((args, report) => {
        if (!args.type.startsWith(PORTAINER)) return;
        const c = (args.props["connection"] ?? args.props) as { url?: unknown; insecureSkipVerify?: unknown };
        const url = String(c.url);
        if (!url.startsWith("https://")) {
          report(`It reaches Portainer at ${url} without TLS: serve Portainer over https (phoenix:portainer.url).`);
        } else if (c.insecureSkipVerify === true) {
          report(
            `It skips TLS verification for ${url}: remove phoenix:portainer.tls.insecure_skip_verify (Portainer then ` +
              `serves phoenix's certificate, verified against phoenix's CA) or pin its CA in ` +
              `phoenix:portainer.tls.ca_cert.`,
          );
        }
      }),
    },
    {
      name: "phoenix-agent-secret",
      description: "Production's Portainer server and agents share an AGENT_SECRET.",
      enforcementLevel: "mandatory",
      validateResource: inProduction((args, report) => {
        if (args.type !== CONTAINER || !AGENT_SECRET_CONTAINERS.includes(String(args.props["name"]))) return;
        const envs = (args.props["envs"] ?? []) as string[];
        const secret = envs.find((e) => e.startsWith("AGENT_SECRET="))?.slice("AGENT_SECRET=".length);
        if (secret === undefined) report(`Container ${String(args.props["name"])} has no AGENT_SECRET.`);
        else if (secret.length < MIN_AGENT_SECRET_LENGTH) {
          report(
            `Container ${String(args.props["name"])} has an AGENT_SECRET of ${secret.length} characters; at least ` +
              `${MIN_AGENT_SECRET_LENGTH} are required.`,
          );
        }
      }),
    },
    {
      name: "phoenix-secret-stack-variables",
      description: "Production keeps every stack variable its manifest marks secret a Pulumi secret.",
      enforcementLevel: "mandatory",
      validateResource: inProduction((args, report) => {
        if (args.type !== STACK) return;
        const name = String(args.props["name"]);
        const marked = (secrets ??= manifestSecrets(stacksDir)).get(normalizeStackName(name));
        if (marked === undefined)
          return report(`Stack ${name} has no manifest in ${stacksDir} to check its variables against.`);
        const sent = ((args.props["env"] ?? []) as { name: string }[]).map((e) => e.name);
        const secret = new Set((args.props["secretNames"] ?? []) as string[]);
        const plain = sent.filter((n) => marked.has(n) && !secret.has(n));
        if (plain.length > 0) {
          report(
            `Stack ${name} sends ${plain.join(", ")} as plain values; its manifest marks them secret: give them ` +
              `from secret config (pulumi config set --secret).`,
          );
        }
      }),
    },
    {
      name: "phoenix-guests-protected",
      description: "Production guests are protected: destroy or a replacement stops before any guest is deleted.",
      enforcementLevel: "mandatory",
      validateResource: inProduction((args, report) => {
        // A template is not a guest: phoenix replaces it (delete first) when its image or settings change.
        if (!GUESTS.includes(args.type) || args.opts.protect === true || args.props["template"] === true) return;
        report(`Guest ${args.name} is not protected: set protection: true on it (phoenix:vms or phoenix:lxcs).`);
      }),
    },
  ];
}
