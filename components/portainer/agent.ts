/**
 * `PortainerAgent`: the Portainer agent on a guest (same version as the server, the configured port,
 * the Docker socket and volumes mounted, `AGENT_SECRET`), registered as a Portainer environment named
 * after the guest at `tcp://<ip>:<port>` once the container runs.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../../providers/portainer/dynamic";
import { PortainerEnvironment } from "../../providers/portainer/environment";
import { agentHealthScript } from "../guest/scripts";

export interface PortainerAgentArgs {
  readonly dockerProvider: docker.Provider;
  readonly version: string;
  readonly port: number;
  readonly agentSecret: pulumi.Input<string>;
  /** The environment name: the guest's name. */
  readonly guestName: string;
  readonly ip: string;
  readonly connection: pulumi.Input<ConnectionArgs>;
  /** Resources the container must wait for (the guest's Docker setup). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** SSH to the guest, for the health check that the agent answers on its port before it is registered. */
  readonly ssh?: { readonly host: string; readonly user: string; readonly privateKey: pulumi.Input<string> };
}

export class PortainerAgent extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly environment: PortainerEnvironment;

  constructor(name: string, args: PortainerAgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:portainer:Agent", name, {}, opts);
    const onGuest = { parent: this, provider: args.dockerProvider };
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: `portainer/agent:${args.version}`, keepLocally: true },
      { ...onGuest, dependsOn: args.dependsOn },
    );
    this.container = new docker.Container(
      name,
      {
        name: "portainer_agent",
        image: image.imageId,
        restart: "always",
        ports: [{ internal: 9001, external: args.port }],
        volumes: [
          { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" },
          { hostPath: "/var/lib/docker/volumes", containerPath: "/var/lib/docker/volumes" },
        ],
        envs: [pulumi.interpolate`AGENT_SECRET=${args.agentSecret}`],
      },
      { ...onGuest, dependsOn: args.dependsOn },
    );
    const health = args.ssh
      ? new command.remote.Command(
          `${name}-health`,
          {
            connection: {
              host: args.ssh.host,
              user: args.ssh.user,
              privateKey: pulumi.secret(args.ssh.privateKey),
              dialErrorLimit: 30,
              perDialTimeout: 10,
            },
            create: agentHealthScript(args.guestName, args.port),
            triggers: [this.container.id],
          },
          { parent: this, dependsOn: [this.container] },
        )
      : undefined;
    this.environment = new PortainerEnvironment(
      `${name}-environment`,
      { connection: args.connection, name: args.guestName, kind: "agent", url: `tcp://${args.ip}:${args.port}` },
      { parent: this, dependsOn: [this.container, ...(health ? [health] : [])] },
    );
    this.registerOutputs({ environmentId: this.environment.environmentId });
  }
}
