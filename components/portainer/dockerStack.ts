/**
 * `DockerStack`: one `docker_stacks` assignment deployed as a `PortainerStack` on its guest's
 * environment: the rendered compose file (Traefik labels, config files, validated against the Compose
 * specification), the environment's variables (secret ones stay Pulumi secrets), and on a swarm
 * environment the files as Docker configs created first and referenced as external.
 */
import * as pulumi from "@pulumi/pulumi";
import { PortainerDockerConfig } from "../../providers/portainer/dockerObject";
import type { ConnectionArgs } from "../../providers/portainer/dynamic";
import { PortainerStack } from "../../providers/portainer/stack";
import { ComposeError, dockerConfigName, renderCompose, type StackFile, type TraefikRoute } from "./compose";

export interface DockerStackArgs {
  readonly connection: pulumi.Input<ConnectionArgs>;
  readonly endpointId: pulumi.Input<number>;
  /** The stack name (a normalised manifest name). */
  readonly stack: string;
  /** The assignment, for messages: `qdrant_service on Dr-Phoenix (phoenix:vms[1].docker_stacks[0])`. */
  readonly where: string;
  /** The manifest's compose file. */
  readonly compose: string;
  /** Values may be secret Outputs; they stay secret. */
  readonly variables: readonly { name: string; value: pulumi.Input<string> }[];
  readonly files: readonly StackFile[];
  readonly traefik?: TraefikRoute;
  /** Defaults to `standalone`. */
  readonly mode?: "standalone" | "swarm";
  /** What the stack waits for besides its environment. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class DockerStack extends pulumi.ComponentResource {
  readonly stack: PortainerStack;
  /** The compose file as sent to Portainer. */
  readonly composeContent: string;

  constructor(name: string, args: DockerStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:portainer:DockerStack", name, {}, opts);
    const mode = args.mode ?? "standalone";
    const configNames = Object.fromEntries(
      args.files.map((f) => [f.source, dockerConfigName(args.stack, f.source, f.content)]),
    );
    try {
      this.composeContent = renderCompose({
        stack: args.stack,
        where: args.where,
        compose: args.compose,
        files: args.files,
        ...(args.traefik ? { traefik: args.traefik } : {}),
        mode,
        configNames,
      });
    } catch (e) {
      if (e instanceof ComposeError) throw new pulumi.ResourceError(e.message, this);
      throw e;
    }
    const configs =
      mode === "swarm"
        ? args.files.map(
            (f, i) =>
              new PortainerDockerConfig(
                `${name}-config-${i}`,
                {
                  connection: args.connection,
                  endpointId: args.endpointId,
                  name: configNames[f.source]!,
                  data: f.content,
                  labels: { "phoenix.stack": args.stack, "phoenix.source": f.source },
                },
                { parent: this },
              ),
          )
        : [];
    this.stack = new PortainerStack(
      name,
      {
        connection: args.connection,
        endpointId: args.endpointId,
        name: args.stack,
        type: mode,
        composeContent: this.composeContent,
        env: args.variables.map((v) => ({ name: v.name, value: v.value })),
        secretNames: secretNamesOf(args.variables),
      },
      { parent: this, dependsOn: [...configs, ...(args.dependsOn ?? [])] },
    );
    this.registerOutputs({ stackId: this.stack.stackId });
  }
}

/** The names of the variables whose values are Pulumi secrets, as the SDK marks them. */
export function secretNamesOf(variables: DockerStackArgs["variables"]): pulumi.Output<string[]> {
  const marked = variables.map(async (v) =>
    pulumi.Output.isInstance(v.value) && (await pulumi.isSecret(v.value as pulumi.Output<string>)) ? [v.name] : [],
  );
  return pulumi.output(Promise.all(marked)).apply((names) => names.flat());
}
