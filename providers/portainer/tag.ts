/**
 * `PortainerTag`: a tag. Portainer cannot rename tags, so a new name replaces it (deleting first: names
 * are unique). Token: `pulumi-nodejs:dynamic/portainer:Tag`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { tagsApi } from "./api/tags";
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
import { isConflict } from "./errors";
import { runtimeProvider } from "./runtime";

export interface PortainerTagInputs {
  readonly connection: ConnectionInputs;
  readonly name: string;
  readonly adopt: boolean;
}

export interface PortainerTagOutputs extends PortainerTagInputs {
  readonly tagId: number;
}

export interface PortainerTagArgs {
  readonly connection: pulumi.Input<ConnectionArgs>;
  readonly name: pulumi.Input<string>;
  /** Defaults to true: a tag with the same name is taken over. */
  readonly adopt?: pulumi.Input<boolean>;
}

function api(c: ConnectionInputs) {
  return tagsApi(connect(c, { apiKey: c.apiKey }));
}

const provider = hostable<PortainerTagInputs, PortainerTagOutputs>({
  async check(_olds, news) {
    const schema = z.object({
      connection: connectionSchema(),
      name: z.string().min(1, "must not be empty"),
      adopt: z.boolean().default(true),
    });
    return checkWith(
      schema,
      news as unknown as Record<string, unknown>,
    ) as pulumi.dynamic.CheckResult<PortainerTagInputs>;
  },

  async diff(_id, olds, news) {
    return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
      update: ["connection"],
      replace: ["name"],
      deleteBeforeReplace: true,
    });
  },

  async create(inputs) {
    const t = api(inputs.connection);
    const adoptExisting = async () => {
      const existing = (await t.listTags()).find((x) => x.Name === inputs.name);
      if (!existing) return undefined;
      if (!inputs.adopt)
        throw new Error(
          `Portainer tag ${existing.Name} (id ${existing.ID}) already exists; set ` +
            `adopt: true to manage it, or delete it first`,
        );
      await note(`Adopting the existing Portainer tag ${existing.Name} (id ${existing.ID})`);
      return { id: String(existing.ID), outs: { ...inputs, tagId: existing.ID } };
    };
    const adopted = await adoptExisting();
    if (adopted) return adopted;
    try {
      const tag = await t.createTag(inputs.name);
      return { id: String(tag.ID), outs: { ...inputs, tagId: tag.ID } };
    } catch (e) {
      // Created meanwhile by someone else: take it over like any existing tag.
      const raced = isConflict(e) ? await adoptExisting() : undefined;
      if (raced) return raced;
      throw e;
    }
  },

  async read(id, state) {
    const props = stateOf(state, `Portainer tag ${id}`);
    const live = (await api(props.connection).listTags()).find((x) => x.ID === Number(id));
    if (!live) return {};
    const inputs: PortainerTagInputs = { connection: props.connection, adopt: props.adopt, name: live.Name };
    return readResult(id, { ...inputs, tagId: live.ID }, inputs);
  },

  async update(id, _olds, news) {
    return { outs: { ...news, tagId: Number(id) } };
  },

  async delete(id, props) {
    await deleteOrGone(`Portainer tag ${props.name} (id ${id})`, () => api(props.connection).deleteTag(Number(id)));
  },
});

export const tagProvider = provider;
const loader = runtimeProvider<PortainerTagInputs, PortainerTagOutputs>("Tag");

/** A Portainer tag. */
export class PortainerTag extends pulumi.dynamic.Resource {
  declare readonly tagId: pulumi.Output<number>;

  constructor(name: string, args: PortainerTagArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      loader,
      name,
      { ...args, connection: pulumi.secret(args.connection), tagId: undefined },
      opts,
      "portainer",
      "Tag",
    );
  }
}
