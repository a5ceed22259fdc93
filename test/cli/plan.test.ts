// Proves: `npm run plan` prints the example sites, its --json document, and on bad input exits 1
// listing every problem without a stack trace (checked in-process and once as a real process).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "../../cli/plan";
import { baseSetupScript, dockerScript, healthScript } from "../../components/guest/scripts";
import { runPlan } from "../helpers/plan";
import { PROJECT_DIR } from "../helpers/site";

const run = runPlan;

/** A project folder with the example stacks and a given Pulumi.<name>.yaml. */
function projectWith(stackFile: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-plan-"));
  fs.cpSync(path.join(PROJECT_DIR, "stacks"), path.join(dir, "stacks"), { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), stackFile);
  return dir;
}

describe("plan", () => {
  it("prints the prod site", () => {
    const r = run(["--stack", "prod"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out.split("\n")).toEqual(
      expect.arrayContaining([
        "  VM  1001 Portainer: 4 cores, 8192 MB, 32 GB, 10.0.0.101/24 via 10.0.0.1, clone of VM 9100",
        "  VM  1002 Dr-Phoenix: 4 cores, 4096 MB, 64 GB, 10.0.0.102/24 via 10.0.0.1, clone of VM 9100",
        "Portainer 2.27.9 at https://10.0.0.101:9443 (admin admin):",
        "  server on Portainer: portainer/portainer-ce:2.27.9, ports 9443",
        "  data: /persistent-storage/portainer on Portainer (below its volume at /persistent-storage), " +
          "bind-mounted as /data",
        "  agent on Dr-Phoenix: portainer/agent:2.27.9, port 9001",
        "  Dr-Phoenix: agent tcp://10.0.0.102:9001",
        "  qdrant_service on Dr-Phoenix (environment production)",
        "      QDRANT_LOG_LEVEL=INFO",
        "      QDRANT_API_KEY=[secret]",
        "      file config/production.yaml -> /qdrant/config/local.yaml (qdrant)",
        "      sync alone: pulumi up --target " +
          "'urn:pulumi:prod::phoenix::phoenix:index:Site$phoenix:portainer:DockerStack" +
          "$pulumi-nodejs:dynamic/portainer:Stack::phoenix-stack-qdrant_service-vm-1002'",
      ]),
    );
  });

  it("prints the node's steps before the guests, the exports file exactly, and each guest's snapshot", () => {
    const lines = run(["--stack", "prod"]).out.split("\n");
    const at = lines.indexOf("Hypervisor: node phoenix, before any guest (7 steps):");
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(lines.indexOf("Guests (4):"));
    expect(lines.slice(at + 1, at + 15)).toEqual([
      "  ZFS dataset quickOS/vm-persistent-data (mounted at /quickOS/vm-persistent-data): created if missing, " +
        "never destroyed (it stays on destroy)",
      "  ZFS dataset quickOS/shared-iso (mounted at /quickOS/shared-iso): created if missing, never destroyed " +
        "(it stays on destroy)",
      "  NFS export /quickOS/vm-persistent-data/1001 to Portainer (10.0.0.101)",
      "  /etc/exports.d/phoenix.exports: exportfs -ra only when it changes (kept on destroy)",
      "  storage fastData-shared-iso (dir /quickOS/shared-iso; iso, vztmpl, import)",
      "  firewall: datacenter and node phoenix on (input policy ACCEPT; guests keep theirs)",
      "  template VM 9100 ubuntu-2404-cloud from https://cloud-images.ubuntu.com/noble/current/" +
        "noble-server-cloudimg-amd64.img (local:import/noble-server-cloudimg-amd64.qcow2), scsi0 20 GB on " +
        "local-zfs, cloud-init, agent on",
      "  /etc/exports.d/phoenix.exports:",
      "    # Written by phoenix (Pulumi): the NFS exports of the guests' volumes (phoenix:vms[].volumes).",
      "    # Rewritten by pulumi up when they change; edits here are lost.",
      "    /quickOS/vm-persistent-data/1001 10.0.0.101(rw,sync,no_subtree_check,no_root_squash)",
      "  over SSH to the node: dataset quickOS/vm-persistent-data, dataset quickOS/shared-iso, nfs exports; " +
        "the scripts are in --json",
      "",
      "Guests (4):",
    ]);
    const snapshots = lines.filter((l) => l.startsWith("      snapshot: "));
    expect(snapshots).toEqual(
      Array(4).fill("      snapshot: phoenix-ready once set up, taken again when set up again; deleted on destroy"),
    );
    // Every guest's lines, then its snapshot: one per guest, in order.
    expect(lines.filter((l) => / cores, |^ {6}snapshot:/.test(l)).map((l) => l.trim().split(" ")[0])).toEqual([
      "VM",
      "snapshot:",
      "VM",
      "snapshot:",
      "VM",
      "snapshot:",
      "LXC",
      "snapshot:",
    ]);
    expect(lines).not.toContain("Warnings:");
  });

  it("warns when Portainer's data would live only on the primary guest's own disk", () => {
    const dev = run(["--stack", "dev"]).out.split("\n");
    const at = dev.indexOf("Warnings:");
    expect(dev[at + 1]).toBe(
      "  Portainer's data (the Docker volume portainer_data on dev-portainer) lives only on dev-portainer's own " +
        "disk: replacing the VM loses it. Set phoenix:portainer.data_path below one of its volumes' mount points",
    );
  });

  it(
    "prints what phoenix asks of Proxmox for each guest: sign-in, datastore, " +
      "network, agent, OS type, root-only keys",
    () => {
      expect(run(["--stack", "prod"]).out.split("\n")).toEqual(
        expect.arrayContaining([
          "Proxmox sign-in: API token (no root-only operations)",
          "      proxmox: datastore local-zfs, bridge vmbr0, dns 10.0.0.1 search " +
            "phoenix.local, cpu x86-64-v2-AES, QEMU agent off (stopped hard on " +
            "destroy), tags phoenix, protected",
        ]),
      );
      expect(run(["--stack", "dev"]).out.split("\n")).toEqual(
        expect.arrayContaining([
          "Proxmox sign-in: password as root@pam",
          "      proxmox: datastore local-zfs, bridge vmbr0, dns 10.0.0.1 search " +
            "phoenix.local, os debian, unprivileged, features nesting, keyctl, tags " +
            "phoenix",
          "      root@pam only: proxmox_features.keyctl",
        ]),
      );
    },
  );

  it("says which guests are adopted, and lists their Proxmox settings in --json", () => {
    const file = fs
      .readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")
      .replace(
        "    - vmid: 1002\n",
        "    - vmid: 1002\n      adopt: true\n      tags: [agents]\n      disks: " +
          "[{ interface: scsi1, size_gb: 100 }]\n",
      );
    const dir = projectWith(file);
    try {
      const text = run(["--stack", "bad"], dir);
      expect([text.code, text.err]).toEqual([0, ""]);
      expect(text.out.split("\n")).toEqual(
        expect.arrayContaining([
          "      proxmox: datastore local-zfs, bridge vmbr0, dns 10.0.0.1 search " +
            "phoenix.local, cpu x86-64-v2-AES, QEMU agent off (stopped hard on " +
            "destroy), scsi1 100 GB on local-zfs, tags agents;phoenix, protected",
          "      adopted: takes over the existing VM 1002 on phoenix (import phoenix/1002); the config must match it",
        ]),
      );
      const g = JSON.parse(run(["--stack", "bad", "--json"], dir).out).guests[1];
      expect(g).toMatchObject({
        id: 1002,
        datastore: "local-zfs",
        bridge: "vmbr0",
        vlan: null,
        mtu: null,
        dns: { servers: ["10.0.0.1"], domain: "phoenix.local" },
        clone_node: null,
        tags: ["agents", "phoenix"],
        protection: true,
        adopt: true,
        cpu_type: "x86-64-v2-AES",
        agent: false,
        machine: null,
        disks: [{ interface: "scsi1", size_gb: 100, datastore: "local-zfs" }],
        gpus: [],
        root_only: [],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    "rejects root-only keys under token-only auth, a guest without a " +
      "datastore, an unknown os_type and gpus without q35",
    () => {
      const dev = fs
        .readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")
        .replace(
          / {4}username: root@pam\n {4}password:\n {6}secure: \S+\n/,
          "    api_token:\n      secure: v1:abc:def\n",
        )
        .replace("    datastore: local-zfs\n", "")
        .replace(
          "      template: local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\n",
          "      template: local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\n      os_type: debian12\n",
        )
        .replace(
          "      clone_from_vmid: 9000\n",
          "      clone_from_vmid: 9000\n      gpus: [{ mapping: rtx-a4000 }]\n",
        );
      const dir = projectWith(dev);
      try {
        const r = run(["--stack", "bad"], dir);
        expect(r.code).toBe(1);
        expect(r.err.split("\n")).toEqual([
          "plan: 3 problems in Pulumi.bad.yaml and the stack manifests:",
          "  phoenix:lxcs[0].os_type: must be one of alpine, archlinux, centos, " +
            "debian, devuan, fedora, gentoo, nixos, opensuse, ubuntu, unmanaged",
          "  phoenix:vms[0].datastore: is required: set the site default " +
            "phoenix:proxmox.datastore (e.g. local-zfs) or datastore on this guest; " +
            "the provider would otherwise put its disks and cloud-init drive on " +
            "local-lvm",
          "  phoenix:vms[0].gpus[0].pcie: needs machine: q35 on this VM (Proxmox " +
            "refuses PCIe passthrough on the i440fx machine, the default); set " +
            "machine: q35 or pcie: false",
        ]);
        fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), dev.replace("os_type: debian12", "os_type: debian"));
        const fixedOs = run(["--stack", "bad"], dir);
        expect(fixedOs.err.split("\n")).toEqual(
          expect.arrayContaining([
            "  phoenix:lxcs[0].datastore: is required: set the site default " +
              "phoenix:proxmox.datastore (e.g. local-zfs) or datastore on this guest; " +
              "the provider would otherwise put its root filesystem on local",
            "  phoenix:lxcs[0].proxmox_features.keyctl: needs root@pam: Proxmox says " +
              '"changing feature flags (except nesting) is only allowed for root@pam", ' +
              "and phoenix signs in with an API token, and Proxmox refuses root-only " +
              "operations to every API token; set phoenix:proxmox.username to root@pam " +
              "and phoenix:proxmox.password (secret), or remove it",
          ]),
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("prints the dev site's JSON document", () => {
    const r = run(["--stack", "dev", "--json"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(Object.keys(d)).toEqual([
      "stack",
      "environment",
      "proxmox",
      "guests",
      "portainer",
      "environments",
      "stacks",
      "hypervisor",
      "portainer_data",
      "warnings",
      "gateways",
      "certificates",
      "dns",
      "firewall",
    ]);
    // The dev site has no gateways, DNS or firewall; Portainer gets phoenix's certificate.
    expect([d.gateways, d.dns, d.firewall, d.certificates.issued, d.certificates.portainer_verified_with]).toEqual([
      [],
      null,
      [],
      [
        {
          id: "portainer",
          guest: "dev-portainer",
          dns_names: ["dev-portainer", "dev-portainer.phoenix.local"],
          ip_addresses: ["10.0.0.201"],
        },
      ],
      "phoenix's CA",
    ]);
    expect(d.environment).toBe("testing");
    expect(
      d.guests.map((g: { kind: string; id: number; name: string; ip: string }) => [g.kind, g.id, g.name, g.ip]),
    ).toEqual([
      ["vm", 2001, "dev-portainer", "10.0.0.201/24"],
      ["lxc", 2002, "dev-apps", "10.0.0.202/24"],
    ]);
    expect(d.portainer.server).toEqual({
      guest: "dev-portainer",
      image: "portainer/portainer-ce:2.27.9",
      ports: [9443, 9000],
    });
    // The exact scripts GuestSetup sends: dev installs Debian's docker.io (phoenix:guest_setup.docker_source).
    expect(d.guests[1].setup).toEqual([
      { name: "base_setup", script: baseSetupScript("lxc", []) },
      { name: "docker", script: dockerScript("debian") },
      { name: "health", script: healthScript("dev-apps", true) },
    ]);
    expect([d.guests[0].docker_source, d.guests[0].setup[1].script]).toEqual(["debian", dockerScript("debian")]);
    expect(d.environments).toEqual([
      { name: "dev-apps", guest: "dev-apps", type: "agent", url: "tcp://10.0.0.202:9001" },
    ]);
    expect(
      d.stacks.map((s: { name: string; environment: string; guest: string }) => [s.name, s.environment, s.guest]),
    ).toEqual([
      ["qdrant_service", "testing", "dev-apps"],
      ["thinkheads_ai_app", "testing", "dev-apps"],
    ]);
    expect(d.stacks[1].variables).toEqual([
      { name: "APP_ENV", value: "testing", secret: false },
      { name: "LOG_LEVEL", value: "debug", secret: false },
      { name: "QDRANT_URL", value: "http://10.0.0.202:6333", secret: false },
      { name: "SESSION_SECRET", value: "[secret]", secret: true },
    ]);
    expect(r.out).not.toMatch(/v1:[A-Za-z0-9+/=]{16}:/);
    // The compose file as the program will send it, Traefik labels and config files included.
    expect(d.stacks[1].compose).toContain("traefik.http.routers.thinkheads-ai-app.rule=Host(`app.thinkheads.ai`)");
    expect(d.stacks[1].compose).toContain("phoenix_0_app_testing_toml:");
  });

  it("rejects a compose file the Compose specification refuses, naming the stack", () => {
    const dir = projectWith("config: {}\n");
    try {
      fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.bad.yaml"));
      fs.writeFileSync(
        path.join(dir, "stacks/qdrant_service/docker-compose.yml"),
        "services:\n  qdrant:\n    image: qdrant/qdrant:v1.12.4\n    ports: 6333\n",
      );
      const r = run(["--stack", "bad"], dir);
      expect(r.code).toBe(1);
      expect(r.err.split("\n")).toEqual([
        "plan: 1 problem in the rendered stacks:",
        "  stacks/qdrant_service/phoenix.json: compose_file: Stack qdrant_service " +
          "on dev-apps (phoenix:lxcs[0].docker_stacks[0]): the rendered compose " +
          "file is invalid: services.qdrant.ports: must be array",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists every problem of a bad stack file and exits 1", () => {
    const dir = projectWith(
      [
        "config:",
        "  phoenix:proxmox: { endpoint: 'http://pve', node_name: pve, api_token: plain }",
        "  phoenix:vms:",
        "    - { vmid: 5, name: a, clone_from_vmid: 9000, cores: 1, memory_mb: " +
          "512, disk_size_gb: 8, network_config: { ip: 10.0.0.5/24, gw: 10.0.9.1 }, " +
          "user_config: { username: u } }",
        "",
      ].join("\n"),
    );
    try {
      const r = run(["--stack", "bad"], dir);
      expect(r.code).toBe(1);
      expect(r.out).toBe("");
      expect(r.err.split("\n")).toEqual([
        "plan: 4 problems in Pulumi.bad.yaml and the stack manifests:",
        "  phoenix:proxmox.endpoint: must be an https URL such as https://10.0.0.13:8006",
        "  phoenix:proxmox.api_token: must be stored as a secret, not in plain " +
          "text: pulumi config set --secret --path 'proxmox.api_token' <value>",
        "  phoenix:vms[0].vmid: Too small: expected number to be >=100",
        // The guest's other keys are still cross-checked (issue 11).
        "  phoenix:vms[0].network_config.gw: 10.0.9.1 is outside the guest's subnet 10.0.0.5/24",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing stack file and bad usage", () => {
    expect(run(["--stack", "nope"])).toEqual({
      code: 1,
      out: "",
      err: "plan: Pulumi.nope.yaml: the file does not exist",
    });
    expect(run([]).code).toBe(2);
    expect(parseArgs(["--stack", "dev", "--verbose"])).toEqual({
      error: "unknown argument --verbose\nusage: npm run plan -- --stack <name> [--json | --mermaid]",
    });
  });

  it("exits 1 with no stack trace as a real process", () => {
    const dir = projectWith("config:\n  phoenix:vms: 3\n");
    fs.mkdirSync(path.join(dir, "cli"));
    try {
      const r = spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(PROJECT_DIR, "cli/plan.ts"), "--stack", "bad"],
        {
          cwd: PROJECT_DIR,
          encoding: "utf8",
          env: { ...process.env, PHOENIX_PROJECT_DIR: dir },
        },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        "plan: 2 problems in Pulumi.bad.yaml and the stack manifests:\n  " +
          "phoenix:proxmox: is required (endpoint, node_name, datastore, and " +
          "api_token or username and password)\n  phoenix:vms: must be a list\n",
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
