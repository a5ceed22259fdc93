// Proves, under pulumi.runtime.setMocks with the example stacks' real configuration (decrypted with the
// example passphrase): the exact resources Site registers for prod and dev (type, name, parent), their key
// inputs (clone source, sizes, IPs, agent URLs, stack env per environment, rendered compose with Traefik
// labels), secrets marked secret, and the dependency edges that order a `pulumi up`.
// Does not prove: what Proxmox, Docker or Portainer do with these inputs (nothing real runs here).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { Site, stackUrn } from "../../components/site";
import { decryptStackFile, toRuntimeConfig } from "../../config/sources";
import { validateSite, type SiteConfig } from "../../config/validate";
import { isSecret } from "../harness/engine";
import { recordResources, valueOf, type Recorded } from "../helpers/program";
import { EXAMPLE_STACKS, PROJECT_DIR, SECRET_KEYS, rawConfig, validValues } from "../helpers/site";

type Inputs = Record<string, unknown>;

function siteConfigOf(stack: string): { site: SiteConfig; runtime: ReturnType<typeof toRuntimeConfig> } {
  const raw = decryptStackFile(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "phoenix-example");
  const r = validateSite(raw, { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { site: r.site, runtime: toRuntimeConfig(raw) };
}

async function build(stack: string): Promise<{ resources: Recorded[]; site: Site }> {
  const { site: config, runtime } = siteConfigOf(stack);
  let site!: Site;
  const resources = await recordResources(
    (opts) => {
      site = new Site("phoenix", { config }, opts);
    },
    runtime,
    stack,
  );
  return { resources, site };
}

const find = (rs: Recorded[], type: string, name: string) => {
  const r = rs.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const unwrap = (v: unknown): unknown => (isSecret(v) ? v.value : v);

describe("Site for Pulumi.prod.yaml", () => {
  let rs: Recorded[];
  let site: Site;
  beforeAll(async () => ({ resources: rs, site } = await build("prod")), 60_000);

  it("registers exactly these resources", () => {
    expect(rs.map((r) => [r.type, r.name, r.parent ?? null])).toEqual([
      ["phoenix:index:Site", "phoenix", null],
      ["pulumi:providers:proxmoxve", "phoenix-proxmox", "phoenix"],
      ["phoenix:proxmox:Vm", "phoenix-vm-1001", "phoenix"],
      ["proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1001", "phoenix-vm-1001"],
      ["phoenix:guest:Setup", "phoenix-vm-1001-setup", "phoenix"],
      ["command:remote:Command", "phoenix-vm-1001-setup-base", "phoenix-vm-1001-setup"],
      ["command:remote:Command", "phoenix-vm-1001-setup-docker", "phoenix-vm-1001-setup"],
      ["command:remote:Command", "phoenix-vm-1001-setup-health", "phoenix-vm-1001-setup"],
      ["pulumi:providers:docker", "phoenix-vm-1001-setup-docker-provider", "phoenix-vm-1001-setup"],
      ["phoenix:proxmox:Vm", "phoenix-vm-1002", "phoenix"],
      ["proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1002", "phoenix-vm-1002"],
      ["phoenix:guest:Setup", "phoenix-vm-1002-setup", "phoenix"],
      ["command:remote:Command", "phoenix-vm-1002-setup-base", "phoenix-vm-1002-setup"],
      ["command:remote:Command", "phoenix-vm-1002-setup-docker", "phoenix-vm-1002-setup"],
      ["command:remote:Command", "phoenix-vm-1002-setup-health", "phoenix-vm-1002-setup"],
      ["pulumi:providers:docker", "phoenix-vm-1002-setup-docker-provider", "phoenix-vm-1002-setup"],
      ["phoenix:proxmox:Vm", "phoenix-vm-1003", "phoenix"],
      ["proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1003", "phoenix-vm-1003"],
      ["phoenix:guest:Setup", "phoenix-vm-1003-setup", "phoenix"],
      ["command:remote:Command", "phoenix-vm-1003-setup-base", "phoenix-vm-1003-setup"],
      ["command:remote:Command", "phoenix-vm-1003-setup-docker", "phoenix-vm-1003-setup"],
      ["command:remote:Command", "phoenix-vm-1003-setup-health", "phoenix-vm-1003-setup"],
      ["pulumi:providers:docker", "phoenix-vm-1003-setup-docker-provider", "phoenix-vm-1003-setup"],
      ["phoenix:proxmox:Lxc", "phoenix-lxc-101", "phoenix"],
      ["proxmoxve:index/containerLegacy:ContainerLegacy", "phoenix-lxc-101", "phoenix-lxc-101"],
      ["phoenix:guest:Setup", "phoenix-lxc-101-setup", "phoenix"],
      ["command:remote:Command", "phoenix-lxc-101-setup-base", "phoenix-lxc-101-setup"],
      ["command:remote:Command", "phoenix-lxc-101-setup-health", "phoenix-lxc-101-setup"],
      ["phoenix:proxmox:GuestFirewall", "phoenix-vm-1001-firewall", "phoenix"],
      ["proxmoxve:firewall/rulesLegacy:RulesLegacy", "phoenix-vm-1001-firewall-rules", "phoenix-vm-1001-firewall"],
      [
        "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
        "phoenix-vm-1001-firewall-options",
        "phoenix-vm-1001-firewall",
      ],
      ["phoenix:proxmox:GuestFirewall", "phoenix-vm-1002-firewall", "phoenix"],
      ["proxmoxve:firewall/rulesLegacy:RulesLegacy", "phoenix-vm-1002-firewall-rules", "phoenix-vm-1002-firewall"],
      [
        "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
        "phoenix-vm-1002-firewall-options",
        "phoenix-vm-1002-firewall",
      ],
      ["phoenix:proxmox:GuestFirewall", "phoenix-vm-1003-firewall", "phoenix"],
      ["proxmoxve:firewall/rulesLegacy:RulesLegacy", "phoenix-vm-1003-firewall-rules", "phoenix-vm-1003-firewall"],
      [
        "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
        "phoenix-vm-1003-firewall-options",
        "phoenix-vm-1003-firewall",
      ],
      ["phoenix:proxmox:GuestFirewall", "phoenix-lxc-101-firewall", "phoenix"],
      ["proxmoxve:firewall/rulesLegacy:RulesLegacy", "phoenix-lxc-101-firewall-rules", "phoenix-lxc-101-firewall"],
      [
        "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
        "phoenix-lxc-101-firewall-options",
        "phoenix-lxc-101-firewall",
      ],
      ["phoenix:pki:Certificates", "phoenix-certificates", "phoenix"],
      ["tls:index/privateKey:PrivateKey", "phoenix-certificates-ca-key", "phoenix-certificates"],
      ["tls:index/selfSignedCert:SelfSignedCert", "phoenix-certificates-ca", "phoenix-certificates"],
      ["tls:index/privateKey:PrivateKey", "phoenix-certificates-portainer-key", "phoenix-certificates"],
      ["tls:index/certRequest:CertRequest", "phoenix-certificates-portainer-csr", "phoenix-certificates"],
      ["tls:index/locallySignedCert:LocallySignedCert", "phoenix-certificates-portainer", "phoenix-certificates"],
      ["tls:index/privateKey:PrivateKey", "phoenix-certificates-nginx-key", "phoenix-certificates"],
      ["tls:index/certRequest:CertRequest", "phoenix-certificates-nginx-csr", "phoenix-certificates"],
      ["tls:index/locallySignedCert:LocallySignedCert", "phoenix-certificates-nginx", "phoenix-certificates"],
      ["tls:index/privateKey:PrivateKey", "phoenix-certificates-traefik-key", "phoenix-certificates"],
      ["tls:index/certRequest:CertRequest", "phoenix-certificates-traefik-csr", "phoenix-certificates"],
      ["tls:index/locallySignedCert:LocallySignedCert", "phoenix-certificates-traefik", "phoenix-certificates"],
      ["phoenix:gateway:Gateways", "phoenix-gateway", "phoenix"],
      ["command:remote:Command", "phoenix-gateway-nginx-certificates", "phoenix-gateway"],
      ["command:remote:Command", "phoenix-gateway-nginx-config", "phoenix-gateway"],
      ["command:remote:Command", "phoenix-gateway-traefik-certificates", "phoenix-gateway"],
      ["command:remote:Command", "phoenix-gateway-traefik-config", "phoenix-gateway"],
      ["docker:index/remoteImage:RemoteImage", "phoenix-gateway-traefik-image", "phoenix-gateway"],
      ["docker:index/container:Container", "phoenix-gateway-traefik", "phoenix-gateway"],
      ["command:remote:Command", "phoenix-gateway-dnsmasq-config", "phoenix-gateway"],
      ["random:index/randomPassword:RandomPassword", "phoenix-agent-secret", "phoenix"],
      ["phoenix:portainer:Server", "phoenix-portainer", "phoenix"],
      ["docker:index/remoteImage:RemoteImage", "phoenix-portainer-image", "phoenix-portainer"],
      ["command:remote:Command", "phoenix-portainer-certificates", "phoenix-portainer"],
      ["docker:index/volume:Volume", "phoenix-portainer-data", "phoenix-portainer"],
      ["docker:index/container:Container", "phoenix-portainer", "phoenix-portainer"],
      ["time:index/static:Static", "phoenix-portainer-started", "phoenix-portainer"],
      ["pulumi-nodejs:dynamic/portainer:Admin", "phoenix-portainer-admin", "phoenix-portainer"],
      ["pulumi-nodejs:dynamic/portainer:ApiKey", "phoenix-portainer-api-key", "phoenix-portainer"],
      ["phoenix:portainer:Agent", "phoenix-agent-vm-1002", "phoenix"],
      ["docker:index/remoteImage:RemoteImage", "phoenix-agent-vm-1002-image", "phoenix-agent-vm-1002"],
      ["docker:index/container:Container", "phoenix-agent-vm-1002", "phoenix-agent-vm-1002"],
      ["command:remote:Command", "phoenix-agent-vm-1002-health", "phoenix-agent-vm-1002"],
      ["pulumi-nodejs:dynamic/portainer:Environment", "phoenix-agent-vm-1002-environment", "phoenix-agent-vm-1002"],
      ["phoenix:portainer:DockerStack", "phoenix-stack-qdrant_service-vm-1002", "phoenix"],
      [
        "pulumi-nodejs:dynamic/portainer:Stack",
        "phoenix-stack-qdrant_service-vm-1002",
        "phoenix-stack-qdrant_service-vm-1002",
      ],
    ]);
  });

  it("clones the VMs from template 9000 with their sizes, addresses, user and boot order", () => {
    // CONTRACT.md section 6: named datastores (1), cpu type and ballooning kept (3), a fixed name (4),
    // no agent the template lacks, and a stop on destroy (5), DNS set (6).
    expect(find(rs, "proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1001").inputs).toEqual({
      nodeName: "phoenix",
      vmId: 1001,
      name: "Portainer",
      tags: ["phoenix"],
      protection: true,
      clone: { vmId: 9000, full: true, datastoreId: "local-zfs" },
      cpu: { cores: 4, type: "x86-64-v2-AES" },
      memory: { dedicated: 8192, floating: 8192 },
      disks: [{ interface: "scsi0", datastoreId: "local-zfs", size: 32, discard: "on" }],
      // phoenix:firewall is on: the NIC's firewall flag, without which Proxmox ignores the guest's rules.
      networkDevices: [{ bridge: "vmbr0", model: "virtio", firewall: true }],
      initialization: {
        datastoreId: "local-zfs",
        dns: { servers: ["10.0.0.1"], domain: "phoenix.local" },
        ipConfigs: [{ ipv4: { address: "10.0.0.101/24", gateway: "10.0.0.1" } }],
        userAccount: {
          username: "phoenix_user",
          keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJVw98GoDVa33YZQmirS7nUFpJSm9ISWkxPZXCFGu1QJ phoenix-example"],
        },
      },
      agent: { enabled: false },
      stopOnDestroy: true,
      onBoot: true,
      startup: { order: 1 },
      started: true,
    });
    expect(find(rs, "proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1002").inputs).toMatchObject({
      vmId: 1002,
      name: "Dr-Phoenix",
      memory: { dedicated: 4096, floating: 4096 },
      disks: [{ size: 64 }],
      startup: { order: 2 },
    });
  });

  it("replaces guests delete-first (fixed VMIDs) and sets a replaced guest up again", () => {
    expect(find(rs, "proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1001").options).toEqual({
      deleteBeforeReplace: true,
      ignoreChanges: [],
      import: undefined,
      replaceWith: [],
      // protection: true in the example: Pulumi's protect as well as Proxmox's flag.
      protect: true,
    });
    expect(find(rs, "command:remote:Command", "phoenix-vm-1001-setup-base").options.replaceWith).toEqual([
      "VmLegacy:phoenix-vm-1001",
    ]);
    expect(find(rs, "command:remote:Command", "phoenix-vm-1001-setup-docker").options.replaceWith).toEqual([
      "VmLegacy:phoenix-vm-1001",
    ]);
  });

  it("sets guests up over SSH with the secret key, mounting the NFS volume of VM 1001", () => {
    const base = find(rs, "command:remote:Command", "phoenix-vm-1001-setup-base").inputs;
    expect(unwrap(base["connection"])).toMatchObject({ host: "10.0.0.101", user: "phoenix_user", dialErrorLimit: 30 });
    expect(isSecret((unwrap(base["connection"]) as Inputs)["privateKey"]) || isSecret(base["connection"])).toBe(true);
    expect(base["create"]).toContain(
      "'10.0.0.13:/quickOS/vm-persistent-data/1001 /persistent-storage nfs defaults,_netdev 0 0'",
    );
    expect(base["create"]).toContain("qemu-guest-agent");
    expect(find(rs, "command:remote:Command", "phoenix-vm-1001-setup-docker").inputs["create"]).toContain(
      "docker-ce docker-ce-cli containerd.io docker-compose-plugin",
    );
  });

  it("runs the pinned Portainer image with a retained data volume, port 9443 and the agent secret", () => {
    expect(find(rs, "docker:index/remoteImage:RemoteImage", "phoenix-portainer-image").inputs).toMatchObject({
      name: "portainer/portainer-ce:2.27.9",
      keepLocally: true,
    });
    const c = find(rs, "docker:index/container:Container", "phoenix-portainer").inputs;
    expect(c).toMatchObject({ name: "portainer", restart: "always", ports: [{ internal: 9443, external: 9443 }] });
    expect(isSecret(c["envs"])).toBe(true);
    expect(unwrap(c["envs"])).toEqual(["AGENT_SECRET=mocked-agent-secret"]);
    expect(find(rs, "docker:index/volume:Volume", "phoenix-portainer-data").inputs).toEqual({ name: "portainer_data" });
    const admin = find(rs, "pulumi-nodejs:dynamic/portainer:Admin", "phoenix-portainer-admin").inputs;
    expect([
      admin["url"],
      admin["username"],
      admin["insecureSkipVerify"],
      admin["waitSeconds"],
      isSecret(admin["password"]),
      unwrap(admin["password"]),
    ]).toEqual(["https://10.0.0.101:9443", "admin", false, 300, true, "example-prod-admin-password"]);
    // Portainer serves phoenix's certificate (written to the guest first, mounted read-only), and phoenix verifies
    // it against phoenix's CA; a new certificate replaces the container (its fingerprint is a label).
    expect(unwrap(admin["caCert"])).toBe(
      "-----BEGIN CERTIFICATE-----\nmock-phoenix-certificates-ca\n-----END CERTIFICATE-----\n",
    );
    expect([c["command"], c["volumes"]]).toEqual([
      ["--sslcert", "/certs/portainer.crt", "--sslkey", "/certs/portainer.key"],
      [
        { volumeName: "portainer_data", containerPath: "/data" },
        { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" },
        { hostPath: "/etc/phoenix/certs", containerPath: "/certs", readOnly: true },
      ],
    ]);
    const portainerCert =
      "-----BEGIN CERTIFICATE-----\nmock-phoenix-certificates-portainer\n-----END CERTIFICATE-----\n";
    expect(unwrap(c["labels"])).toEqual([
      { label: "phoenix.certificate.sha256", value: crypto.createHash("sha256").update(portainerCert).digest("hex") },
    ]);
    const files = find(rs, "command:remote:Command", "phoenix-portainer-certificates").inputs;
    expect(isSecret(files["create"])).toBe(true);
    expect(unwrap(files["create"])).toContain("/etc/phoenix/certs/portainer.key");
    expect(unwrap(files["create"])).toContain("mock-phoenix-certificates-portainer-key");
    // The long start-up wait is keyed to the container: a new container id replaces the timestamp.
    expect(find(rs, "time:index/static:Static", "phoenix-portainer-started").inputs).toEqual({
      triggers: { container: "phoenix-portainer-id" },
    });
    expect(admin["startedAt"]).toBe(1764633600);
  });

  it("runs the agent and registers it at tcp://10.0.0.102:9001", () => {
    expect(find(rs, "docker:index/container:Container", "phoenix-agent-vm-1002").inputs).toMatchObject({
      name: "portainer_agent",
      ports: [{ internal: 9001, external: 9001 }],
    });
    const env = find(rs, "pulumi-nodejs:dynamic/portainer:Environment", "phoenix-agent-vm-1002-environment").inputs;
    expect([env["name"], env["kind"], env["url"], isSecret(env["connection"])]).toEqual([
      "Dr-Phoenix",
      "agent",
      "tcp://10.0.0.102:9001",
      true,
    ]);
    expect(unwrap(env["connection"])).toEqual({
      url: "https://10.0.0.101:9443",
      apiKey: "ptr_mocked-api-key",
      caCert: "-----BEGIN CERTIFICATE-----\nmock-phoenix-certificates-ca\n-----END CERTIFICATE-----\n",
      insecureSkipVerify: false,
    });
  });

  it("deploys qdrant_service with its production env, secret key kept secret, and Traefik labels", () => {
    const s = find(rs, "pulumi-nodejs:dynamic/portainer:Stack", "phoenix-stack-qdrant_service-vm-1002").inputs;
    expect([s["name"], s["type"], s["endpointId"]]).toEqual(["qdrant_service", "standalone", 1]);
    expect(isSecret(s["env"])).toBe(true);
    expect(unwrap(s["env"])).toEqual([
      { name: "QDRANT_LOG_LEVEL", value: "INFO" },
      { name: "QDRANT_API_KEY", value: "example-prod-qdrant-key" },
    ]);
    const compose = parse(s["composeContent"] as string) as {
      services: { qdrant: { labels: Record<string, string>; configs: unknown[] } };
      configs: Record<string, { content: string }>;
    };
    expect(compose.services.qdrant.labels).toEqual({
      "traefik.enable": "true",
      "traefik.http.routers.qdrant-service.rule": "Host(`qdrant.internal.thinkheads.ai`)",
      "traefik.http.routers.qdrant-service.entrypoints": "websecure",
      "traefik.http.routers.qdrant-service.tls": "true",
      "traefik.http.services.qdrant-service.loadbalancer.server.port": "6333",
    });
    expect(compose.services.qdrant.configs).toEqual([
      { source: "phoenix_0_production_yaml", target: "/qdrant/config/local.yaml" },
    ]);
    expect(compose.configs["phoenix_0_production_yaml"]!.content).toContain("default_segment_number: 4");
  });

  it("orders the graph: guest -> setup -> containers -> admin -> API key; agent -> environment -> stack", () => {
    const deps = (type: string, name: string) => find(rs, type, name).dependsOn;
    expect(deps("phoenix:guest:Setup", "phoenix-vm-1002-setup")).toEqual(["Vm:phoenix-vm-1002"]);
    expect(deps("docker:index/container:Container", "phoenix-portainer")).toEqual([
      "Setup:phoenix-vm-1001-setup",
      "Command:phoenix-portainer-certificates",
    ]);
    expect(deps("pulumi-nodejs:dynamic/portainer:Admin", "phoenix-portainer-admin")).toEqual([
      "Container:phoenix-portainer",
    ]);
    expect(deps("pulumi-nodejs:dynamic/portainer:ApiKey", "phoenix-portainer-api-key")).toEqual([
      "Admin:phoenix-portainer-admin",
    ]);
    expect(deps("docker:index/container:Container", "phoenix-agent-vm-1002")).toEqual(["Setup:phoenix-vm-1002-setup"]);
    expect(deps("pulumi-nodejs:dynamic/portainer:Environment", "phoenix-agent-vm-1002-environment")).toEqual([
      "Container:phoenix-agent-vm-1002",
      "Command:phoenix-agent-vm-1002-health",
    ]);
    expect(deps("command:remote:Command", "phoenix-agent-vm-1002-health")).toEqual(["Container:phoenix-agent-vm-1002"]);
    expect(deps("pulumi-nodejs:dynamic/portainer:Stack", "phoenix-stack-qdrant_service-vm-1002")).toEqual([
      "Environment:phoenix-agent-vm-1002-environment",
    ]);
    expect(deps("command:remote:Command", "phoenix-vm-1001-setup-docker")).toEqual([
      "Command:phoenix-vm-1001-setup-base",
    ]);
  });

  it("names each stack so that plan's --target URN points at it", () => {
    const urn = stackUrn("prod", "phoenix", "qdrant_service", { kind: "vm", id: 1002 });
    const [, typeChain, name] = /^urn:pulumi:prod::phoenix::(.+)::(.+)$/.exec(urn)!;
    const stack = find(rs, "pulumi-nodejs:dynamic/portainer:Stack", name!);
    const parent = find(rs, "phoenix:portainer:DockerStack", stack.parent!);
    expect(typeChain).toBe(`${find(rs, "phoenix:index:Site", parent.parent!).type}$${parent.type}$${stack.type}`);
  });

  it("keeps secrets secret: the Proxmox token, the API key output", async () => {
    const p = find(rs, "pulumi:providers:proxmoxve", "phoenix-proxmox").inputs;
    expect(p["endpoint"]).toBe("https://10.0.0.13:8006");
    expect(isSecret(p["apiToken"])).toBe(true);
    expect(await pulumi.isSecret(site.portainerApiKey!)).toBe(true);
    expect(await valueOf(site.portainerApiKey!)).toBe("ptr_mocked-api-key");
    expect(site.guestIps).toEqual({
      Portainer: "10.0.0.101",
      "Dr-Phoenix": "10.0.0.102",
      traefik: "10.0.0.12",
      "nginx-gateway": "10.0.0.153",
    });
    expect(Object.keys(site.stackIds)).toEqual(["qdrant_service@Dr-Phoenix"]);
    expect(await valueOf(site.environmentIds["Dr-Phoenix"]!)).toBe(1);
  });
});

describe("Site for Pulumi.dev.yaml", () => {
  let rs: Recorded[];
  beforeAll(async () => ({ resources: rs } = await build("dev")), 60_000);

  it("creates the LXC with nesting and keyctl and runs both stacks in testing on it", () => {
    expect(rs.filter((r) => !r.type.startsWith("phoenix:")).map((r) => `${r.type.split(":").pop()}:${r.name}`)).toEqual(
      [
        "proxmoxve:phoenix-proxmox",
        "VmLegacy:phoenix-vm-2001",
        "Command:phoenix-vm-2001-setup-base",
        "Command:phoenix-vm-2001-setup-docker",
        "Command:phoenix-vm-2001-setup-health",
        "docker:phoenix-vm-2001-setup-docker-provider",
        "ContainerLegacy:phoenix-lxc-2002",
        "Command:phoenix-lxc-2002-setup-base",
        "Command:phoenix-lxc-2002-setup-docker",
        "Command:phoenix-lxc-2002-setup-health",
        "docker:phoenix-lxc-2002-setup-docker-provider",
        "PrivateKey:phoenix-certificates-ca-key",
        "SelfSignedCert:phoenix-certificates-ca",
        "PrivateKey:phoenix-certificates-portainer-key",
        "CertRequest:phoenix-certificates-portainer-csr",
        "LocallySignedCert:phoenix-certificates-portainer",
        "RandomPassword:phoenix-agent-secret",
        "RemoteImage:phoenix-portainer-image",
        "Command:phoenix-portainer-certificates",
        "Volume:phoenix-portainer-data",
        "Container:phoenix-portainer",
        "Static:phoenix-portainer-started",
        "Admin:phoenix-portainer-admin",
        "ApiKey:phoenix-portainer-api-key",
        "RemoteImage:phoenix-agent-lxc-2002-image",
        "Container:phoenix-agent-lxc-2002",
        "Command:phoenix-agent-lxc-2002-health",
        "Environment:phoenix-agent-lxc-2002-environment",
        "Stack:phoenix-stack-qdrant_service-lxc-2002",
        "Stack:phoenix-stack-thinkheads_ai_app-lxc-2002",
      ],
    );
    // CONTRACT.md section 3: a managed OS type (debian, from the template's name), the root filesystem on
    // local-zfs (the provider's default is local), root's key at create, only the flags that are on.
    const ct = find(rs, "proxmoxve:index/containerLegacy:ContainerLegacy", "phoenix-lxc-2002");
    expect(ct.inputs).toEqual({
      nodeName: "phoenix",
      vmId: 2002,
      tags: ["phoenix"],
      protection: false,
      operatingSystem: { templateFileId: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", type: "debian" },
      cpu: { cores: 2 },
      memory: { dedicated: 4096 },
      disk: { datastoreId: "local-zfs", size: 32 },
      networkInterfaces: [{ name: "eth0", bridge: "vmbr0" }],
      initialization: {
        hostname: "dev-apps",
        dns: { servers: ["10.0.0.1"], domain: "phoenix.local" },
        ipConfigs: [{ ipv4: { address: "10.0.0.202/24", gateway: "10.0.0.1" } }],
        userAccount: {
          keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJVw98GoDVa33YZQmirS7nUFpJSm9ISWkxPZXCFGu1QJ phoenix-example"],
        },
      },
      features: { nesting: true, keyctl: true },
      unprivileged: true,
      startOnBoot: true,
      startup: { order: 2 },
      started: true,
    });
    // The key list forces a replacement (and a clone cannot take keys): compared never after create.
    expect(ct.options).toEqual({
      deleteBeforeReplace: true,
      ignoreChanges: ["initialization.userAccount"],
      import: undefined,
      replaceWith: [],
      protect: undefined,
    });
    // keyctl is root@pam's alone: the provider signs in with the password, not the token.
    const p = find(rs, "pulumi:providers:proxmoxve", "phoenix-proxmox").inputs;
    expect([p["username"], isSecret(p["password"]), unwrap(p["password"]), p["apiToken"]]).toEqual([
      "root@pam",
      true,
      "example-dev-root-password",
      undefined,
    ]);
    expect(
      unwrap(find(rs, "command:remote:Command", "phoenix-lxc-2002-setup-base").inputs["connection"]),
    ).toMatchObject({ user: "root", host: "10.0.0.202" });
    expect(find(rs, "command:remote:Command", "phoenix-lxc-2002-setup-base").inputs["create"]).not.toContain(
      "qemu-guest-agent",
    );
  });

  it("publishes 9000 as well, since the configured URL uses it", () => {
    expect(find(rs, "docker:index/container:Container", "phoenix-portainer").inputs["ports"]).toEqual([
      { internal: 9443, external: 9443 },
      { internal: 9000, external: 9000 },
    ]);
  });

  it("gives thinkheads_ai_app its testing env and config file", () => {
    const s = find(rs, "pulumi-nodejs:dynamic/portainer:Stack", "phoenix-stack-thinkheads_ai_app-lxc-2002").inputs;
    expect(unwrap(s["env"])).toEqual([
      { name: "APP_ENV", value: "testing" },
      { name: "LOG_LEVEL", value: "debug" },
      { name: "QDRANT_URL", value: "http://10.0.0.202:6333" },
      { name: "SESSION_SECRET", value: "example-dev-session-secret" },
    ]);
    const compose = parse(s["composeContent"] as string) as {
      services: { app: { labels: string[] } };
      configs: Record<string, { content: string }>;
    };
    expect(compose.services.app.labels).toEqual([
      "com.thinkheads.team=platform",
      "traefik.enable=true",
      "traefik.http.routers.thinkheads-ai-app.rule=Host(`app.thinkheads.ai`)",
      "traefik.http.routers.thinkheads-ai-app.entrypoints=websecure",
      "traefik.http.routers.thinkheads-ai-app.tls=true",
      "traefik.http.services.thinkheads-ai-app.loadbalancer.server.port=8080",
    ]);
    expect(compose.configs["phoenix_0_app_testing_toml"]!.content).toContain("experimental_ranking = true");
  });
});

describe("Site with a Portainer 2.43 setup token", () => {
  it("passes the token, secret, to the admin bootstrap", async () => {
    const v = validValues();
    Object.assign(v["phoenix:portainer"] as Record<string, unknown>, {
      version: "2.43.0",
      setup_token: "0123456789abcdef0123456789abcdef",
    });
    const r = validateSite(rawConfig(v), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const rs = await recordResources((opts) => void new Site("phoenix", { config: r.site }, opts));
    const admin = find(rs, "pulumi-nodejs:dynamic/portainer:Admin", "phoenix-portainer-admin").inputs;
    expect([isSecret(admin["setupToken"]), unwrap(admin["setupToken"])]).toEqual([
      true,
      "0123456789abcdef0123456789abcdef",
    ]);
  });
});

describe("Site with the same stack in two environments on two guests", () => {
  it("deploys thinkheads_ai_app in testing on the LXC and in production on the VM", async () => {
    const v = validValues();
    ((v["phoenix:vms"] as Inputs[])[1]!["docker_stacks"] as Inputs[]).push({
      name: "thinkheads_ai_app",
      environment: "production",
    });
    const r = validateSite(rawConfig(v), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const rs = await recordResources((opts) => void new Site("phoenix", { config: r.site }, opts));
    const stacks = rs.filter((x) => x.type === "pulumi-nodejs:dynamic/portainer:Stack");
    expect(
      stacks.map((s) => [
        s.name,
        s.dependsOn,
        (unwrap(s.inputs["env"]) as { name: string; value: string }[]).find((e) => e.name === "APP_ENV")?.value ?? null,
      ]),
    ).toEqual([
      ["phoenix-stack-qdrant_service-vm-1002", ["Environment:phoenix-agent-vm-1002-environment"], null],
      ["phoenix-stack-thinkheads_ai_app-vm-1002", ["Environment:phoenix-agent-vm-1002-environment"], "production"],
      ["phoenix-stack-thinkheads_ai_app-lxc-2002", ["Environment:phoenix-agent-lxc-2002-environment"], "testing"],
    ]);
  });
});

describe("Site with application scripts", () => {
  it("runs them after the features and before the health checks, secret when their env holds a secret", async () => {
    const v = validValues();
    (v["phoenix:vms"] as Inputs[])[0]!["setup_scripts"] = [
      {
        name: "write-marker",
        source: "test/fixtures/setup/write-marker.sh",
        env: { GREETING: "hi", APP_TOKEN: { secret: "app_token" } },
      },
      { name: "plain", source: "test/fixtures/setup/fails.sh" },
    ];
    v["phoenix:app_token"] = "token-value-123";
    const r = validateSite(rawConfig(v, [...SECRET_KEYS, "phoenix:app_token"]), {
      stacksDir: EXAMPLE_STACKS,
      projectDir: PROJECT_DIR,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const rs = await recordResources((opts) => void new Site("phoenix", { config: r.site }, opts));
    const commands = rs.filter((x) => x.type === "command:remote:Command" && x.parent === "phoenix-vm-1001-setup");
    expect(commands.map((c) => [c.name, c.dependsOn])).toEqual([
      ["phoenix-vm-1001-setup-base", []],
      ["phoenix-vm-1001-setup-docker", ["Command:phoenix-vm-1001-setup-base"]],
      ["phoenix-vm-1001-setup-script-write-marker", ["Command:phoenix-vm-1001-setup-docker"]],
      ["phoenix-vm-1001-setup-script-plain", ["Command:phoenix-vm-1001-setup-script-write-marker"]],
      ["phoenix-vm-1001-setup-health", ["Command:phoenix-vm-1001-setup-script-plain"]],
    ]);
    const secretOne = commands[2]!.inputs["create"];
    expect([isSecret(secretOne), unwrap(secretOne)]).toEqual([
      true,
      expect.stringContaining("export APP_TOKEN='token-value-123'"),
    ]);
    expect(unwrap(secretOne)).toContain(
      fs.readFileSync(path.join(PROJECT_DIR, "test/fixtures/setup/write-marker.sh"), "utf8").trimEnd(),
    );
    expect(isSecret(commands[3]!.inputs["create"])).toBe(false);
  });
});
