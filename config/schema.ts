/**
 * The site configuration model: one zod schema per config key and one for stack manifests.
 *
 * Keys follow the phoenix JSON files (snake_case) so an existing site can paste its
 * `phoenix_vm_configs.json` entries in. Schemas are built by functions, never held at module
 * top level, so that no module a dynamic provider may reach holds a zod instance
 * (../shared/pulumi/ENGINELESS.md, Q1).
 */
import { z } from "zod";
import { MIN_SUPPORTED_VERSION, compareVersions } from "../providers/portainer/transport";
import { Secret } from "./secret";

export { compareVersions };

/** The Pulumi project name, and so the namespace of every config key. */
export const PROJECT = "phoenix";

/** Config keys the site model owns. Any other `phoenix:` key must be a secret referenced by a stack manifest. */
export const SITE_KEYS = [
  "proxmox",
  "vms",
  "lxcs",
  "portainer",
  "environment",
  "guest_ssh",
  "guest_setup",
  "gateways",
  "certificates",
  "dns",
  "firewall",
  "hypervisor",
  "templates",
] as const;

/** The Traefik image phoenix runs on the Traefik gateway guest when `gateways.traefik.version` names none. */
export const DEFAULT_TRAEFIK_VERSION = "v3.3.6";

/** Where the docker feature installs Docker Engine from: Docker's apt repository, or the distribution's packages. */
export const DOCKER_SOURCES = ["docker", "debian"] as const;

/** The oldest Portainer the client supports (the `/api/stacks/create/...` routes arrived in 2.19). */
export const MIN_PORTAINER_VERSION = MIN_SUPPORTED_VERSION;

/** Portainer's default minimum password length (`RequiredPasswordLength`). */
export const MIN_ADMIN_PASSWORD_LENGTH = 12;

/**
 * Where secrets are marked as secret: the set of top-level config keys (`phoenix:proxmox`) that the
 * Pulumi runtime reports as secret. A value read from a stack file marks itself with `{secure: ...}`.
 */
export interface SecretContext {
  readonly secretKeys: ReadonlySet<string>;
}

const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ENV_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const STACK_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONFIG_KEY = /^([A-Za-z][A-Za-z0-9_-]*:)?[A-Za-z][A-Za-z0-9_.-]*$/;
const PINNED_TAG = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/;

function absolutePath(what: string) {
  return z.string().regex(/^\/[^\0]*$/, `must be an absolute path (${what})`);
}

/** A path inside a folder (`the stack folder`, `the project folder`): relative, no `..` segment. */
function relativePath(folder = "the stack folder") {
  return z
    .string()
    .min(1)
    .refine((p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), {
      message: `must be a path relative to ${folder}, without '..'`,
    });
}

/**
 * A secret string. In a stack file it must read `{secure: ...}`; from the Pulumi runtime its
 * top-level key must be marked secret. Plain text is refused: it would end up in state and logs.
 */
export function secretField(ctx: SecretContext, topKey: string, path: string) {
  return z
    .union([z.string(), z.strictObject({ secure: z.string().min(1) })], {
      error: "must be a secret string (set it with pulumi config set --secret)",
    })
    .transform((v, tctx) => {
      const source = `${PROJECT}:${path}`;
      if (typeof v !== "string") return Secret.encrypted(source);
      if (!ctx.secretKeys.has(`${PROJECT}:${topKey}`)) {
        tctx.addIssue({
          code: "custom",
          message: `must be stored as a secret, not in plain text: pulumi config set --secret --path '${path}' <value>`,
        });
        return z.NEVER;
      }
      if (v.length === 0) {
        tctx.addIssue({ code: "custom", message: "must not be empty" });
        return z.NEVER;
      }
      return Secret.of(v, source);
    });
}

/** The LXC OS types Proxmox knows (pve-container `ostype`); `unmanaged` turns off every setup hook. */
export const LXC_OS_TYPES = [
  "alpine",
  "archlinux",
  "centos",
  "debian",
  "devuan",
  "fedora",
  "gentoo",
  "nixos",
  "opensuse",
  "ubuntu",
  "unmanaged",
] as const;

/** The VM CPU type phoenix declares when a guest names none (a `cpu` block resets an undeclared type to `qemu64`). */
export const DEFAULT_CPU_TYPE = "x86-64-v2-AES";

/** The bridge guests attach to when neither the site nor the guest names one. */
export const DEFAULT_BRIDGE = "vmbr0";

const STORAGE_ID = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const PVE_USER = /^[^\s@!:]+@[A-Za-z0-9._-]+$/;

function storageId() {
  return z.string().regex(STORAGE_ID, "must be a Proxmox storage id such as local-zfs or local-lvm");
}

/** Network and placement settings a site sets once and a guest may override. */
function placement() {
  return {
    datastore: storageId().optional(),
    bridge: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/, "must be a Linux bridge name such as vmbr0")
      .optional(),
    vlan: z.number().int().min(1).max(4094).optional(),
    mtu: z.number().int().min(576).max(65520).optional(),
    dns: z
      .strictObject({
        servers: z
          .array(z.ipv4({ error: "must be an IPv4 address" }))
          .min(1)
          .max(3)
          .optional(),
        domain: z.string().regex(HOSTNAME, "must be a DNS domain such as phoenix.local").optional(),
      })
      .optional(),
    clone_node: z.string().regex(DNS_LABEL, "must be a Proxmox node name (letters, digits, hyphens)").optional(),
  };
}

/** `phoenix:proxmox`: how to reach the Proxmox VE API, and the site's defaults for every guest. */
export function proxmoxSchema(ctx: SecretContext) {
  return z
    .strictObject({
      endpoint: z.url({ protocol: /^https$/, error: "must be an https URL such as https://10.0.0.13:8006" }),
      node_name: z.string().regex(DNS_LABEL, "must be a Proxmox node name (letters, digits, hyphens)"),
      insecure: z.boolean().default(false),
      /** The CA phoenix's own Proxmox API client trusts (snapshots): the node's /etc/pve/pve-root-ca.pem. */
      ca_cert: z.string().regex(PEM_CERT, "must be a PEM certificate (-----BEGIN CERTIFICATE-----)").optional(),
      api_token: secretField(ctx, "proxmox", "proxmox.api_token").optional(),
      username: z.string().regex(PVE_USER, "must be a Proxmox user such as root@pam").optional(),
      password: secretField(ctx, "proxmox", "proxmox.password").optional(),
      ...placement(),
      ssh: z
        .strictObject({
          username: z.string().min(1),
          private_key: secretField(ctx, "proxmox", "proxmox.ssh.private_key"),
        })
        .optional(),
    })
    .superRefine((c, rctx) => {
      if ((c.username === undefined) !== (c.password === undefined)) {
        rctx.addIssue({
          code: "custom",
          path: [c.username === undefined ? "username" : "password"],
          message: "username and password go together (password authentication, e.g. root@pam)",
        });
      }
      if (c.api_token === undefined && c.password === undefined) {
        rctx.addIssue({
          code: "custom",
          path: ["api_token"],
          message: "is required unless username and password are set (user@realm!tokenid=uuid)",
        });
      }
    });
}

function networkConfig() {
  return z.strictObject({
    ip: z.cidrv4({ error: "must be an IPv4 address with a prefix length, e.g. 10.0.0.101/24" }),
    gw: z.ipv4({ error: "must be an IPv4 address, e.g. 10.0.0.1" }),
  });
}

function features() {
  return z
    .array(z.enum(["base_setup", "docker"]))
    .default([])
    .refine((f) => new Set(f).size === f.length, { message: "must not list a feature twice" });
}

function dockerStacks() {
  return z
    .array(
      z.strictObject({
        name: z.string().min(1),
        environment: z
          .string()
          .regex(ENV_NAME, "must be an environment name (lower-case letters, digits, '-', '_')")
          .optional(),
      }),
    )
    .default([]);
}

function dockerSource() {
  return z.enum(DOCKER_SOURCES, {
    error: `must be ${DOCKER_SOURCES.join(" or ")} (Docker's apt repository, or the distribution's docker.io)`,
  });
}

/** `setup_scripts[]`: application scripts run on the guest after its features, in order. */
function setupScripts() {
  return z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "must be a script name (lower-case letters, digits, '-', '_')"),
        source: relativePath("the project folder"),
        env: z
          .record(
            z.string().regex(VARIABLE_NAME, "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"),
            z.union(
              [
                z.string(),
                z.number(),
                z.boolean(),
                z.strictObject({ secret: z.string().regex(CONFIG_KEY, "must be a config key such as app_token") }),
              ],
              {
                error: "must be a string, number or boolean, or {secret: <config key>}",
              },
            ),
          )
          .default({}),
      }),
    )
    .default([])
    .refine((l) => new Set(l.map((x) => x.name)).size === l.length, { message: "must not name a script twice" });
}

/**
 * `firewall_rules[]`: a guest's own Proxmox firewall rules, applied after the ones phoenix derives (with
 * `phoenix:firewall`), in order. The bash system's per-guest `firewall.rules` have this shape.
 */
function firewallRulesSchema() {
  const addresses = z
    .string()
    .regex(/^[0-9./,]+$/, "must be IPv4 addresses or networks, comma-separated (10.0.0.12 or 10.0.0.0/24,10.0.0.13)");
  return z
    .array(
      z.strictObject({
        direction: z.enum(["in", "out"], { error: "must be in or out" }).default("in"),
        action: z.enum(["ACCEPT", "DROP", "REJECT"], { error: "must be ACCEPT, DROP or REJECT" }).default("ACCEPT"),
        proto: z.enum(["tcp", "udp", "icmp"], { error: "must be tcp, udp or icmp" }).optional(),
        port: z
          .string()
          .regex(
            /^\d{1,5}(:\d{1,5})?(,\d{1,5}(:\d{1,5})?)*$/,
            "must be ports or ranges, comma-separated (80,443 or 8000:8010)",
          )
          .optional(),
        source: addresses.optional(),
        dest: addresses.optional(),
        comment: z.string().max(256).optional(),
      }),
    )
    .default([]);
}

function guestCommon() {
  return {
    ...placement(),
    firewall_rules: firewallRulesSchema(),
    setup_scripts: setupScripts(),
    docker_source: dockerSource().optional(),
    adopt: z.boolean().default(false),
    tags: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9_][a-z0-9_+.-]*$/, "must be a Proxmox tag (lower-case letters, digits, '_', '-', '+', '.')"),
      )
      .default([]),
    description: z.string().max(8192).optional(),
    protection: z.boolean().default(false),
    up_delay: z.number().int().min(0).optional(),
    down_delay: z.number().int().min(0).optional(),
    name: z.string().regex(DNS_LABEL, "must be a DNS label: letters, digits and hyphens, at most 63 characters"),
    cores: z.number().int().min(1).max(512),
    memory_mb: z.number().int().min(64),
    disk_size_gb: z.number().int().min(1),
    start_at_boot: z.boolean().default(false),
    boot_order: z.number().int().min(0).optional(),
    features: features(),
    portainer_role: z.enum(["primary", "agent"]).optional(),
    network_config: networkConfig(),
    docker_stacks: dockerStacks(),
    snapshot: snapshotSchema().optional(),
  };
}

/** The snapshot phoenix takes of a guest once it is set up (Proxmox's name rule: pve-configid, at most 40). */
export const DEFAULT_SNAPSHOT_NAME = "phoenix-ready";

/** A guest's `snapshot`: taken once its setup and health checks pass, replaced when it is set up again. */
function snapshotSchema() {
  return z.strictObject({
    after_setup: z.boolean().default(true),
    name: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_-]{1,39}$/,
        "must be a Proxmox snapshot name: a letter, then letters, digits, '-' or '_' (2 to 40 characters)",
      )
      .refine((n) => n !== "current", { message: "must not be current (Proxmox's name for the running state)" })
      .default(DEFAULT_SNAPSHOT_NAME),
    /** VMs: save the RAM too (the VM resumes where it was on rollback). */
    include_memory: z.boolean().default(false),
    /** Keep the snapshot in Proxmox when it leaves the program or the stack is destroyed. */
    retain: z.boolean().default(false),
    description: z.string().max(8192).optional(),
  });
}

/** One entry of `phoenix:vms`. */
export function vmSchema() {
  return z.strictObject({
    vmid: z.number().int().min(100).max(999999999),
    clone_from_vmid: z.number().int().min(100).max(999999999),
    ...guestCommon(),
    cpu_type: z
      .string()
      .regex(/^[A-Za-z0-9_.+-]+$/, "must be a QEMU CPU type such as x86-64-v2-AES or host")
      .default(DEFAULT_CPU_TYPE),
    agent: z.boolean().default(false),
    machine: z
      .string()
      .regex(/^(q35|pc|pc-i440fx-[0-9.]+|pc-q35-[0-9.]+)(\+pve\d+)?$/, "must be a QEMU machine type such as q35 or pc")
      .optional(),
    disks: z
      .array(
        z.strictObject({
          interface: z
            .string()
            .regex(
              /^(scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|sata[0-5])$/,
              "must be a disk interface: scsi0-30, virtio0-15 or sata0-5",
            ),
          size_gb: z.number().int().min(1),
          datastore: storageId().optional(),
        }),
      )
      .default([]),
    gpus: z
      .array(
        z.strictObject({
          mapping: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, "must be the name of a Proxmox PCI resource mapping"),
          pcie: z.boolean().default(true),
        }),
      )
      .max(16)
      .default([]),
    user_config: z.strictObject({
      username: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a Linux user name"),
      ssh_public_key: z
        .string()
        .regex(/^(ssh|ecdsa)-[a-z0-9-]+ \S+/, "must be an OpenSSH public key")
        .optional(),
    }),
    volumes: z
      .array(
        z.strictObject({
          type: z.literal("nfs"),
          name: z.string().min(1),
          server: z.string().regex(HOSTNAME, "must be a host name or IPv4 address").optional(),
          path: absolutePath("the NFS export"),
          mount_point: absolutePath("inside the guest"),
        }),
      )
      .default([]),
  });
}

/** One entry of `phoenix:lxcs`. */
export function lxcSchema() {
  return z
    .strictObject({
      ctid: z.number().int().min(100).max(999999999),
      template: z
        .string()
        .regex(
          /^[A-Za-z0-9_-]+:vztmpl\/\S+$/,
          "must be a template volume id such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        )
        .optional(),
      clone_from_ctid: z.number().int().min(100).max(999999999).optional(),
      ...guestCommon(),
      os_type: z.enum(LXC_OS_TYPES, { error: `must be one of ${LXC_OS_TYPES.join(", ")}` }).optional(),
      unprivileged: z.boolean().default(true),
      mount_points: z
        .array(
          z.strictObject({
            host_path: absolutePath("on the Proxmox host"),
            path: absolutePath("inside the container"),
            read_only: z.boolean().default(false),
          }),
        )
        .default([]),
      devices: z
        .array(
          z.strictObject({
            path: z.string().regex(/^\/dev\/\S+$/, "must be a device path such as /dev/nvidia0"),
            mode: z
              .string()
              .regex(/^0?[0-7]{3}$/, "must be an octal mode such as 0666")
              .optional(),
          }),
        )
        .default([]),
      proxmox_features: z
        .strictObject({ nesting: z.boolean().default(false), keyctl: z.boolean().default(false) })
        .default({ nesting: false, keyctl: false }),
      user_config: z
        .strictObject({
          ssh_public_key: z
            .string()
            .regex(/^(ssh|ecdsa)-[a-z0-9-]+ \S+/, "must be an OpenSSH public key")
            .optional(),
        })
        .optional(),
    })
    .superRefine((c, rctx) => {
      if ((c.template === undefined) === (c.clone_from_ctid === undefined)) {
        rctx.addIssue({ code: "custom", message: "set exactly one of template or clone_from_ctid" });
      }
    });
}

/** `phoenix:portainer`: the Portainer CE server and its agents. */
export function portainerSchema(ctx: SecretContext) {
  return z.strictObject({
    version: z
      .string()
      .regex(PINNED_TAG, "must be a pinned image tag such as 2.27.9 (not latest)")
      .refine((v) => !PINNED_TAG.test(v) || compareVersions(v, MIN_PORTAINER_VERSION) >= 0, {
        message: `must be ${MIN_PORTAINER_VERSION} or later (older servers lack the stack API this project uses)`,
      }),
    admin_username: z.string().regex(/^\S+$/, "must be a non-empty user name without whitespace"),
    admin_password: secretField(ctx, "portainer", "portainer.admin_password").refine(
      (s) => !s.isDecrypted || s.reveal().length >= MIN_ADMIN_PASSWORD_LENGTH,
      { message: `must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters (Portainer's minimum)` },
    ),
    url: z
      .url({ protocol: /^https?$/, error: "must be an http or https URL such as http://10.0.0.101:9000" })
      .optional(),
    setup_token: secretField(ctx, "portainer", "portainer.setup_token").optional(),
    tls: z
      .strictObject({
        ca_cert: z.string().regex(PEM_CERT, "must be a PEM certificate (-----BEGIN CERTIFICATE-----)").optional(),
        insecure_skip_verify: z.boolean().default(false),
      })
      .refine((t) => !(t.ca_cert !== undefined && t.insecure_skip_verify), {
        message: "set either ca_cert or insecure_skip_verify, not both",
      })
      .optional(),
    agent_port: z.number().int().min(1).max(65535).default(9001),
    /**
     * Where the server keeps its data on the primary guest (bind-mounted as /data), e.g. below an NFS volume's
     * mount point, so that a replaced VM loses nothing; default a Docker volume on the VM's own disk.
     */
    data_path: absolutePath("on the primary guest")
      .refine((p) => p !== "/" && !p.endsWith("/") && !p.split("/").includes(".."), {
        message: "must be a directory below / without a trailing '/' or '..'",
      })
      .optional(),
  });
}

/**
 * `phoenix:guest_ssh`: the key pair phoenix uses to set guests up over SSH. The public key is added to
 * every guest (cloud-init user on VMs, root on LXCs); the private key is a secret.
 */
export function guestSshSchema(ctx: SecretContext) {
  return z.strictObject({
    public_key: z.string().regex(/^(ssh|ecdsa)-[a-z0-9-]+ \S+/, "must be an OpenSSH public key"),
    private_key: secretField(ctx, "guest_ssh", "guest_ssh.private_key").refine(
      (s) => !s.isDecrypted || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s.reveal()),
      { message: "must be a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)" },
    ),
  });
}

/** `phoenix:guest_setup`: site defaults for setting guests up. */
export function guestSetupSchema() {
  return z.strictObject({ docker_source: dockerSource().default("docker") });
}

/** `phoenix:environment`: the manifest environment used when an assignment names none. */
export function environmentSchema() {
  return z.string().regex(ENV_NAME, "must be an environment name (lower-case letters, digits, '-', '_')");
}

/**
 * `stacks/<name>/phoenix.json`: a Docker stack manifest. Plain JSON in, no transforms, so it publishes as JSON Schema.
 */
export function manifestSchema() {
  const variable = z.union(
    [
      z.strictObject({
        name: z.string().regex(VARIABLE_NAME, "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"),
        value: z.union([z.string(), z.number(), z.boolean()]),
      }),
      z.strictObject({
        name: z.string().regex(VARIABLE_NAME, "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"),
        secret: z.string().regex(CONFIG_KEY, "must be a config key such as qdrant_api_key"),
      }),
    ],
    { error: "must be {name, value} or {name, secret} (secret names a config key holding a secret)" },
  );
  const file = z.strictObject({
    source: relativePath(),
    destination: absolutePath("inside the container"),
    service: z.string().min(1).optional(),
  });
  return z
    .strictObject({
      $schema: z.string().optional(),
      name: z.string().regex(STACK_NAME, "must be a normalised stack name (lower-case letters, digits, '-', '_')"),
      description: z.string().optional(),
      compose_file: relativePath(),
      environments: z
        .record(
          z.string().regex(ENV_NAME, "must be an environment name (lower-case letters, digits, '-', '_')"),
          z.strictObject({
            variables: z.array(variable).default([]),
            files: z.array(file).default([]),
          }),
        )
        .refine((e) => Object.keys(e).length > 0, { message: "must define at least one environment" }),
      traefik_service: z
        .strictObject({
          service: z.string().min(1),
          host: z.string().regex(HOSTNAME, "must be a host name such as qdrant.internal.example.com"),
          port: z.number().int().min(1).max(65535),
          entrypoints: z
            .array(z.string().regex(/^[A-Za-z0-9_-]+$/))
            .min(1)
            .default(["websecure"]),
          tls: z.boolean().default(true),
        })
        .optional(),
    })
    .meta({
      title: "phoenix stack manifest",
      description:
        "A Docker Compose stack deployed through Portainer: stacks/<name>/phoenix.json beside its compose file.",
    });
}

const TRAEFIK_TAG = /^v\d+\.\d+\.\d+$/;
const ENTRYPOINT = /^[A-Za-z0-9_-]+$/;

function guestName() {
  return z.string().regex(DNS_LABEL, "must be the name of a guest in phoenix:vms or phoenix:lxcs");
}

/**
 * `phoenix:gateways`: the Nginx gateway (the names users reach, proxied to Traefik or to Portainer) and the
 * Traefik gateway (a router per manifest's `traefik_service`). Both run on guests of the site.
 */
export function gatewaysSchema() {
  return z
    .strictObject({
      nginx: z
        .strictObject({
          guest: guestName(),
          /** The Portainer UI's name, proxied to the Portainer server (e.g. portainer.phoenix.local). */
          portainer_host: z.string().regex(HOSTNAME, "must be a host name such as portainer.phoenix.local").optional(),
          /** The stacks' hosts this gateway serves; default every deployed `traefik_service.host`. */
          hosts: z.array(z.string().regex(HOSTNAME, "must be a host name such as qdrant.phoenix.local")).optional(),
        })
        .optional(),
      traefik: z
        .strictObject({
          guest: guestName(),
          version: z
            .string()
            .regex(TRAEFIK_TAG, "must be a pinned Traefik release tag such as v3.3.6 (not latest)")
            .default(DEFAULT_TRAEFIK_VERSION),
          /** Where Traefik's dynamic configuration lives on the guest (watched by its file provider). */
          dynamic_dir: absolutePath("on the Traefik guest").default("/etc/traefik/dynamic"),
          /** Entry point name to port. */
          entrypoints: z
            .record(
              z.string().regex(ENTRYPOINT, "must be an entry point name (letters, digits, '-', '_')"),
              z.number().int().min(1).max(65535),
            )
            .default({ web: 80, websecure: 443 }),
        })
        .optional(),
    })
    .refine((g) => g.nginx !== undefined || g.traefik !== undefined, {
      message: "must configure nginx, traefik or both",
    });
}

/**
 * `phoenix:certificates`: phoenix's internal certificate authority and the certificates it issues (Portainer's
 * server, the gateways' names), renewed by a plain `up` once fewer than `renew_before_days` remain; or your own
 * certificate and key for a name the Nginx gateway serves.
 */
export function certificatesSchema(ctx: SecretContext) {
  return z
    .strictObject({
      ca_common_name: z.string().min(1).max(64).default("phoenix internal CA"),
      ca_validity_days: z.number().int().min(30).max(36500).default(3650),
      validity_days: z.number().int().min(1).max(825).default(365),
      renew_before_days: z.number().int().min(0).default(30),
      custom: z
        .record(
          z.string().regex(HOSTNAME, "must be a host name the Nginx gateway serves"),
          z.strictObject({
            certificate: z.string().regex(PEM_CERT, "must be a PEM certificate (-----BEGIN CERTIFICATE-----)"),
            private_key: secretField(ctx, "certificates", "certificates.custom.<host>.private_key").refine(
              (s) => !s.isDecrypted || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s.reveal()),
              { message: "must be a PEM private key (-----BEGIN ... PRIVATE KEY-----)" },
            ),
          }),
        )
        .default({}),
    })
    .refine((c) => c.renew_before_days < c.validity_days, {
      path: ["renew_before_days"],
      message: "must be less than validity_days (or every up would renew)",
    });
}

/** `phoenix:dns`: internal names served by dnsmasq on a guest (by default the Nginx gateway's). */
export function dnsSchema() {
  return z.strictObject({
    guest: guestName().optional(),
    /** The domain guests' names are published under; default `proxmox.dns.domain`. */
    domain: z.string().regex(HOSTNAME, "must be a DNS domain such as phoenix.local").optional(),
    /** Where other names are forwarded; default `proxmox.dns.servers`. */
    upstream: z
      .array(z.ipv4({ error: "must be an IPv4 address" }))
      .min(1)
      .optional(),
  });
}

/**
 * `phoenix:firewall` (opt-in): the Proxmox firewall of every guest, with rules derived from the site. Inbound is
 * dropped but for what the site needs; `admin_networks` are where phoenix and its operators run from.
 */
export function firewallSchema() {
  const networks = () =>
    z.array(z.cidrv4({ error: "must be an IPv4 network with a prefix length, e.g. 10.0.0.0/24" })).min(1);
  return z.strictObject({
    enabled: z.boolean().default(true),
    /** SSH to every guest and the Portainer API: phoenix itself runs from one of these. */
    admin_networks: networks(),
    /** Who may reach the Nginx gateway's 80/443 (and its DNS); default the admin networks. */
    client_networks: networks().optional(),
  });
}

/** Proxmox storage content types (pve-storage `content`). */
export const STORAGE_CONTENTS = ["images", "rootdir", "iso", "vztmpl", "snippets", "backup", "import"] as const;

/** File names Proxmox accepts for `import` content (pve-storage: `.ova`, `.ovf`, `.qcow2`, `.raw`, `.vmdk`). */
const IMPORT_FILE = /\.(qcow2|raw|vmdk|ova|ovf)$/;
const ZFS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)+$/;
const PRIVILEGE = /^[A-Z][A-Za-z]*(\.[A-Z][A-Za-z]*)+$/;

/** A key the schema refuses with a reason: phoenix never does what could destroy data. */
function refused(message: string) {
  return z
    .unknown()
    .superRefine((_, c) => c.addIssue({ code: "custom", message }))
    .optional();
}

function storageContents() {
  return z
    .array(z.enum(STORAGE_CONTENTS, { error: `must be one of ${STORAGE_CONTENTS.join(", ")}` }))
    .min(1)
    .refine((l) => new Set(l).size === l.length, { message: "must not list a content type twice" });
}

/**
 * `phoenix:hypervisor`: what the Proxmox node itself must have before any guest (the bash system's
 * `phoenix setup`): ZFS datasets (created if missing, never destroyed), the NFS exports of the guests'
 * volumes, storages, downloaded images and templates, users, roles, tokens and pools. Creating pools on disks
 * or wiping anything is refused: phoenix only adds to a host.
 */
export function hypervisorSchema() {
  const storageCommon = {
    id: storageId(),
    content: storageContents(),
    /** Nodes the storage is on; default all. */
    nodes: z.array(z.string().regex(DNS_LABEL, "must be a Proxmox node name")).optional(),
  };
  return z.strictObject({
    zfs_datasets: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(ZFS_NAME, "must be a dataset inside an existing pool, such as quickOS/vm-persistent-data"),
          /** `zfs set` properties kept converged (compression, recordsize, mountpoint...). */
          properties: z
            .record(
              z.string().regex(/^[a-z][a-z0-9_:.]*$/, "must be a ZFS property name such as compression"),
              z.string().regex(/^[A-Za-z0-9_.:/@+-]+$/, "must be a ZFS property value such as lz4 or 128K"),
            )
            .default({}),
        }),
      )
      .default([])
      .refine((l) => new Set(l.map((d) => d.name)).size === l.length, { message: "must not name a dataset twice" }),
    nfs: z
      .strictObject({
        /** The export options of every guest's volume (exports(5)). */
        options: z
          .string()
          .regex(/^[a-z_]+(=[A-Za-z0-9_:.]+)?(,[a-z_]+(=[A-Za-z0-9_:.]+)?)*$/, "must be exports(5) options")
          .default("rw,sync,no_subtree_check,no_root_squash"),
      })
      .default({ options: "rw,sync,no_subtree_check,no_root_squash" }),
    storages: z
      .array(
        z.discriminatedUnion(
          "type",
          [
            z.strictObject({ type: z.literal("dir"), ...storageCommon, path: absolutePath("on the node") }),
            z.strictObject({
              type: z.literal("nfs"),
              ...storageCommon,
              server: z.string().regex(HOSTNAME, "must be a host name or IPv4 address"),
              export: absolutePath("the NFS export"),
              options: z.string().optional(),
            }),
            z.strictObject({
              type: z.literal("zfspool"),
              ...storageCommon,
              pool: z
                .string()
                .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, "must be an existing pool or dataset such as rpool/data"),
              thin_provision: z.boolean().default(true),
            }),
          ],
          { error: "must have type dir, nfs or zfspool" },
        ),
      )
      .default([])
      .refine((l) => new Set(l.map((x) => x.id)).size === l.length, { message: "must not name a storage twice" }),
    downloads: z
      .array(
        z
          .strictObject({
            url: z.url({ protocol: /^https$/, error: "must be an https URL" }),
            storage: storageId(),
            content_type: z.enum(["iso", "vztmpl", "import"], { error: "must be iso, vztmpl or import" }),
            file_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/, "must be a file name without a folder"),
            checksum: z
              .string()
              .regex(/^[0-9a-f]{32,128}$/, "must be a hex digest")
              .optional(),
            checksum_algorithm: z.enum(["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]).optional(),
          })
          .refine((d) => d.content_type !== "import" || IMPORT_FILE.test(d.file_name), {
            path: ["file_name"],
            message: "must end in .qcow2, .raw, .vmdk, .ova or .ovf for import content (Proxmox's rule)",
          })
          .refine((d) => (d.checksum === undefined) === (d.checksum_algorithm === undefined), {
            path: ["checksum"],
            message: "checksum and checksum_algorithm go together",
          }),
      )
      .default([]),
    roles: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a role name such as PhoenixDeploy"),
          privileges: z.array(z.string().regex(PRIVILEGE, "must be a Proxmox privilege such as VM.Allocate")).min(1),
        }),
      )
      .default([]),
    pools: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be a pool name"),
          comment: z.string().optional(),
        }),
      )
      .default([]),
    users: z
      .array(
        z.strictObject({
          id: z.string().regex(PVE_USER, "must be a Proxmox user such as phoenix@pve"),
          comment: z.string().optional(),
          enabled: z.boolean().default(true),
          /** Permissions: a role on a path (`/`, `/vms/1001`, `/storage/local-zfs`, `/pool/phoenix`). */
          acls: z
            .array(
              z.strictObject({
                path: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, "must be a Proxmox ACL path such as / or /vms/1001"),
                role: z.string().min(1),
                propagate: z.boolean().default(true),
              }),
            )
            .default([]),
          /** API tokens; their values are secret outputs (`hypervisorTokens`), shown only at creation. */
          tokens: z
            .array(
              z.strictObject({
                name: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/, "must be a token name such as deploy"),
                comment: z.string().optional(),
                privilege_separation: z.boolean().default(true),
              }),
            )
            .default([]),
        }),
      )
      .default([]),
    /**
     * Datacenter-wide firewall rules (the bash system's `global_firewall_rules`), with `phoenix:firewall`: they apply
     * to every guest whose firewall is on, before its own.
     */
    firewall_rules: firewallRulesSchema(),
    zfs_pools: refused(
      "is refused: creating a ZFS pool on disks can destroy their data; create it on the node " +
        "(zpool create) and list its datasets under zfs_datasets",
    ),
    disks: refused("is refused: phoenix never partitions or wipes disks"),
    wipe: refused("is refused: phoenix never wipes disks or datasets"),
  });
}

/**
 * `phoenix:templates`: template VMs phoenix builds itself (as the bash system built VM 9000 from Ubuntu's cloud
 * image): the image downloaded to an `import` storage, imported as the boot disk, with a cloud-init drive and
 * the QEMU agent option on. Guests clone them with `clone_from_vmid`.
 */
export function templatesSchema() {
  return z.array(
    z.strictObject({
      vmid: z.number().int().min(100).max(999999999),
      name: z.string().regex(DNS_LABEL, "must be a DNS label: letters, digits and hyphens"),
      image: z
        .strictObject({
          url: z.url({ protocol: /^https$/, error: "must be an https URL" }),
          /** Where it is downloaded: a storage with `import` content (`local` on a default install). */
          storage: storageId().default("local"),
          file_name: z
            .string()
            .regex(IMPORT_FILE, "must end in .qcow2, .raw, .vmdk, .ova or .ovf (Proxmox's rule for import content)"),
          checksum: z
            .string()
            .regex(/^[0-9a-f]{32,128}$/, "must be a hex digest")
            .optional(),
          checksum_algorithm: z.enum(["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]).optional(),
        })
        .refine((d) => (d.checksum === undefined) === (d.checksum_algorithm === undefined), {
          path: ["checksum"],
          message: "checksum and checksum_algorithm go together",
        }),
      /** The template's disks and cloud-init drive; default `phoenix:proxmox.datastore`. */
      datastore: storageId().optional(),
      disk_size_gb: z.number().int().min(1).default(20),
      cores: z.number().int().min(1).max(512).default(2),
      memory_mb: z.number().int().min(64).default(2048),
      cpu_type: z
        .string()
        .regex(/^[A-Za-z0-9_.+-]+$/, "must be a QEMU CPU type such as x86-64-v2-AES or host")
        .default(DEFAULT_CPU_TYPE),
      bridge: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/, "must be a Linux bridge name such as vmbr0")
        .optional(),
      /** The QEMU agent option (the image must start qemu-guest-agent; phoenix's base_setup installs it). */
      agent: z.boolean().default(true),
      description: z.string().max(8192).optional(),
    }),
  );
}

export type HypervisorConfig = z.output<ReturnType<typeof hypervisorSchema>>;
export type TemplateConfig = z.output<ReturnType<typeof templatesSchema>>[number];
export type SnapshotConfig = z.output<ReturnType<typeof snapshotSchema>>;

export type GatewaysConfig = z.output<ReturnType<typeof gatewaysSchema>>;
export type CertificatesConfig = z.output<ReturnType<typeof certificatesSchema>>;
export type DnsConfig = z.output<ReturnType<typeof dnsSchema>>;
export type FirewallConfig = z.output<ReturnType<typeof firewallSchema>>;
export type ProxmoxConfig = z.output<ReturnType<typeof proxmoxSchema>>;
export type VmConfig = z.output<ReturnType<typeof vmSchema>>;
export type LxcConfig = z.output<ReturnType<typeof lxcSchema>>;
export type PortainerConfig = z.output<ReturnType<typeof portainerSchema>>;
export type GuestSshConfig = z.output<ReturnType<typeof guestSshSchema>>;
export type GuestSetupConfig = z.output<ReturnType<typeof guestSetupSchema>>;
export type Manifest = z.output<ReturnType<typeof manifestSchema>>;
export type ManifestVariable = Manifest["environments"][string]["variables"][number];
