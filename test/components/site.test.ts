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
      ["phoenix:hypervisor:Hypervisor", "phoenix-hypervisor", "phoenix"],
      ["command:remote:Command", "phoenix-hypervisor-dataset-quickOS-vm-persistent-data", "phoenix-hypervisor"],
      ["command:remote:Command", "phoenix-hypervisor-dataset-quickOS-shared-iso", "phoenix-hypervisor"],
      ["command:remote:Command", "phoenix-hypervisor-nfs-exports", "phoenix-hypervisor"],
      ["proxmoxve:storage/directory:Directory", "phoenix-hypervisor-storage-fastData-shared-iso", "phoenix-hypervisor"],
      [
        "proxmoxve:cluster/firewallLegacy:FirewallLegacy",
        "phoenix-hypervisor-datacenter-firewall",
        "phoenix-hypervisor",
      ],
      ["proxmoxve:node/firewall:Firewall", "phoenix-hypervisor-node-firewall", "phoenix-hypervisor"],
      ["phoenix:proxmox:Template", "phoenix-hypervisor-template-9100", "phoenix-hypervisor"],
      ["proxmoxve:download/file:File", "phoenix-hypervisor-template-9100-image", "phoenix-hypervisor-template-9100"],
      ["proxmoxve:index/vmLegacy:VmLegacy", "phoenix-hypervisor-template-9100", "phoenix-hypervisor-template-9100"],
      ["phoenix:proxmox:Vm", "phoenix-vm-1001", "phoenix"],
      ["proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1001", "phoenix-vm-1001"],
      ["phoenix:guest:Setup", "phoenix-vm-1001-setup", "phoenix"],
      ["command:remote:Command", "phoenix-vm-1001-setup-base", "phoenix-vm-1001-setup"],
      ["command:remote:Command", "phoenix-vm-1001-setup-docker", "phoenix-vm-1001-setup"],
      ["command:remote:Command", "phoenix-vm-1001-setup-health", "phoenix-vm-1001-setup"],
      ["pulumi:providers:docker", "phoenix-vm-1001-setup-docker-provider", "phoenix-vm-1001-setup"],
      ["pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-vm-1001-snapshot", "phoenix"],
      ["phoenix:proxmox:Vm", "phoenix-vm-1002", "phoenix"],
      ["proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1002", "phoenix-vm-1002"],
      ["phoenix:guest:Setup", "phoenix-vm-1002-setup", "phoenix"],
      ["command:remote:Command", "phoenix-vm-1002-setup-base", "phoenix-vm-1002-setup"],
      ["command:remote:Command", "phoenix-vm-1002-setup-docker", "phoenix-vm-1002-setup"],
      ["command:remote:Command", "phoenix-vm-1002-setup-health", "phoenix-vm-1002-setup"],
      ["pulumi:providers:docker", "phoenix-vm-1002-setup-docker-provider", "phoenix-vm-1002-setup"],
      ["pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-vm-1002-snapshot", "phoenix"],
      ["phoenix:proxmox:Vm", "phoenix-vm-1003", "phoenix"],
      ["proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1003", "phoenix-vm-1003"],
      ["phoenix:guest:Setup", "phoenix-vm-1003-setup", "phoenix"],
      ["command:remote:Command", "phoenix-vm-1003-setup-base", "phoenix-vm-1003-setup"],
      ["command:remote:Command", "phoenix-vm-1003-setup-docker", "phoenix-vm-1003-setup"],
      ["command:remote:Command", "phoenix-vm-1003-setup-health", "phoenix-vm-1003-setup"],
      ["pulumi:providers:docker", "phoenix-vm-1003-setup-docker-provider", "phoenix-vm-1003-setup"],
      ["pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-vm-1003-snapshot", "phoenix"],
      ["phoenix:proxmox:Lxc", "phoenix-lxc-101", "phoenix"],
      ["proxmoxve:index/containerLegacy:ContainerLegacy", "phoenix-lxc-101", "phoenix-lxc-101"],
      ["phoenix:guest:Setup", "phoenix-lxc-101-setup", "phoenix"],
      ["command:remote:Command", "phoenix-lxc-101-setup-base", "phoenix-lxc-101-setup"],
      ["command:remote:Command", "phoenix-lxc-101-setup-health", "phoenix-lxc-101-setup"],
      ["pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-lxc-101-snapshot", "phoenix"],
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
      ["command:remote:Command", "phoenix-portainer-data-path", "phoenix-portainer"],
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

  it("prepares the node before any guest: datasets, exports, storage, firewall and the template", () => {
    const script = (name: string) => find(rs, "command:remote:Command", name).inputs["create"];
    const conn = find(rs, "command:remote:Command", "phoenix-hypervisor-nfs-exports").inputs["connection"];
    expect(isSecret(conn)).toBe(true);
    expect(unwrap(conn)).toMatchObject({ host: "10.0.0.13", user: "root", port: 22 });
    expect(script("phoenix-hypervisor-dataset-quickOS-vm-persistent-data")).toBe(
      [
        "set -eu",
        "if ! zpool list -H -o name 'quickOS' >/dev/null 2>&1; then",
        '  echo "phoenix: ZFS pool quickOS does not exist on this node; phoenix does not create pools" \\',
        '    "(it could destroy data): create it with zpool create, then run pulumi up again" >&2',
        "  exit 1",
        "fi",
        "if zfs list -H -o name 'quickOS/vm-persistent-data' >/dev/null 2>&1; then",
        "  zfs set 'compression=lz4' 'quickOS/vm-persistent-data'",
        '  echo "phoenix: dataset quickOS/vm-persistent-data exists"',
        "else",
        "  zfs create -p -o 'compression=lz4' 'quickOS/vm-persistent-data'",
        '  echo "phoenix: dataset quickOS/vm-persistent-data created"',
        "fi",
        "",
      ].join("\n"),
    );
    expect(script("phoenix-hypervisor-nfs-exports")).toBe(
      [
        "set -eu",
        "if ! command -v exportfs >/dev/null 2>&1; then",
        "  echo 'phoenix: installing nfs-kernel-server (exportfs is missing)'",
        "  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-kernel-server >/dev/null",
        "fi",
        "mkdir -p '/quickOS/vm-persistent-data/1001'",
        "mkdir -p '/etc/exports.d'",
        "file='/etc/exports.d/phoenix.exports'",
        'tmp=$(mktemp "$file.XXXXXX")',
        "cat > \"$tmp\" <<'PHOENIX_EXPORTS'",
        "# Written by phoenix (Pulumi): the NFS exports of the guests' volumes (phoenix:vms[].volumes).",
        "# Rewritten by pulumi up when they change; edits here are lost.",
        "/quickOS/vm-persistent-data/1001 10.0.0.101(rw,sync,no_subtree_check,no_root_squash)",
        "PHOENIX_EXPORTS",
        'if [ -f "$file" ] && cmp -s "$tmp" "$file"; then',
        '  rm -f "$tmp"',
        '  echo "phoenix: $file unchanged"',
        "else",
        '  chmod 0644 "$tmp"',
        '  mv "$tmp" "$file"',
        "  exportfs -ra",
        '  echo "phoenix: $file written; exportfs -ra"',
        "fi",
        "",
      ].join("\n"),
    );
    // No delete script: destroy leaves the datasets, their data and the exports as they are.
    for (const r of rs.filter((x) => x.name.startsWith("phoenix-hypervisor-") && x.type === "command:remote:Command"))
      expect(r.inputs["delete"]).toBeUndefined();
    expect(
      find(rs, "proxmoxve:storage/directory:Directory", "phoenix-hypervisor-storage-fastData-shared-iso").inputs,
    ).toEqual({
      resourceId: "fastData-shared-iso",
      path: "/quickOS/shared-iso",
      contents: ["iso", "vztmpl", "import"],
    });
    expect(
      find(rs, "proxmoxve:cluster/firewallLegacy:FirewallLegacy", "phoenix-hypervisor-datacenter-firewall").inputs,
    ).toEqual({ enabled: true, inputPolicy: "ACCEPT", outputPolicy: "ACCEPT" });
    expect(find(rs, "proxmoxve:node/firewall:Firewall", "phoenix-hypervisor-node-firewall").inputs).toEqual({
      nodeName: "phoenix",
      enabled: true,
    });
    const image = find(rs, "proxmoxve:download/file:File", "phoenix-hypervisor-template-9100-image");
    expect([image.inputs, image.options.deleteBeforeReplace]).toEqual([
      {
        nodeName: "phoenix",
        datastoreId: "local",
        contentType: "import",
        url: "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img",
        fileName: "noble-server-cloudimg-amd64.qcow2",
        overwrite: false,
      },
      true,
    ]);
    const tpl = find(rs, "proxmoxve:index/vmLegacy:VmLegacy", "phoenix-hypervisor-template-9100");
    expect(tpl.inputs).toEqual({
      nodeName: "phoenix",
      vmId: 9100,
      name: "ubuntu-2404-cloud",
      description:
        "phoenix template from https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img",
      tags: ["phoenix", "template"],
      template: true,
      started: false,
      onBoot: false,
      machine: "q35",
      bios: "seabios",
      operatingSystem: { type: "l26" },
      cpu: { cores: 2, type: "x86-64-v2-AES" },
      memory: { dedicated: 2048, floating: 2048 },
      agent: { enabled: true },
      scsiHardware: "virtio-scsi-single",
      disks: [
        {
          interface: "scsi0",
          datastoreId: "local-zfs",
          importFrom: "phoenix-hypervisor-template-9100-image-id",
          size: 20,
          discard: "on",
          iothread: true,
          ssd: true,
        },
      ],
      initialization: { datastoreId: "local-zfs", type: "nocloud" },
      networkDevices: [{ bridge: "vmbr0", model: "virtio" }],
      serialDevices: [{ device: "socket" }],
      vga: { type: "serial0" },
      stopOnDestroy: true,
    });
    expect([tpl.options.deleteBeforeReplace, tpl.options.ignoreChanges]).toEqual([true, ["disks[0].importFrom"]]);
    const node = [
      "Command:phoenix-hypervisor-dataset-quickOS-vm-persistent-data",
      "Command:phoenix-hypervisor-dataset-quickOS-shared-iso",
      "Command:phoenix-hypervisor-nfs-exports",
      "Directory:phoenix-hypervisor-storage-fastData-shared-iso",
      "FirewallLegacy:phoenix-hypervisor-datacenter-firewall",
      "Firewall:phoenix-hypervisor-node-firewall",
    ];
    expect(find(rs, "proxmoxve:index/vmLegacy:VmLegacy", "phoenix-vm-1001").dependsOn).toEqual([
      ...node,
      "VmLegacy:phoenix-hypervisor-template-9100",
    ]);
    expect(find(rs, "proxmoxve:index/containerLegacy:ContainerLegacy", "phoenix-lxc-101").dependsOn).toEqual(node);
    expect(find(rs, "command:remote:Command", "phoenix-hypervisor-nfs-exports").dependsOn).toEqual(node.slice(0, 2));
    expect(
      find(rs, "proxmoxve:storage/directory:Directory", "phoenix-hypervisor-storage-fastData-shared-iso").dependsOn,
    ).toEqual(node.slice(0, 2));
  });

  it("snapshots every guest once it is set up: the API token secret, replaced with the guest", () => {
    const snap = find(rs, "pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-vm-1001-snapshot");
    expect([snap.dependsOn, snap.options.replaceWith, snap.options.deleteBeforeReplace]).toEqual([
      ["Setup:phoenix-vm-1001-setup"],
      ["VmLegacy:phoenix-vm-1001"],
      true,
    ]);
    expect(isSecret(snap.inputs["connection"])).toBe(true);
    expect(unwrap(snap.inputs["connection"])).toEqual({
      endpoint: "https://10.0.0.13:8006",
      apiToken: "root@pam!phoenix=11111111-2222-3333-4444-555555555555",
      insecure: false,
    });
    expect(isSecret(snap.inputs["setup"])).toBe(true);
    expect(unwrap(snap.inputs["setup"])).toMatch(/^sha256:[0-9a-f]{64}$/);
    const rest = Object.fromEntries(
      Object.entries(snap.inputs).filter(([k]) => !["connection", "setup", "__provider"].includes(k)),
    );
    expect(rest).toEqual({
      node: "phoenix",
      kind: "qemu",
      vmid: 1001,
      name: "phoenix-ready",
      description: "phoenix: Portainer set up (stack prod)",
      includeMemory: false,
      retain: false,
    });
    expect(unwrap(find(rs, "pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-lxc-101-snapshot").inputs["kind"])).toBe(
      "lxc",
    );
    // Another setup, another digest: the snapshot is taken again.
    expect(unwrap(snap.inputs["setup"])).not.toBe(
      unwrap(find(rs, "pulumi-nodejs:dynamic/proxmox:Snapshot", "phoenix-vm-1002-snapshot").inputs["setup"]),
    );
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
      clone: { vmId: 9100, full: true, datastoreId: "local-zfs" },
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

  it("runs the pinned Portainer image with its data on VM 1001's NFS volume, port 9443 and the agent secret", () => {
    expect(find(rs, "docker:index/remoteImage:RemoteImage", "phoenix-portainer-image").inputs).toMatchObject({
      name: "portainer/portainer-ce:2.27.9",
      keepLocally: true,
    });
    const c = find(rs, "docker:index/container:Container", "phoenix-portainer").inputs;
    expect(c).toMatchObject({ name: "portainer", restart: "always", ports: [{ internal: 9443, external: 9443 }] });
    expect(isSecret(c["envs"])).toBe(true);
    expect(unwrap(c["envs"])).toEqual(["AGENT_SECRET=mocked-agent-secret"]);
    // phoenix:portainer.data_path: a directory on the volume, checked to be mounted, instead of a Docker volume.
    expect(rs.some((r) => r.type === "docker:index/volume:Volume")).toBe(false);
    expect(find(rs, "command:remote:Command", "phoenix-portainer-data-path").inputs["create"]).toBe(
      [
        "set -eu",
        "if ! mountpoint -q '/persistent-storage'; then",
        `  echo "phoenix: /persistent-storage is not mounted: Portainer's data would land on this VM's own disk" >&2`,
        "  exit 1",
        "fi",
        "sudo -n mkdir -p '/persistent-storage/portainer' 2>/dev/null || mkdir -p '/persistent-storage/portainer'",
        `echo "phoenix: Portainer's data in /persistent-storage/portainer"`,
        "",
      ].join("\n"),
    );
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
        { hostPath: "/persistent-storage/portainer", containerPath: "/data" },
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
      "Command:phoenix-portainer-data-path",
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

describe("Site with Proxmox access, storages and downloads (phoenix:hypervisor)", () => {
  it("declares the roles, pools, users, ACLs and tokens, storages and downloads; token values are secret", async () => {
    const v = validValues();
    v["phoenix:hypervisor"] = {
      storages: [
        { type: "nfs", id: "nas", server: "10.0.0.50", export: "/tank/pve", content: ["iso", "backup"] },
        { type: "zfspool", id: "fast", pool: "fastData/vm", content: ["images", "rootdir"] },
      ],
      downloads: [
        {
          url: "https://example.org/debian-12.iso",
          storage: "nas",
          content_type: "iso",
          file_name: "debian-12.iso",
          checksum: "ab".repeat(32),
          checksum_algorithm: "sha256",
        },
      ],
      roles: [{ id: "PhoenixDeploy", privileges: ["VM.Allocate", "VM.Snapshot"] }],
      firewall_rules: [{ proto: "tcp", port: "8006", source: "10.0.0.0/24", comment: "the UI from the LAN" }],
      pools: [{ id: "phoenix", comment: "guests made by phoenix" }],
      users: [
        {
          id: "phoenix@pve",
          acls: [
            { path: "/pool/phoenix", role: "PhoenixDeploy" },
            { path: "/", role: "PVEAuditor", propagate: false },
          ],
          tokens: [{ name: "deploy" }],
        },
      ],
    };
    v["phoenix:firewall"] = { admin_networks: ["10.0.0.13/32"] };
    const r = validateSite(rawConfig(v), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    let site!: Site;
    const rs = await recordResources((opts) => void (site = new Site("phoenix", { config: r.site }, opts)));
    const of = (type: string) =>
      rs.filter((x) => x.type === type).map((x) => [x.name, Object.fromEntries(Object.entries(x.inputs))]);
    expect(of("proxmoxve:storage/nfs:Nfs")).toEqual([
      [
        "phoenix-hypervisor-storage-nas",
        { resourceId: "nas", server: "10.0.0.50", export: "/tank/pve", contents: ["iso", "backup"] },
      ],
    ]);
    expect(of("proxmoxve:storage/zfspool:Zfspool")).toEqual([
      [
        "phoenix-hypervisor-storage-fast",
        { resourceId: "fast", zfsPool: "fastData/vm", contents: ["images", "rootdir"], thinProvision: true },
      ],
    ]);
    expect(of("proxmoxve:download/file:File")).toEqual([
      [
        "phoenix-hypervisor-download-debian-12.iso",
        {
          nodeName: "phoenix",
          datastoreId: "nas",
          contentType: "iso",
          url: "https://example.org/debian-12.iso",
          fileName: "debian-12.iso",
          overwrite: false,
          checksum: "ab".repeat(32),
          checksumAlgorithm: "sha256",
        },
      ],
    ]);
    expect(of("proxmoxve:index/roleLegacy:RoleLegacy")).toEqual([
      [
        "phoenix-hypervisor-role-PhoenixDeploy",
        { roleId: "PhoenixDeploy", privileges: ["VM.Allocate", "VM.Snapshot"] },
      ],
    ]);
    expect(of("proxmoxve:index/poolLegacy:PoolLegacy")).toEqual([
      ["phoenix-hypervisor-pool-phoenix", { poolId: "phoenix", comment: "guests made by phoenix" }],
    ]);
    expect(of("proxmoxve:index/userLegacy:UserLegacy")).toEqual([
      ["phoenix-hypervisor-user-phoenix-pve", { userId: "phoenix@pve", enabled: true }],
    ]);
    expect(
      of("proxmoxve:index/acl:Acl").map(([n, i]) => [n, (i as Inputs)["path"], (i as Inputs)["propagate"]]),
    ).toEqual([
      ["phoenix-hypervisor-acl-phoenix-pve-0", "/pool/phoenix", true],
      ["phoenix-hypervisor-acl-phoenix-pve-1", "/", false],
    ]);
    const token = rs.find((x) => x.type === "proxmoxve:user/token:Token")!;
    expect([token.name, token.inputs["tokenName"], token.inputs["privilegesSeparation"]]).toEqual([
      "phoenix-hypervisor-token-phoenix-pve-deploy",
      "deploy",
      true,
    ]);
    // The datacenter's own rules: no node, no guest.
    expect(
      of("proxmoxve:firewall/rulesLegacy:RulesLegacy").filter(([n]) => n === "phoenix-hypervisor-datacenter-rules"),
    ).toEqual([
      [
        "phoenix-hypervisor-datacenter-rules",
        {
          rules: [
            {
              type: "in",
              action: "ACCEPT",
              proto: "tcp",
              dport: "8006",
              source: "10.0.0.0/24",
              comment: "the UI from the LAN",
              enabled: true,
            },
          ],
        },
      ],
    ]);
    expect(Object.keys(site.hypervisorTokens)).toEqual(["phoenix@pve!deploy"]);
    expect(await pulumi.isSecret(site.hypervisorTokens["phoenix@pve!deploy"]!)).toBe(true);
    // No volumes and no datasets: nothing runs on the node over SSH.
    expect(rs.filter((x) => x.name.startsWith("phoenix-hypervisor-") && x.type === "command:remote:Command")).toEqual(
      [],
    );
  });
});
