/**
 * `PortainerEndpointGroup`: an environment group. Names are not unique in Portainer; adoption takes the
 * first group with the name. Name, description and tags update in place (Portainer treats an empty
 * description as "unchanged", so a description cannot be cleared). Group 1 ("Unassigned") is never
 * deleted. Token: `pulumi-nodejs:dynamic/portainer:EndpointGroup`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { groupsApi } from "./api/groups";
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
import { runtimeProvider } from "./runtime";

export interface PortainerEndpointGroupInputs {
  readonly connection: ConnectionInputs;
  readonly name: string;
  readonly description: string;
  readonly tagIds: readonly number[];
  readonly adopt: boolean;
}

export interface PortainerEndpointGroupOutputs extends PortainerEndpointGroupInputs {
  readonly groupId: number;
}

export interface PortainerEndpointGroupArgs {
  readonly connection: pulumi.Input<ConnectionArgs>;
  readonly name: pulumi.Input<string>;
  /** Defaults to "". */
  readonly description?: pulumi.Input<string>;
  /** Defaults to none. */
  readonly tagIds?: pulumi.Input<pulumi.Input<number>[]>;
  /** Defaults to true: the first group with the same name is taken over. */
  readonly adopt?: pulumi.Input<boolean>;
}

function api(c: ConnectionInputs) {
  return groupsApi(connect(c, { apiKey: c.apiKey }));
}

const provider = hostable<PortainerEndpointGroupInputs, PortainerEndpointGroupOutputs>({
  async check(_olds, news) {
    const schema = z.object({
      connection: connectionSchema(),
      name: z.string().min(1, "must not be empty"),
      description: z.string().default(""),
      tagIds: z.array(z.number().int().positive()).default([]),
      adopt: z.boolean().default(true),
    });
    return checkWith(
      schema,
      news as unknown as Record<string, unknown>,
    ) as pulumi.dynamic.CheckResult<PortainerEndpointGroupInputs>;
  },

  async diff(_id, olds, news) {
    return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      update: ["name", "description", "tagIds", "connection"],
      replace: [],
      normalize: { tagIds: (v) => (Array.isArray(v) ? [...v].sort() : v) },
    });
  },

  async create(inputs) {
    const g = api(inputs.connection);
    const existing = (await g.listGroups()).find((x) => x.Name === inputs.name);
    if (existing) {
      if (!inputs.adopt)
        throw new Error(
          `Portainer environment group ${existing.Name} (id ${existing.Id}) already ` +
            `exists; set adopt: true to manage it, or delete it first`,
        );
      await note(
        `Adopting the existing Portainer environment group ${existing.Name} (id ` +
          `${existing.Id}) and bringing it to the desired state`,
      );
      await g.updateGroup(existing.Id, { name: inputs.name, description: inputs.description, tagIds: inputs.tagIds });
      return { id: String(existing.Id), outs: { ...inputs, groupId: existing.Id } };
    }
    const created = await g.createGroup(inputs.name, inputs.description, inputs.tagIds);
    return { id: String(created.Id), outs: { ...inputs, groupId: created.Id } };
  },

  async read(id, state) {
    const props = stateOf(state, `Portainer environment group ${id}`);
    try {
      const live = await api(props.connection).getGroup(Number(id));
      const inputs: PortainerEndpointGroupInputs = {
        connection: props.connection,
        adopt: props.adopt,
        name: live.Name,
        description: live.Description,
        tagIds: live.TagIds,
      };
      return readResult(id, { ...inputs, groupId: live.Id }, inputs);
    } catch (e) {
      if (isNotFound(e)) return {};
      throw e;
    }
  },

  async update(id, _olds, news) {
    await api(news.connection).updateGroup(Number(id), {
      name: news.name,
      description: news.description,
      tagIds: news.tagIds,
    });
    return { outs: { ...news, groupId: Number(id) } };
  },

  async delete(id, props) {
    if (Number(id) === 1) {
      await note("Portainer's default group 1 (Unassigned) cannot be deleted; left in place");
      return;
    }
    await deleteOrGone(`Portainer environment group ${props.name} (id ${id})`, () =>
      api(props.connection).deleteGroup(Number(id)),
    );
  },
});

export const endpointGroupProvider = provider;
const loader = runtimeProvider<PortainerEndpointGroupInputs, PortainerEndpointGroupOutputs>("EndpointGroup");

/** A Portainer environment group. */
export class PortainerEndpointGroup extends pulumi.dynamic.Resource {
  declare readonly groupId: pulumi.Output<number>;

  constructor(name: string, args: PortainerEndpointGroupArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      loader,
      name,
      { ...args, connection: pulumi.secret(args.connection), groupId: undefined },
      opts,
      "portainer",
      "EndpointGroup",
    );
  }
}
