/**
 * `PortainerServer`: Portainer CE on the primary guest — a pinned image, a named data volume that
 * survives replacement and destroy, the published ports, a restart policy and the shared agent secret —
 * then, once the API answers, the first administrator and an API key for everything else.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { PortainerAdmin } from "../../providers/portainer/admin";
import { PortainerApiKey } from "../../providers/portainer/apiKey";
import type { ConnectionArgs } from "../../providers/portainer/dynamic";
import { certificatesScript } from "../gateway/scripts";
import { sshConnection } from "../guest/guestSetup";
import { fingerprint } from "../pki/certificates";

export interface PortainerServerArgs {
  /** The Docker provider of the primary guest. */
  readonly dockerProvider: docker.Provider;
  /** The pinned image tag, e.g. `2.27.9`. */
  readonly version: string;
  /** The API URL phoenix uses, e.g. `https://10.0.0.101:9443`. */
  readonly url: string;
  /** Published ports: 9443, and 9000 when `url` uses it. */
  readonly ports: readonly number[];
  /** `AGENT_SECRET`, shared with every agent; a secret. */
  readonly agentSecret: pulumi.Input<string>;
  readonly adminUsername: string;
  /** A secret. */
  readonly adminPassword: pulumi.Input<string>;
  /** The CA that Portainer's certificate is checked against (phoenix's, or one the site pinned). */
  readonly caCert?: pulumi.Input<string>;
  readonly insecureSkipVerify?: boolean;
  /** Portainer 2.43+'s one-time setup token (in the container's logs); a secret. */
  readonly setupToken?: pulumi.Input<string>;
  /** Resources the container must wait for (the guest's Docker setup). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * The certificate Portainer serves on 9443, issued by phoenix's CA, and how to put it on the guest. Without it
   * Portainer serves its own self-signed certificate.
   */
  readonly certificate?: {
    readonly certPem: pulumi.Input<string>;
    /** A secret. */
    readonly keyPem: pulumi.Input<string>;
    readonly ssh: { readonly host: string; readonly user: string; readonly privateKey: pulumi.Input<string> };
    readonly guestId: pulumi.Input<string>;
    readonly guest: pulumi.Resource;
  };
  /**
   * `phoenix:portainer.data_path`: a directory on the guest bind-mounted as /data instead of the Docker volume,
   * checked first to be on the volume mounted at `mountPoint` (else Docker would make it on the VM's disk).
   */
  readonly data?: {
    readonly path: string;
    readonly mountPoint?: string;
    readonly ssh: { readonly host: string; readonly user: string; readonly privateKey: pulumi.Input<string> };
  };
}

/** The script that makes Portainer's data directory, refusing when the volume it belongs on is not mounted. */
export function dataPathScript(path: string, mountPoint: string | undefined): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    "set -eu",
    ...(mountPoint
      ? [
          `if ! mountpoint -q ${q(mountPoint)}; then`,
          `  echo "phoenix: ${mountPoint} is not mounted: Portainer's data would land on this VM's own disk" >&2`,
          "  exit 1",
          "fi",
        ]
      : []),
    `sudo -n mkdir -p ${q(path)} 2>/dev/null || mkdir -p ${q(path)}`,
    `echo "phoenix: Portainer's data in ${path}"`,
    "",
  ].join("\n");
}

/** Where Portainer's certificate and key go on the primary guest (mounted read-only at /certs). */
export const PORTAINER_CERT_DIR = "/etc/phoenix/certs";

/** The data volume's name on the guest; it is retained when the stack is destroyed. */
export const DATA_VOLUME = "portainer_data";

export class PortainerServer extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly admin: PortainerAdmin;
  readonly apiKey: PortainerApiKey;
  /** How providers reach this Portainer: URL and API key (a secret). */
  readonly connection: pulumi.Output<ConnectionArgs>;
  readonly url: string;

  constructor(name: string, args: PortainerServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:portainer:Server", name, {}, opts);
    this.url = args.url;
    const onGuest = { parent: this, provider: args.dockerProvider };
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: `portainer/portainer-ce:${args.version}`, keepLocally: true },
      { ...onGuest, dependsOn: args.dependsOn },
    );
    const cert = args.certificate;
    const certFiles = cert
      ? new command.remote.Command(
          `${name}-certificates`,
          {
            connection: sshConnection(cert.ssh.host, cert.ssh.user, cert.ssh.privateKey),
            create: pulumi.secret(
              pulumi.all([cert.certPem, cert.keyPem]).apply(([c, k]) =>
                certificatesScript("portainer", [
                  { path: `${PORTAINER_CERT_DIR}/portainer.crt`, content: c },
                  { path: `${PORTAINER_CERT_DIR}/portainer.key`, content: k, mode: "0600" },
                ]),
              ),
            ),
            triggers: [cert.guestId],
          },
          { parent: this, replaceWith: [cert.guest], dependsOn: args.dependsOn },
        )
      : undefined;
    const dataDir = args.data
      ? new command.remote.Command(
          `${name}-data-path`,
          {
            connection: sshConnection(args.data.ssh.host, args.data.ssh.user, args.data.ssh.privateKey),
            create: dataPathScript(args.data.path, args.data.mountPoint),
          },
          { parent: this, dependsOn: args.dependsOn },
        )
      : undefined;
    const data = args.data
      ? undefined
      : new docker.Volume(
          `${name}-data`,
          { name: DATA_VOLUME },
          { ...onGuest, retainOnDelete: true, dependsOn: args.dependsOn },
        );
    this.container = new docker.Container(
      name,
      {
        name: "portainer",
        image: image.imageId,
        restart: "always",
        ports: args.ports.map((p) => ({ internal: p, external: p })),
        volumes: [
          data
            ? { volumeName: data.name, containerPath: "/data" }
            : { hostPath: args.data!.path, containerPath: "/data" },
          { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" },
          ...(cert ? [{ hostPath: PORTAINER_CERT_DIR, containerPath: "/certs", readOnly: true }] : []),
        ],
        envs: [pulumi.interpolate`AGENT_SECRET=${args.agentSecret}`],
        // Portainer's flags for its own certificate; a new certificate replaces (restarts) the container.
        ...(cert
          ? {
              command: ["--sslcert", "/certs/portainer.crt", "--sslkey", "/certs/portainer.key"],
              labels: [{ label: "phoenix.certificate.sha256", value: fingerprint(cert.certPem) }],
            }
          : {}),
      },
      {
        ...onGuest,
        dependsOn: [...(args.dependsOn ?? []), ...(certFiles ? [certFiles] : []), ...(dataDir ? [dataDir] : [])],
      },
    );
    const tls = {
      ...(args.caCert !== undefined ? { caCert: args.caCert } : {}),
      insecureSkipVerify: args.insecureSkipVerify === true,
    };
    // When the container was (re)started: replaced with it, so the admin's long wait applies only then.
    const started = new time.Static(
      `${name}-started`,
      { triggers: { container: this.container.id } },
      { parent: this },
    );
    // PortainerAdmin waits for the API to answer before it does anything.
    this.admin = new PortainerAdmin(
      `${name}-admin`,
      {
        url: args.url,
        ...tls,
        username: args.adminUsername,
        password: args.adminPassword,
        ...(args.setupToken !== undefined ? { setupToken: args.setupToken } : {}),
        waitSeconds: 300,
        startedAt: started.unix,
      },
      { parent: this, dependsOn: [this.container] },
    );
    this.apiKey = new PortainerApiKey(
      `${name}-api-key`,
      { url: args.url, ...tls, username: args.adminUsername, password: args.adminPassword, description: "phoenix" },
      { parent: this, dependsOn: [this.admin] },
    );
    this.connection = pulumi.secret(
      pulumi.all([this.apiKey.apiKey, pulumi.output(args.caCert)]).apply(([apiKey, caCert]) => ({
        url: args.url,
        apiKey,
        ...(caCert !== undefined ? { caCert } : {}),
        insecureSkipVerify: args.insecureSkipVerify === true,
      })),
    );
    this.registerOutputs({ url: this.url, connection: this.connection });
  }
}
