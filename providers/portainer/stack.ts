/**
 * `PortainerStack`: a Docker Compose stack (standalone or swarm) deployed from a string through
 * Portainer, with its environment variables and desired running state. `read` fetches the stack and
 * its live compose file, so drift in content, env and running state shows on refresh. A stack whose
 * environment was deleted outside Pulumi is orphaned (Portainer keeps it, and its containers keep running
 * on the host): `read` reports it, and the next update associates it with the environment the program
 * now gives and redeploys it there; `create` adopts an orphan of the same name in the same way.
 * Token: `pulumi-nodejs:dynamic/portainer:Stack`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { normalizeStackName, stacksApi } from "./api/stacks";
import {
  checkWith,
  connect,
  connectionSchema,
  diffWith,
  note,
  readResult,
  stateOf,
  type ConnectionArgs,
  type ConnectionInputs,
  hostable,
} from "./dynamic";
import { isNotFound } from "./errors";
import type { Stack } from "./wire";
import { runtimeProvider } from "./runtime";

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
  /**
   * The names of the env entries whose values are Pulumi secrets, as the program found them. Never sent to
   * Portainer: a record for the policy pack, which sees values unwrapped (policy/policies.ts).
   */
  readonly secretNames?: readonly string[];
}

export interface PortainerStackOutputs extends PortainerStackInputs {
  readonly stackId: number;
  /** The swarm id of a swarm stack; "" for a standalone one. */
  readonly swarmId: string;
  /** Its environment no longer exists (deleted outside Pulumi); the next update re-associates it. */
  readonly orphaned?: boolean;
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
  /** The env names whose values are secrets (the program computes it with `pulumi.isSecret`). */
  readonly secretNames?: pulumi.Input<pulumi.Input<string>[]>;
}

/** Compose content as compared: CRLF as LF, no trailing whitespace on lines, no final newlines. */
export function normalizeCompose(v: unknown): unknown {
  return typeof v === "string"
    ? v
        .replace(/\r\n/g, "\n")
        .split("\n")
        .map((l) => l.replace(/\s+$/, ""))
        .join("\n")
        .replace(/\n+$/, "")
    : v;
}

/** Env as compared: order does not matter. */
export function normalizeEnv(v: unknown): unknown {
  return Array.isArray(v)
    ? [...(v as EnvVar[])]
        .map((e) => ({ name: e.name, value: e.value }))
        .sort((a, b) => a.name.localeCompare(b.name) || a.value.localeCompare(b.value))
    : v;
}

function inputsSchema() {
  return z.object({
    connection: connectionSchema(),
    endpointId: z.number().int().positive(),
    name: z.string().refine((n) => normalizeStackName(n) !== "", {
      message: "must contain a letter, digit, '-' or '_' (Portainer keeps only [-_a-z0-9])",
    }),
    type: z.enum(["standalone", "swarm"]).default("standalone"),
    composeContent: z.string().min(1, "must not be empty"),
    env: z.array(z.object({ name: z.string().min(1), value: z.string() })).default([]),
    running: z.boolean().default(true),
    pullImage: z.boolean().default(false),
    prune: z.boolean().default(false),
    adopt: z.boolean().default(true),
    secretNames: z.array(z.string()).optional(),
  });
}

function api(c: ConnectionInputs) {
  return stacksApi(connect(c, { apiKey: c.apiKey }));
}

/**
 * The orphaned stack to adopt onto `endpointId`, among stacks of the same name on other environments: the
 * one whose environment no longer exists. Several such orphans cannot be told apart: that fails, naming them.
 */
async function findOrphan(
  s: ReturnType<typeof api>,
  elsewhere: readonly Stack[],
  endpointId: number,
): Promise<Stack | undefined> {
  const orphans: Stack[] = [];
  for (const x of elsewhere) if (!(await s.environmentExists(x.EndpointId))) orphans.push(x);
  if (orphans.length > 1) {
    const ids = orphans.map((x) => x.Id).join(", ");
    throw new Error(
      `Portainer has ${orphans.length} orphaned stacks named ` +
        `${orphans[0]!.Name} (ids ${ids}), left by deleted environments; ` +
        (`phoenix cannot tell which one ran on environment ${endpointId}: delete ` +
          `all but that one in Portainer, then run pulumi up again`),
    );
  }
  return orphans[0];
}

/** The live compose file, env and running state of a stack, over the stored ones. */
async function liveContent(
  s: ReturnType<typeof api>,
  id: number,
  stored: PortainerStackOutputs,
): Promise<PortainerStackOutputs> {
  const live = await s.getStack(id);
  return { ...stored, composeContent: await s.getStackFile(id), env: live.Env, running: live.Status === 1 };
}

/** Brings an existing stack to the desired content and running state. */
async function converge(
  s: ReturnType<typeof api>,
  id: number,
  inputs: PortainerStackInputs,
  redeploy: boolean,
): Promise<void> {
  let running: boolean;
  if (redeploy) {
    const updated = await s.updateStack(id, inputs.endpointId, {
      stackFileContent: inputs.composeContent,
      env: inputs.env,
      prune: inputs.prune,
      pullImage: inputs.pullImage,
    });
    running = updated.Status === 1;
  } else {
    running = (await s.getStack(id)).Status === 1;
  }
  if (inputs.running && !running) await s.startStack(id, inputs.endpointId);
  if (!inputs.running && running) await s.stopStack(id, inputs.endpointId);
}

const provider = hostable<PortainerStackInputs, PortainerStackOutputs>({
  async check(_olds, news) {
    return checkWith(
      inputsSchema(),
      news as unknown as Record<string, unknown>,
    ) as pulumi.dynamic.CheckResult<PortainerStackInputs>;
  },

  async diff(_id, olds, news) {
    const orphaned = olds.orphaned === true;
    const d = diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      // An orphan moves to its new environment in place (associate); otherwise a new environment replaces.
      update: ["composeContent", "env", "running", "connection", ...(orphaned ? ["endpointId"] : [])],
      replace: [...(orphaned ? [] : ["endpointId"]), "name", "type"],
      normalize: {
        composeContent: normalizeCompose,
        env: normalizeEnv,
        name: (v) => (typeof v === "string" ? normalizeStackName(v) : v),
      },
      // Same name on another environment or type: delete first, as Portainer may refuse the name (CONTRACT.md 6.2).
      deleteBeforeReplace: (o, n) =>
        typeof o["name"] === "string" &&
        typeof n["name"] === "string" &&
        normalizeStackName(o["name"]) === normalizeStackName(n["name"]),
    });
    return orphaned && !d.changes ? { ...d, changes: true } : d;
  },

  async create(inputs) {
    const s = api(inputs.connection);
    const swarmId = inputs.type === "swarm" ? await s.swarmId(inputs.endpointId) : "";
    // One list: this environment's stacks and, to adopt, the orphans deleted environments left (C6.4).
    const wanted = normalizeStackName(inputs.name);
    const filters = {
      endpointId: inputs.endpointId,
      ...(swarmId ? { swarmId } : {}),
      ...(inputs.adopt ? { includeOrphaned: true } : {}),
    };
    const named = (await s.listStacks(filters)).filter((x) => normalizeStackName(x.Name) === wanted);
    const existing = named.find((x) => x.EndpointId === inputs.endpointId);
    let id: number;
    if (existing) {
      if (!inputs.adopt) {
        throw new Error(
          `Portainer stack ${existing.Name} (id ${existing.Id}) already exists on ` +
            `environment ${inputs.endpointId}; set adopt: true to manage it, or ` +
            `delete it first`,
        );
      }
      await note(
        `Adopting the existing Portainer stack ${existing.Name} (id ` +
          `${existing.Id}) on environment ${inputs.endpointId} and bringing it to ` +
          `the desired state`,
      );
      id = existing.Id;
      await converge(s, id, inputs, true);
    } else {
      const orphan = await findOrphan(
        s,
        named.filter((x) => x.EndpointId !== inputs.endpointId),
        inputs.endpointId,
      );
      if (orphan) {
        await note(
          `Adopting the orphaned Portainer stack ${orphan.Name} (id ${orphan.Id}), left by the deleted environment ` +
            `${orphan.EndpointId}, onto environment ${inputs.endpointId}`,
        );
        id = orphan.Id;
        await s.associateStack(id, inputs.endpointId, swarmId, inputs.running);
        await converge(s, id, inputs, true);
      } else {
        const content = { stackFileContent: inputs.composeContent, env: inputs.env };
        const created =
          inputs.type === "swarm"
            ? await s.createSwarmStack(inputs.endpointId, swarmId, inputs.name, content)
            : await s.createStandaloneStack(inputs.endpointId, inputs.name, content);
        id = created.Id;
        if (!inputs.running) await s.stopStack(id, inputs.endpointId);
      }
    }
    return { id: String(id), outs: { ...inputs, stackId: id, swarmId, orphaned: false } };
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
    const orphaned = !(await s.environmentExists(stack.EndpointId));
    const live: PortainerStackOutputs = {
      ...props,
      orphaned,
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
      connection: props.connection,
      endpointId: live.endpointId,
      name: live.name,
      type: live.type,
      composeContent: live.composeContent,
      env: live.env,
      running: live.running,
      pullImage: props.pullImage,
      prune: props.prune,
      adopt: props.adopt,
      ...(props.secretNames !== undefined ? { secretNames: props.secretNames } : {}),
    };
    // Shown as drift: the program does not set it, so the next diff lists it.
    return readResult(id, live, orphaned ? { ...inputs, orphaned } : inputs);
  },

  async update(id, olds, news) {
    const s = api(news.connection);
    const moved = olds.orphaned === true;
    try {
      // A new key (the old one was revoked) means the state was refreshed with a key Portainer refused,
      // so it may be stale: compare with the live stack instead.
      const base =
        !moved && olds.connection.apiKey !== news.connection.apiKey ? await liveContent(s, Number(id), olds) : olds;
      const redeploy =
        moved ||
        normalizeCompose(base.composeContent) !== normalizeCompose(news.composeContent) ||
        JSON.stringify(normalizeEnv(base.env)) !== JSON.stringify(normalizeEnv(news.env));
      if (moved) {
        await note(
          `Associating the orphaned Portainer stack ${news.name} (id ${id}), left by the deleted environment ` +
            `${olds.endpointId}, with environment ${news.endpointId}`,
        );
        await s.associateStack(Number(id), news.endpointId, olds.swarmId, news.running);
      }
      if (redeploy || base.running !== news.running) await converge(s, Number(id), news, redeploy);
    } catch (e) {
      if (isNotFound(e))
        throw new Error(
          `Portainer stack ${news.name} (id ${id}) no longer exists: it was deleted ` +
            `outside Pulumi; run pulumi refresh, then pulumi up to create it again`,
        );
      throw e;
    }
    return { outs: { ...news, stackId: Number(id), swarmId: olds.swarmId, orphaned: false } };
  },

  async delete(id, props) {
    const s = api(props.connection);
    try {
      await s.deleteStack(Number(id), props.endpointId);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // 404: the stack is gone, or its environment is (an orphan Portainer deletes only through an
      // existing environment, where it would also run `docker compose down`).
      let still: boolean;
      try {
        await s.getStack(Number(id));
        still = true;
      } catch (g) {
        if (!isNotFound(g)) throw g;
        still = false;
      }
      if (!still) return note(`Portainer stack ${props.name} (id ${id}) was already gone`);
      await pulumi.log.warn(
        `Portainer stack ${props.name} (id ${id}) is orphaned: its environment ${props.endpointId} was deleted ` +
          `outside Pulumi, and Portainer deletes a stack only through an existing environment. It is no longer ` +
          `managed by Pulumi; delete it in Portainer (Stacks, orphaned) if it should go`,
      );
    }
  },
});

/** The provider object, exported for direct tests. */
export const stackProvider = provider;
const loader = runtimeProvider<PortainerStackInputs, PortainerStackOutputs>("Stack");

/** A Docker Compose stack managed through Portainer. */
export class PortainerStack extends pulumi.dynamic.Resource {
  declare readonly stackId: pulumi.Output<number>;
  declare readonly swarmId: pulumi.Output<string>;
  declare readonly endpointId: pulumi.Output<number>;
  declare readonly composeContent: pulumi.Output<string>;
  declare readonly running: pulumi.Output<boolean>;

  constructor(name: string, args: PortainerStackArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = { stackId: undefined, swarmId: undefined, orphaned: undefined };
    super(
      loader,
      name,
      { ...args, connection: pulumi.secret(args.connection), ...outputs },
      opts,
      "portainer",
      "Stack",
    );
  }
}
