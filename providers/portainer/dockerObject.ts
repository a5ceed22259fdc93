/**
 * `PortainerDockerConfig` and `PortainerDockerSecret`: swarm configs and secrets created through
 * Portainer's Docker proxy. Docker never changes them, so any change replaces them (deleting first
 * when the name stays, as names are unique). A config's content is read back for drift; a secret's
 * cannot be (Docker does not return it). Tokens: `pulumi-nodejs:dynamic/portainer:DockerConfig`,
 * `pulumi-nodejs:dynamic/portainer:DockerSecret`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { dockerApi, type DockerObjectKind } from "./api/docker";
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

export interface PortainerDockerObjectInputs {
  readonly connection: ConnectionInputs;
  /** A swarm environment's id. */
  readonly endpointId: number;
  readonly name: string;
  /** The plain content. */
  readonly data: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly adopt: boolean;
}

export interface PortainerDockerObjectOutputs extends PortainerDockerObjectInputs {
  /** Docker's id of the object. */
  readonly dockerId: string;
}

export interface PortainerDockerObjectArgs {
  readonly connection: pulumi.Input<ConnectionArgs>;
  readonly endpointId: pulumi.Input<number>;
  readonly name: pulumi.Input<string>;
  readonly data: pulumi.Input<string>;
  /** Defaults to none. */
  readonly labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Defaults to true: an object with the same name and (for configs) the same content is taken over. */
  readonly adopt?: pulumi.Input<boolean>;
}

function makeProvider(
  kind: DockerObjectKind,
): pulumi.dynamic.ResourceProvider<PortainerDockerObjectInputs, PortainerDockerObjectOutputs> {
  const what = kind === "configs" ? "Docker config" : "Docker secret";
  const api = (c: ConnectionInputs) => dockerApi(connect(c, { apiKey: c.apiKey }));
  return hostable<PortainerDockerObjectInputs, PortainerDockerObjectOutputs>({
    async check(_olds, news) {
      const schema = z.object({
        connection: connectionSchema(),
        endpointId: z.number().int().positive(),
        name: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a Docker object name (letters, digits, '_', '.', '-')"),
        data: z.string(),
        labels: z.record(z.string(), z.string()).default({}),
        adopt: z.boolean().default(true),
      });
      return checkWith(
        schema,
        news as unknown as Record<string, unknown>,
      ) as pulumi.dynamic.CheckResult<PortainerDockerObjectInputs>;
    },

    async diff(_id, olds, news) {
      return diffWith(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, {
        update: ["connection"],
        replace: ["endpointId", "name", "data", "labels"],
        deleteBeforeReplace: (o, n) => o["name"] === n["name"],
      });
    },

    async create(inputs) {
      const d = api(inputs.connection);
      const existing = (await d.list(kind, inputs.endpointId)).find((x) => x.Spec.Name === inputs.name);
      if (existing) {
        const sameContent =
          kind === "configs" &&
          existing.Spec.Data !== undefined &&
          Buffer.from(existing.Spec.Data, "base64").toString("utf8") === inputs.data;
        if (!inputs.adopt || !sameContent) {
          const why =
            kind === "secrets"
              ? "Docker does not return a secret's content, so phoenix cannot tell whether it matches"
              : !inputs.adopt
                ? "adopt is false"
                : "it holds other content, and configs cannot change";
          throw new Error(
            `A ${what} named ${inputs.name} (id ${existing.ID}) already exists on ` +
              `environment ${inputs.endpointId} and ${why}; delete it or choose another ` +
              `name`,
          );
        }
        await note(`Adopting the existing ${what} ${inputs.name} (id ${existing.ID})`);
        return { id: existing.ID, outs: { ...inputs, dockerId: existing.ID } };
      }
      const id = await d.create(kind, inputs.endpointId, inputs.name, inputs.data, inputs.labels);
      return { id, outs: { ...inputs, dockerId: id } };
    },

    async read(id, state) {
      const props = stateOf(state, `${what} ${id}`);
      try {
        const live = await api(props.connection).get(kind, props.endpointId, id);
        const data =
          kind === "configs" && live.Spec.Data !== undefined
            ? Buffer.from(live.Spec.Data, "base64").toString("utf8")
            : props.data;
        const inputs: PortainerDockerObjectInputs = {
          connection: props.connection,
          endpointId: props.endpointId,
          adopt: props.adopt,
          name: live.Spec.Name,
          labels: live.Spec.Labels,
          data,
        };
        return readResult(id, { ...inputs, dockerId: live.ID }, inputs);
      } catch (e) {
        if (isNotFound(e)) return {};
        throw e;
      }
    },

    async update(id, _olds, news) {
      return { outs: { ...news, dockerId: id } };
    },

    async delete(id, props) {
      await deleteOrGone(`${what} ${props.name} (id ${id})`, () =>
        api(props.connection).remove(kind, props.endpointId, id),
      );
    },
  });
}

const configProvider = makeProvider("configs");
const secretProvider = makeProvider("secrets");

export const dockerConfigProvider = configProvider;
export const dockerSecretProvider = secretProvider;
const configLoader = runtimeProvider<PortainerDockerObjectInputs, PortainerDockerObjectOutputs>("DockerConfig");
const secretLoader = runtimeProvider<PortainerDockerObjectInputs, PortainerDockerObjectOutputs>("DockerSecret");

/** A swarm config created through Portainer. */
export class PortainerDockerConfig extends pulumi.dynamic.Resource {
  declare readonly dockerId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: PortainerDockerObjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      configLoader,
      name,
      { ...args, connection: pulumi.secret(args.connection), dockerId: undefined },
      opts,
      "portainer",
      "DockerConfig",
    );
  }
}

/** A swarm secret created through Portainer; its content is stored as a Pulumi secret. */
export class PortainerDockerSecret extends pulumi.dynamic.Resource {
  declare readonly dockerId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: PortainerDockerObjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      secretLoader,
      name,
      { ...args, connection: pulumi.secret(args.connection), data: pulumi.secret(args.data), dockerId: undefined },
      opts,
      "portainer",
      "DockerSecret",
    );
  }
}
