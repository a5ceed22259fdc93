/**
 * `Gateways`: the Nginx gateway, the Traefik gateway and dnsmasq on their guests. Each gets its certificates
 * (a secret command) and then its configuration file (a plain command, so a preview shows the change), both over
 * SSH with `@pulumi/command`: they run again only when their text changes or the guest is replaced. Traefik runs as
 * a pinned container on its guest's Docker, replaced when its certificate changes. It only composes: the files come
 * from the pure renderers beside it.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Guest, SiteConfig } from "../../config/validate";
import { sshConnection } from "../guest/guestSetup";
import { fingerprint, type Certificates } from "../pki/certificates";
import { gatewayPlans } from "./files";
import { NGINX_CERT_DIR, NGINX_PORTAINER_CA } from "./nginx";
import {
  RELOAD_NGINX_IF_RUNNING,
  certificatesScript,
  dnsmasqConfigScript,
  nginxConfigScript,
  traefikConfigScript,
  type GuestFile,
} from "./scripts";
import { TRAEFIK_CERT_DIR, traefikArgs } from "./traefik";

/** How to reach a guest and what it waits for. */
export interface GatewayGuest {
  readonly user: string;
  readonly privateKey: pulumi.Input<string>;
  readonly guestId: pulumi.Input<string>;
  /** The guest's Proxmox resource: a replaced guest gets its files again. */
  readonly guest: pulumi.Resource;
  /** The guest's setup, done first. */
  readonly setup?: pulumi.Resource;
  /** The guest's Docker, for Traefik. */
  readonly dockerProvider?: docker.Provider;
}

export interface GatewaysArgs {
  readonly site: SiteConfig;
  /** The Pulumi stack, named in the generated files. */
  readonly stack: string;
  /** phoenix's CA and certificates; the Nginx and Traefik gateways need them. */
  readonly certificates?: Certificates;
  readonly guests: ReadonlyMap<Guest, GatewayGuest>;
}

export class Gateways extends pulumi.ComponentResource {
  constructor(name: string, args: GatewaysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:gateway:Gateways", name, {}, opts);
    const { site } = args;
    const certificates = args.certificates;
    const on = (g: Guest) => args.guests.get(g)!;
    // One command at a time per guest: two apt-get runs at once would fight over apt's locks.
    const last = new Map<Guest, command.remote.Command>();
    const run = (n: string, g: Guest, create: pulumi.Input<string>, after: pulumi.Resource[]) => {
      const x = on(g);
      const before = last.get(g);
      const cmd = new command.remote.Command(
        n,
        { connection: sshConnection(g.ip, x.user, x.privateKey), create, triggers: [x.guestId] },
        {
          parent: this,
          replaceWith: [x.guest],
          dependsOn: [...(x.setup ? [x.setup] : []), ...(before ? [before] : []), ...after],
        },
      );
      last.set(g, cmd);
      return cmd;
    };
    const certs = (n: string, g: Guest, what: string, files: pulumi.Output<GuestFile[]>, after: string[] = []) =>
      run(n, g, pulumi.secret(files.apply((f) => certificatesScript(what, f, after))), []);

    for (const plan of gatewayPlans(site, args.stack)) {
      const file = plan.files[0]!;
      const g = plan.guest;
      const prefix = `${name}-${plan.kind}`;
      if (plan.kind === "nginx") {
        const ca = certificates!.caCertPem;
        const own = certificates!.issued["nginx"]!;
        const custom: pulumi.Output<GuestFile[]>[] = Object.entries(site.certificates.custom).map(([host, c]) =>
          pulumi.secret(c.private_key.reveal()).apply((key) => [
            { path: `${NGINX_CERT_DIR}/${host}.crt`, content: c.certificate },
            { path: `${NGINX_CERT_DIR}/${host}.key`, content: key, mode: "0600" },
          ]),
        );
        const pinned = site.portainer?.tls?.ca_cert;
        const files = pulumi
          .all([ca, own.certPem, own.keyPem, pulumi.all(custom)])
          .apply(([caPem, cert, key, rest]): GuestFile[] => [
            { path: `${NGINX_CERT_DIR}/ca.crt`, content: caPem },
            { path: `${NGINX_CERT_DIR}/gateway.crt`, content: cert },
            { path: `${NGINX_CERT_DIR}/gateway.key`, content: key, mode: "0600" },
            ...(pinned !== undefined ? [{ path: NGINX_PORTAINER_CA, content: pinned }] : []),
            ...rest.flat(),
          ]);
        const c = certs(`${prefix}-certificates`, g, "nginx gateway", files, RELOAD_NGINX_IF_RUNNING);
        run(`${prefix}-config`, g, nginxConfigScript(file), [c]);
      } else if (plan.kind === "traefik") {
        const t = site.gateways.traefik!;
        const own = certificates!.issued["traefik"]!;
        const files = pulumi.all([own.certPem, own.keyPem]).apply(([cert, key]): GuestFile[] => [
          { path: `${TRAEFIK_CERT_DIR}/traefik.crt`, content: cert },
          { path: `${TRAEFIK_CERT_DIR}/traefik.key`, content: key, mode: "0600" },
        ]);
        const c = certs(`${prefix}-certificates`, g, "traefik gateway", files);
        const conf = run(`${prefix}-config`, g, traefikConfigScript(file), [c]);
        const provider = on(g).dockerProvider!;
        const image = new docker.RemoteImage(
          `${prefix}-image`,
          { name: `traefik:${t.version}`, keepLocally: true },
          { parent: this, provider, dependsOn: [conf] },
        );
        new docker.Container(
          prefix,
          {
            name: "traefik",
            image: image.imageId,
            restart: "always",
            command: traefikArgs(t),
            ports: Object.values(t.entrypoints).map((p) => ({ internal: p, external: p })),
            volumes: [
              { hostPath: t.dynamicDir, containerPath: t.dynamicDir, readOnly: true },
              { hostPath: TRAEFIK_CERT_DIR, containerPath: TRAEFIK_CERT_DIR, readOnly: true },
            ],
            labels: [{ label: "phoenix.certificate.sha256", value: fingerprint(own.certPem) }],
          },
          { parent: this, provider, dependsOn: [conf, c] },
        );
      } else {
        run(`${prefix}-config`, g, dnsmasqConfigScript(file), []);
      }
    }
    this.registerOutputs({});
  }
}
