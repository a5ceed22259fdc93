/**
 * `Site`: the whole phoenix site built from the validated configuration — the Proxmox provider, every
 * guest, its setup over SSH, the Portainer server and agents, the environments, and every Docker stack.
 * It only composes; all decisions are in the config model (config/) and the pure renderers.
 */
import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { LOCAL_DOCKER_URL, portainerDataMount, serverPorts } from "../config/desired";
import { firewallRules } from "../config/firewall";
import { certificateSpecs } from "../config/gateways";
import { authOf } from "../config/proxmox";
import type { VmConfig } from "../config/schema";
import type { Guest, SiteConfig } from "../config/validate";
import { PortainerEnvironment } from "../providers/portainer/environment";
import { Gateways, type GatewayGuest } from "./gateway/gateways";
import { GuestSetup } from "./guest/guestSetup";
import { guestSetupSteps } from "./guest/steps";
import { DockerStack } from "./portainer/dockerStack";
import { PortainerAgent } from "./portainer/agent";
import { PortainerServer } from "./portainer/server";
import { lxcArgs, vmArgs } from "./proxmox/args";
import { ProxmoxLxc } from "./proxmox/lxc";
import { ProxmoxVm } from "./proxmox/vm";
import { GuestFirewallRules } from "./proxmox/firewall";
import { Certificates } from "./pki/certificates";
import { Hypervisor } from "./hypervisor/hypervisor";
import { snapshotArgs } from "./proxmox/snapshot";
import { ProxmoxSnapshot } from "../providers/proxmox/snapshot";

export interface SiteArgs {
  /** The validated configuration (config/load.ts). */
  readonly config: SiteConfig;
}

/** The logical name of a guest's resources: its id, so renaming a guest does not replace it. */
export function guestKey(g: Pick<Guest, "kind" | "id">): string {
  return `${g.kind}-${g.id}`;
}

/** The name the program gives its Site: the prefix of every resource name. */
export const SITE_NAME = "phoenix";

/** The logical name of a deployment's stack resources. */
export function stackResourceName(siteName: string, stack: string, guest: Pick<Guest, "kind" | "id">): string {
  return `${siteName}-stack-${stack}-${guestKey(guest)}`;
}

/**
 * The URN of a deployment's `PortainerStack`, for `pulumi up --target <urn>` (which syncs that stack
 * alone, as `phoenix sync stack <name> to <vmid>` did).
 */
export function stackUrn(
  pulumiStack: string,
  siteName: string,
  stack: string,
  guest: Pick<Guest, "kind" | "id">,
): string {
  const type = "phoenix:index:Site$phoenix:portainer:DockerStack$pulumi-nodejs:dynamic/portainer:Stack";
  return `urn:pulumi:${pulumiStack}::phoenix::${type}::${stackResourceName(siteName, stack, guest)}`;
}

/** The user phoenix logs in as over SSH: the cloud-init user on a VM, root on an LXC. */
function sshUser(g: Guest): string {
  return g.kind === "vm" ? (g.config as VmConfig).user_config.username : "root";
}

export class Site extends pulumi.ComponentResource {
  /** Guest name to IPv4 address. */
  readonly guestIps: Record<string, string>;
  readonly portainerUrl: string | undefined;
  /** Environment name (the guest's name) to Portainer environment id. */
  readonly environmentIds: Record<string, pulumi.Output<number>>;
  /** `<stack>@<guest>` to Portainer stack id. */
  readonly stackIds: Record<string, pulumi.Output<number>>;
  /** The API key phoenix created; a secret. */
  readonly portainerApiKey: pulumi.Output<string> | undefined;
  /** phoenix's CA certificate (PEM), for clients to trust; undefined when the site issues no certificate. */
  readonly caCertificate: pulumi.Output<string> | undefined;
  /** The values of the Proxmox API tokens phoenix:hypervisor created, `user!token` to value; secrets. */
  readonly hypervisorTokens: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:index:Site", name, {}, opts);
    const c = args.config;
    const auth = authOf(c.proxmox);
    // bpg prefers a token over a password, and Proxmox refuses root-only operations to every token: with a
    // password configured, the provider signs in with it alone (CONTRACT.md section 1).
    const credentials =
      auth.kind === "password"
        ? { username: c.proxmox.username!, password: pulumi.secret(c.proxmox.password!.reveal()) }
        : { apiToken: pulumi.secret(c.proxmox.api_token!.reveal()) };
    const provider = new proxmox.Provider(
      `${name}-proxmox`,
      {
        endpoint: c.proxmox.endpoint,
        ...credentials,
        insecure: c.proxmox.insecure,
        ...(c.proxmox.ssh
          ? { ssh: { username: c.proxmox.ssh.username, privateKey: pulumi.secret(c.proxmox.ssh.private_key.reveal()) } }
          : {}),
      },
      { parent: this },
    );
    const sshPrivateKey = c.guestSsh ? pulumi.secret(c.guestSsh.private_key.reveal()) : undefined;

    // The node first: its datasets, exports, storages, downloads, access, firewall and templates.
    const hypervisor =
      c.hypervisor || c.templates.length > 0
        ? new Hypervisor(
            `${name}-hypervisor`,
            {
              node: c.proxmox.node_name,
              ...(c.hypervisor ? { site: c.hypervisor } : {}),
              templates: c.templates,
              ...(c.proxmox.ssh
                ? {
                    ssh: {
                      user: c.proxmox.ssh.username,
                      privateKey: pulumi.secret(c.proxmox.ssh.private_key.reveal()),
                    },
                  }
                : {}),
            },
            { parent: this, providers: [provider] },
          )
        : undefined;
    this.hypervisorTokens = hypervisor?.tokens ?? {};
    const before = (g: Guest): pulumi.Resource[] => {
      const template = g.kind === "vm" ? hypervisor?.templates.get((g.config as VmConfig).clone_from_vmid) : undefined;
      return [...(hypervisor?.ready ?? []), ...(template ? [template] : [])];
    };

    this.guestIps = Object.fromEntries(c.guests.map((g) => [g.name, g.ip]));
    const setups = new Map<Guest, GuestSetup>();
    const reach = new Map<Guest, GatewayGuest>();
    for (const g of c.guests) {
      const key = `${name}-${guestKey(g)}`;
      const cfg = g.config;
      let guestResource: pulumi.Resource;
      let guestCustom: pulumi.Resource;
      let guestId: pulumi.Output<string>;
      let user: string;
      if (g.kind === "vm") {
        const vm = new ProxmoxVm(key, vmArgs(c, g), { parent: this, providers: [provider], dependsOn: before(g) });
        guestResource = vm;
        guestCustom = vm.vm;
        guestId = vm.vm.id;
        user = (cfg as VmConfig).user_config.username;
      } else {
        const ct = new ProxmoxLxc(key, lxcArgs(c, g), { parent: this, providers: [provider], dependsOn: before(g) });
        guestResource = ct;
        guestCustom = ct.container;
        guestId = ct.container.id;
        user = "root";
      }
      if (cfg.features.length > 0 && sshPrivateKey) {
        setups.set(
          g,
          new GuestSetup(
            `${key}-setup`,
            {
              host: g.ip,
              user,
              privateKey: sshPrivateKey,
              steps: guestSetupSteps(c, g, { revealSecrets: true }),
              guestId,
              guest: guestCustom,
            },
            { parent: this, dependsOn: [guestResource] },
          ),
        );
      }
      const setup = setups.get(g);
      // The snapshot of the guest once it is set up (its health checks are the last step).
      if (g.config.snapshot?.after_setup)
        new ProxmoxSnapshot(`${key}-snapshot`, snapshotArgs(c, g, pulumi.getStack()), {
          parent: this,
          dependsOn: [setup ?? guestResource],
          replaceWith: [guestCustom],
          // Same name on the same guest: the old one goes first (a create first would be deleted by the old's delete).
          deleteBeforeReplace: true,
        });
      reach.set(g, {
        user,
        privateKey: sshPrivateKey ?? "",
        guestId,
        guest: guestCustom,
        ...(setup ? { setup, ...(setup.dockerProvider ? { dockerProvider: setup.dockerProvider } : {}) } : {}),
      });
    }

    // The Proxmox firewall of every guest (phoenix:firewall).
    for (const f of firewallRules(c)) {
      new GuestFirewallRules(
        `${name}-${guestKey(f.guest)}-firewall`,
        {
          nodeName: c.proxmox.node_name,
          kind: f.guest.kind,
          id: f.guest.id,
          enabled: c.firewall!.enabled,
          rules: f.rules,
          guest: reach.get(f.guest)!.guest,
        },
        { parent: this, providers: [provider] },
      );
    }

    // phoenix's CA and the certificates it issues; then the gateways.
    const specs = certificateSpecs(c);
    const certificates =
      specs.length > 0
        ? new Certificates(`${name}-certificates`, { config: c.certificates, specs }, { parent: this })
        : undefined;
    this.caCertificate = certificates?.caCertPem;
    if (c.gateways.nginx || c.gateways.traefik || c.dns)
      new Gateways(
        `${name}-gateway`,
        { site: c, stack: pulumi.getStack(), ...(certificates ? { certificates } : {}), guests: reach },
        { parent: this },
      );

    this.environmentIds = {};
    this.stackIds = {};
    const primary = c.guests.find((g) => g.portainerRole === "primary");
    if (!c.portainer || !primary) {
      this.portainerUrl = undefined;
      this.portainerApiKey = undefined;
      this.registerOutputs({
        guestIps: this.guestIps,
        caCertificate: this.caCertificate,
        hypervisorTokens: this.hypervisorTokens,
      });
      return;
    }
    const p = c.portainer;
    const primarySetup = setups.get(primary)!;
    // Secret by the random provider's schema too; wrapped so it stays secret whatever the provider says.
    const agentSecret = pulumi.secret(
      new random.RandomPassword(`${name}-agent-secret`, { length: 40, special: false }, { parent: this }).result,
    );
    const server = new PortainerServer(
      `${name}-portainer`,
      {
        dockerProvider: primarySetup.dockerProvider!,
        version: p.version,
        url: p.url,
        ports: serverPorts(p.url),
        agentSecret,
        adminUsername: p.admin_username,
        adminPassword: pulumi.secret(p.admin_password.reveal()),
        // Portainer's certificate is phoenix's unless the site pinned a CA or skips verification.
        ...(p.tls?.ca_cert !== undefined
          ? { caCert: p.tls.ca_cert }
          : certificates?.issued["portainer"]
            ? { caCert: certificates.caCertPem }
            : {}),
        insecureSkipVerify: p.tls?.insecure_skip_verify === true,
        ...(certificates?.issued["portainer"]
          ? {
              certificate: {
                ...certificates.issued["portainer"],
                ssh: { host: primary.ip, user: sshUser(primary), privateKey: sshPrivateKey! },
                guestId: reach.get(primary)!.guestId,
                guest: reach.get(primary)!.guest,
              },
            }
          : {}),
        ...(p.setup_token ? { setupToken: pulumi.secret(p.setup_token.reveal()) } : {}),
        ...(p.data_path !== undefined
          ? {
              data: {
                path: p.data_path,
                ...(portainerDataMount(primary, p.data_path)
                  ? { mountPoint: portainerDataMount(primary, p.data_path)! }
                  : {}),
                ssh: { host: primary.ip, user: sshUser(primary), privateKey: sshPrivateKey! },
              },
            }
          : {}),
        dependsOn: [primarySetup],
      },
      { parent: this },
    );
    this.portainerUrl = p.url;
    // The engine marks it secret (additionalSecretOutputs); wrapped so the export is secret in any case.
    this.portainerApiKey = pulumi.secret(server.apiKey.apiKey);

    const environments = new Map<Guest, PortainerEnvironment>();
    for (const g of c.guests) {
      if (g.portainerRole === "agent") {
        const setup = setups.get(g)!;
        const agent = new PortainerAgent(
          `${name}-agent-${guestKey(g)}`,
          {
            dockerProvider: setup.dockerProvider!,
            version: p.version,
            port: p.agent_port,
            agentSecret,
            guestName: g.name,
            ip: g.ip,
            connection: server.connection,
            dependsOn: [setup],
            ssh: { host: g.ip, user: sshUser(g), privateKey: sshPrivateKey! },
          },
          { parent: this },
        );
        environments.set(g, agent.environment);
      } else if (g.portainerRole === "primary" && g.config.docker_stacks.length > 0) {
        environments.set(
          g,
          new PortainerEnvironment(
            `${name}-environment-${guestKey(g)}`,
            { connection: server.connection, name: g.name, kind: "local", url: LOCAL_DOCKER_URL },
            { parent: this, dependsOn: [server] },
          ),
        );
      }
    }
    for (const [g, e] of environments) this.environmentIds[g.name] = e.environmentId;

    for (const d of c.deployments) {
      const env = environments.get(d.guest)!;
      const manifest = c.stacks[d.stack]!.manifest;
      const stack = new DockerStack(
        stackResourceName(name, d.stack, d.guest),
        {
          connection: server.connection,
          endpointId: env.environmentId,
          stack: d.stack,
          where: `${d.stack} on ${d.guest.name} (${d.path})`,
          compose: c.stacks[d.stack]!.composeContent,
          variables: d.variables.map((v) =>
            "value" in v ? { name: v.name, value: v.value } : { name: v.name, value: pulumi.secret(v.secret.reveal()) },
          ),
          files: d.files,
          ...(manifest.traefik_service ? { traefik: manifest.traefik_service } : {}),
          dependsOn: [env],
        },
        { parent: this },
      );
      this.stackIds[`${d.stack}@${d.guest.name}`] = stack.stack.stackId;
    }
    this.registerOutputs({
      guestIps: this.guestIps,
      caCertificate: this.caCertificate,
      portainerUrl: this.portainerUrl,
      environmentIds: this.environmentIds,
      stackIds: this.stackIds,
      hypervisorTokens: this.hypervisorTokens,
    });
  }
}
