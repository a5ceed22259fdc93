/**
 * `PortainerEnvironment`: a Portainer environment (endpoint): a Portainer agent (`tcp://<ip>:<port>`,
 * registered with the TLS flags Portainer's UI sends), a Docker API, or the local Docker socket.
 * Name, URL, public URL, group and tags update in place; the kind replaces it.
 * Token: `pulumi-nodejs:dynamic/portainer:Environment`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { environmentsApi } from "./api/environments";
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
  deleteOrGone,
} from "./dynamic";
import { isNotFound } from "./errors";
import type { Environment } from "./wire";
import { runtimeProvider } from "./runtime";

export type EnvironmentKind = "agent" | "docker" | "local";

export interface PortainerEnvironmentInputs {
  readonly connection: ConnectionInputs;
  /** Unique across the Portainer instance. */
  readonly name: string;
  readonly kind: EnvironmentKind;
  /** `tcp://<ip>:<port>` for an agent or a Docker API; the socket for `local`. */
  readonly url: string;
  readonly publicUrl: string;
  readonly groupId: number;
  readonly tagIds: readonly number[];
  readonly adopt: boolean;
}

export interface PortainerEnvironmentOutputs extends PortainerEnvironmentInputs {
  readonly environmentId: number;
  /** Portainer's environment type (2 agent on Docker, 1 Docker, ...). */
  readonly type: number;
}

export interface PortainerEnvironmentArgs {
  readonly connection: pulumi.Input<ConnectionArgs>;
  readonly name: pulumi.Input<string>;
  readonly kind: pulumi.Input<EnvironmentKind>;
  /** Required for `agent` and `docker`; defaults to `unix:///var/run/docker.sock` for `local`. */
  readonly url?: pulumi.Input<string>;
  /** The host used for published-port links. Defaults to none. */
  readonly publicUrl?: pulumi.Input<string>;
  /** Defaults to 1 (Portainer's "Unassigned" group). */
  readonly groupId?: pulumi.Input<number>;
  /** Defaults to none. */
  readonly tagIds?: pulumi.Input<pulumi.Input<number>[]>;
  /** Defaults to true: an environment with the same name is taken over and brought to this state. */
  readonly adopt?: pulumi.Input<boolean>;
}

export const LOCAL_SOCKET = "unix:///var/run/docker.sock";

/** The kind of a live environment; Edge types 4 and 7 both read as not-ours. */
export function kindOf(e: Pick<Environment, "Type" | "URL">): EnvironmentKind | "other" {
  if (e.Type === 2 || e.Type === 6) return "agent";
  if (e.Type === 1) return e.URL.startsWith("unix://") || e.URL.startsWith("npipe://") ? "local" : "docker";
  return "other";
}

function inputsSchema() {
  return z
    .object({
      connection: connectionSchema(),
      name: z.string().min(1, "must not be empty"),
      kind: z.enum(["agent", "docker", "local"]),
      url: z.string().optional(),
      publicUrl: z.string().default(""),
      groupId: z.number().int().positive().default(1),
      tagIds: z.array(z.number().int().positive()).default([]),
      adopt: z.boolean().default(true),
    })
    .transform((v, ctx) => {
      const url = v.url ?? (v.kind === "local" ? LOCAL_SOCKET : "");
      if (v.kind !== "local" && !/^tcp:\/\/[^/\s]+:\d+$/.test(url)) {
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message: `must be tcp://<host>:<port> for a ${v.kind} environment (Portainer needs the tcp:// scheme)`,
        });
      }
      return { ...v, url };
    });
}

/** TLS flags as Portainer's UI sends them: agents use TLS with a self-signed certificate (CONTRACT.md 10.4). */
function tlsFor(kind: EnvironmentKind) {
  return kind === "agent" ? { tls: true, tlsSkipVerify: true, tlsSkipClientVerify: true } : { tls: false };
}

function api(c: ConnectionInputs) {
  return environmentsApi(connect(c, { apiKey: c.apiKey }));
}

function liveFields(e: Environment) {
  return { name: e.Name, url: e.URL, publicUrl: e.PublicURL, groupId: e.GroupId, tagIds: e.TagIds };
}

function outputs(inputs: PortainerEnvironmentInputs, e: Environment): PortainerEnvironmentOutputs {
  return { ...inputs, environmentId: e.Id, type: e.Type };
}

const provider = hostable<PortainerEnvironmentInputs, PortainerEnvironmentOutputs>({
  async check(_olds, news) {
    return checkWith(
      inputsSchema(),
      news as unknown as Record<string, unknown>,
    ) as pulumi.dynamic.CheckResult<PortainerEnvironmentInputs>;
  },

  async diff(_id, olds, news) {
    return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      update: ["name", "url", "publicUrl", "groupId", "tagIds", "connection"],
      replace: ["kind"],
      normalize: { tagIds: (v) => (Array.isArray(v) ? [...v].sort() : v) },
      deleteBeforeReplace: true,
    });
  },

  async create(inputs) {
    const e = api(inputs.connection);
    const desired = {
      url: inputs.url,
      publicUrl: inputs.publicUrl,
      groupId: inputs.groupId,
      tagIds: inputs.tagIds,
      ...tlsFor(inputs.kind),
    };
    const existing = await e.findEnvironment(inputs.name);
    if (existing) {
      if (!inputs.adopt)
        throw new Error(
          `Portainer environment ${existing.Name} (id ${existing.Id}, ` +
            `${existing.URL}) already exists; set adopt: true to manage it, or delete ` +
            `it first`,
        );
      const kind = kindOf(existing);
      if (kind !== inputs.kind)
        throw new Error(
          `Portainer environment ${existing.Name} (id ${existing.Id}) already ` +
            `exists as a ${kind} environment, not ${inputs.kind}; rename one of them`,
        );
      await note(
        `Adopting the existing Portainer environment ${existing.Name} (id ` +
          `${existing.Id}) and bringing it to the desired state`,
      );
      return { id: String(existing.Id), outs: outputs(inputs, await e.updateEnvironment(existing.Id, desired)) };
    }
    const created = await e.createEnvironment({
      name: inputs.name,
      creationType: inputs.kind === "agent" ? 2 : 1,
      ...desired,
    });
    return { id: String(created.Id), outs: outputs(inputs, created) };
  },

  async read(id, state) {
    const props = stateOf(state, `Portainer environment ${id}`);
    let live: Environment;
    try {
      live = await api(props.connection).getEnvironment(Number(id));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const kind = kindOf(live);
    const inputs: PortainerEnvironmentInputs = {
      connection: props.connection,
      adopt: props.adopt,
      name: live.Name,
      kind: kind === "other" ? props.kind : kind,
      url: live.URL,
      publicUrl: live.PublicURL,
      groupId: live.GroupId,
      tagIds: live.TagIds,
    };
    return readResult(id, { ...inputs, environmentId: live.Id, type: live.Type }, inputs);
  },

  async update(id, olds, news) {
    try {
      // A new key (the old one was revoked) means the state was refreshed with a key Portainer refused,
      // so it may be stale: compare with the live environment instead.
      const base: Pick<PortainerEnvironmentInputs, "name" | "url" | "publicUrl" | "groupId" | "tagIds"> =
        olds.connection.apiKey !== news.connection.apiKey
          ? liveFields(await api(news.connection).getEnvironment(Number(id)))
          : olds;
      const changed = (["name", "url", "publicUrl", "groupId", "tagIds"] as const).some(
        (k) => JSON.stringify(base[k]) !== JSON.stringify(news[k]),
      );
      const live = changed
        ? await api(news.connection).updateEnvironment(Number(id), {
            name: news.name,
            url: news.url,
            publicUrl: news.publicUrl,
            groupId: news.groupId,
            tagIds: news.tagIds,
            ...tlsFor(news.kind),
          })
        : await api(news.connection).getEnvironment(Number(id));
      return { outs: outputs(news, live) };
    } catch (e) {
      if (isNotFound(e))
        throw new Error(
          `Portainer environment ${news.name} (id ${id}) no longer exists: it was ` +
            `deleted outside Pulumi; run pulumi refresh, then pulumi up to register ` +
            `it again`,
        );
      throw e;
    }
  },

  async delete(id, props) {
    await deleteOrGone(`Portainer environment ${props.name} (id ${id})`, () =>
      api(props.connection).deleteEnvironment(Number(id)),
    );
  },
});

export const environmentProvider = provider;
const loader = runtimeProvider<PortainerEnvironmentInputs, PortainerEnvironmentOutputs>("Environment");

/** A Portainer environment. */
export class PortainerEnvironment extends pulumi.dynamic.Resource {
  declare readonly environmentId: pulumi.Output<number>;
  declare readonly type: pulumi.Output<number>;
  declare readonly url: pulumi.Output<string>;

  constructor(name: string, args: PortainerEnvironmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      loader,
      name,
      { ...args, connection: pulumi.secret(args.connection), environmentId: undefined, type: undefined },
      opts,
      "portainer",
      "Environment",
    );
  }
}
