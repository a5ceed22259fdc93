/**
 * `GuestSetup`: prepares a guest over SSH with `@pulumi/command`: `base_setup` (packages, QEMU guest
 * agent, NFS volumes) and `docker` (Docker Engine). A script runs again only when it changes or the
 * guest is replaced. With Docker, it exposes a `@pulumi/docker` provider for the guest over `ssh://`.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { SetupStep } from "./scripts";

export interface GuestSetupArgs {
  /** The guest's address. */
  readonly host: pulumi.Input<string>;
  /** The SSH user: the cloud-init user on a VM, `root` on an LXC. */
  readonly user: string;
  /** The private key of `phoenix:guest_ssh`; a secret. */
  readonly privateKey: pulumi.Input<string>;
  /** The steps to run, in order (`setupSteps`): `base_setup`, `docker`, the application scripts, `health`. */
  readonly steps: readonly SetupStep[];
  /** The guest resource's id. */
  readonly guestId: pulumi.Input<string>;
  /**
   * The guest's Proxmox resource: a replaced guest is set up again (`replaceWith`). Its id alone cannot tell,
   * since a replacement keeps the fixed VMID.
   */
  readonly guest?: pulumi.Resource;
}

/** How `@pulumi/command` reaches a guest: its key a secret; 30 dials 10 s apart bound the wait for a booting guest. */
export function sshConnection(host: pulumi.Input<string>, user: string, privateKey: pulumi.Input<string>) {
  return { host, user, privateKey: pulumi.secret(privateKey), dialErrorLimit: 30, perDialTimeout: 10 };
}

export class GuestSetup extends pulumi.ComponentResource {
  /** The Docker provider for this guest, when it has the docker feature. */
  readonly dockerProvider: docker.Provider | undefined;
  /** The last setup step, for ordering. */
  readonly done: pulumi.Output<string>;

  constructor(name: string, args: GuestSetupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:guest:Setup", name, {}, opts);
    const connection = sshConnection(args.host, args.user, args.privateKey);
    let last: command.remote.Command | undefined;
    const replaceWith = args.guest ? { replaceWith: [args.guest] } : {};
    for (const step of args.steps) {
      // Resource names stay as they were: `-base` and `-docker`.
      const suffix = step.name === "base_setup" ? "base" : step.name.replace(/^script:/, "script-");
      const create = step.secret ? pulumi.secret(step.script) : step.script;
      last = new command.remote.Command(
        `${name}-${suffix}`,
        { connection, create, triggers: [args.guestId] },
        { parent: this, ...replaceWith, ...(last ? { dependsOn: [last] } : {}) },
      );
    }
    if (args.steps.some((s) => s.name === "docker")) {
      // The host is derived from the install step's output: unknown while the guest is still to be
      // created, so the Docker provider (which pings the daemon when configured) waits during preview.
      const dockerHost = pulumi.all([last!.stdout, args.host]).apply(([, host]) => `ssh://${args.user}@${host}`);
      this.dockerProvider = new docker.Provider(
        `${name}-docker-provider`,
        { host: dockerHost, sshOpts: ["-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes"] },
        { parent: this },
      );
    } else {
      this.dockerProvider = undefined;
    }
    this.done = last ? last.stdout : pulumi.output("");
    this.registerOutputs({ done: this.done });
  }
}
