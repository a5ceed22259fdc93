/**
 * `PortainerStack`: a Docker Compose stack (standalone or swarm) deployed from a string through
 * Portainer, with its environment variables and desired running state. `read` fetches the stack and
 * its live compose file, so drift in content, env and running state shows on refresh.
 * Token: `pulumi-nodejs:dynamic/portainer:Stack`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { normalizeStackName, stacksApi } from "./api/stacks";
import { checkWith, connect, connectionSchema, diffWith, note, readResult, stateOf, type ConnectionArgs, type ConnectionInputs, hostable, deleteOrGone } from "./dynamic";
import { isNotFound } from "./errors";

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/** The resolved inputs the provider receives. */
export interface PortainerStackInputs {
  readonly connection: ConnectionInputs;
  /** The Portainer environment (endpoint) id. */
  readonly endpointId: number;
  /** The stack name; Portainer normalises it (lower-case, `[-_a-z0-9]`). */
  readonly name: string;
  readonly type: "standalone" | "swarm";
  /** The compose file. */
  readonly composeContent: string;
  readonly env: readonly EnvVar[];
  /** Started (true) or stopped (false). */
  readonly running: boolean;
  /** Re-pull images when the stack is updated. */
  readonly pullImage: boolean;
  /** Remove services no longer in the file when a swarm stack is updated. */
  readonly prune: boolean;
  /** Take over a stack with the same name on the environment instead of failing. */
  readonly adopt: boolean;
}

export interface PortainerStackOutputs extends PortainerStackInputs {
  readonly stackId: number;
  /** The swarm id of a swarm stack; "" for a standalone one. */
  readonly swarmId: string;
}

/** Public arguments. */
export interface PortainerStackArgs {
  /** How to reach Portainer; stored as a secret. */
  readonly connection: pulumi.Input<ConnectionArgs>;
  readonly endpointId: pulumi.Input<number>;
  readonly name: pulumi.Input<string>;
  /** Defaults to `standalone`. */
  readonly type?: pulumi.Input<"standalone" | "swarm">;
  readonly composeContent: pulumi.Input<string>;
  /** Defaults to none. Secret values stay secret: the whole list is then stored as a secret. */
  readonly env?: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; value: pulumi.Input<string> }>[]>;
  /** Defaults to true. */
  readonly running?: pulumi.Input<boolean>;
  /** Defaults to false. */
  readonly pullImage?: pulumi.Input<boolean>;
  /** Defaults to false. */
  readonly prune?: pulumi.Input<boolean>;
  /** Defaults to true, as the phoenix scripts were idempotent. */
  readonly adopt?: pulumi.Input<boolean>;
}

/** Compose content as compared: CRLF as LF, no trailing whitespace on lines, no final newlines. */
export function normalizeCompose(v: unknown): unknown {
  return typeof v === "string" ? v.replace(/\r\n/g, "\n").split("\n").map((l) => l.replace(/\s+$/, "")).join("\n").replace(/\n+$/, "") : v;
}

/** Env as compared: order does not matter. */
export function normalizeEnv(v: unknown): unknown {
  return Array.isArray(v) ? [...(v as EnvVar[])].map((e) => ({ name: e.name, value: e.value })).sort((a, b) => a.name.localeCompare(b.name) || a.value.localeCompare(b.value)) : v;
}

function inputsSchema() {
  return z.object({
    connection: connectionSchema(),
    endpointId: z.number().int().positive(),
    name: z.string().refine((n) => normalizeStackName(n) !== "", { message: "must contain a letter, digit, '-' or '_' (Portainer keeps only [-_a-z0-9])" }),
    type: z.enum(["standalone", "swarm"]).default("standalone"),
    composeContent: z.string().min(1, "must not be empty"),
    env: z.array(z.object({ name: z.string().min(1), value: z.string() })).default([]),
    running: z.boolean().default(true),
    pullImage: z.boolean().default(false),
    prune: z.boolean().default(false),
    adopt: z.boolean().default(true),
  });
}

function api(c: ConnectionInputs) {
  return stacksApi(connect(c, { apiKey: c.apiKey }));
}

/** Brings an existing stack to the desired content and running state. */
async function converge(s: ReturnType<typeof api>, id: number, inputs: PortainerStackInputs, redeploy: boolean): Promise<void> {
  let running: boolean;
  if (redeploy) {
    const updated = await s.updateStack(id, inputs.endpointId, { stackFileContent: inputs.composeContent, env: inputs.env, prune: inputs.prune, pullImage: inputs.pullImage });
    running = updated.Status === 1;
  } else {
    running = (await s.getStack(id)).Status === 1;
  }
  if (inputs.running && !running) await s.startStack(id, inputs.endpointId);
  if (!inputs.running && running) await s.stopStack(id, inputs.endpointId);
}

const provider = hostable<PortainerStackInputs, PortainerStackOutputs>({
  async check(_olds, news) {
    return checkWith(inputsSchema(), news as unknown as Record<string, unknown>) as pulumi.dynamic.CheckResult<PortainerStackInputs>;
  },

  async diff(_id, olds, news) {
    return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      update: ["composeContent", "env", "running", "connection"],
      replace: ["endpointId", "name", "type"],
      normalize: { composeContent: normalizeCompose, env: normalizeEnv, name: (v) => (typeof v === "string" ? normalizeStackName(v) : v) },
      // Same name on another environment or type: delete first, as Portainer may refuse the name (CONTRACT.md 6.2).
      deleteBeforeReplace: (o, n) => typeof o["name"] === "string" && typeof n["name"] === "string" && normalizeStackName(o["name"]) === normalizeStackName(n["name"]),
    });
  },

  async create(inputs) {
    const s = api(inputs.connection);
    const swarmId = inputs.type === "swarm" ? await s.swarmId(inputs.endpointId) : "";
    const existing = await s.findStack(inputs.name, { endpointId: inputs.endpointId, ...(swarmId ? { swarmId } : {}) });
    let id: number;
    if (existing) {
      if (!inputs.adopt) {
        throw new Error(`Portainer stack ${existing.Name} (id ${existing.Id}) already exists on environment ${inputs.endpointId}; set adopt: true to manage it, or delete it first`);
      }
      await note(`Adopting the existing Portainer stack ${existing.Name} (id ${existing.Id}) on environment ${inputs.endpointId} and bringing it to the desired state`);
      id = existing.Id;
      await converge(s, id, inputs, true);
    } else {
      const content = { stackFileContent: inputs.composeContent, env: inputs.env };
      const created = inputs.type === "swarm" ? await s.createSwarmStack(inputs.endpointId, swarmId, inputs.name, content) : await s.createStandaloneStack(inputs.endpointId, inputs.name, content);
      id = created.Id;
      if (!inputs.running) await s.stopStack(id, inputs.endpointId);
    }
    return { id: String(id), outs: { ...inputs, stackId: id, swarmId } };
  },

  async read(id, state) {
    const props = stateOf(state, `Portainer stack ${id}`);
    const s = api(props.connection);
    let stack;
    try {
      stack = await s.getStack(Number(id));
    } catch (e) {
      if (isNotFound(e)) return {};
      throw e;
    }
    const live: PortainerStackOutputs = {
      ...props,
      endpointId: stack.EndpointId,
      name: stack.Name,
      type: stack.Type === 1 ? "swarm" : "standalone",
      composeContent: await s.getStackFile(stack.Id),
      env: stack.Env,
      running: stack.Status === 1,
      stackId: stack.Id,
      swarmId: stack.SwarmId,
    };
    const inputs: PortainerStackInputs = {
      connection: props.connection, endpointId: live.endpointId, name: live.name, type: live.type, composeContent: live.composeContent, env: live.env, running: live.running,
      pullImage: props.pullImage, prune: props.prune, adopt: props.adopt,
    };
    return readResult(id, live, inputs);
  },

  async update(id, olds, news) {
    const s = api(news.connection);
    const redeploy = normalizeCompose(olds.composeContent) !== normalizeCompose(news.composeContent) || JSON.stringify(normalizeEnv(olds.env)) !== JSON.stringify(normalizeEnv(news.env));
    try {
      if (redeploy || olds.running !== news.running) await converge(s, Number(id), news, redeploy);
    } catch (e) {
      if (isNotFound(e)) throw new Error(`Portainer stack ${news.name} (id ${id}) no longer exists: it was deleted outside Pulumi; run pulumi refresh, then pulumi up to create it again`);
      throw e;
    }
    return { outs: { ...news, stackId: Number(id), swarmId: olds.swarmId } };
  },

  async delete(id, props) {
    await deleteOrGone(`Portainer stack ${props.name} (id ${id})`, () => api(props.connection).deleteStack(Number(id), props.endpointId));
  },
});

/** The provider object, exported for direct tests. */
export const stackProvider = provider;

/** A Docker Compose stack managed through Portainer. */
export class PortainerStack extends pulumi.dynamic.Resource {
  declare readonly stackId: pulumi.Output<number>;
  declare readonly swarmId: pulumi.Output<string>;
  declare readonly endpointId: pulumi.Output<number>;
  declare readonly composeContent: pulumi.Output<string>;
  declare readonly running: pulumi.Output<boolean>;

  constructor(name: string, args: PortainerStackArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, connection: pulumi.secret(args.connection), stackId: undefined, swarmId: undefined }, opts, "portainer", "Stack");
  }
}
