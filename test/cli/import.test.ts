// Proves: `npm run import` of the bash system's files (test/fixtures/phoenix/prod, the project's own files in the real
// shapes) writes a stack file and stack folders that `plan` reads as the same site: every guest with its size,
// address, storage, bridge, DNS, features, role, mounts and GPU devices, adopted, and every stack on its guest; every
// key it cannot map is reported with its file and why; no secret value from the fixtures reaches a written file or the
// output; with a passphrase the secrets are encrypted as Pulumi's passphrase provider does (decrypted back exactly);
// without one the `pulumi config set --secret` commands are printed and plan lists the secrets as missing until set;
// it refuses to overwrite without --force.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { main, parseArgs } from "../../cli/import";
import { encryptValue, keyFromSalt } from "../../config/passphrase";
import { decryptStackFile } from "../../config/sources";
import { runPlan } from "../helpers/plan";
import { PROJECT_DIR } from "../helpers/site";

const FIXTURE = path.join(PROJECT_DIR, "test/fixtures/phoenix/prod");
const SECRET_VALUES = [
  "Fixture-Admin-Pass-2026!",
  "fixture-qdrant-key-7f3a",
  "fixture-prod-db-pass-91c2",
  "fixture-dev-db-pass-44d8",
  "ptr_fixtureApiKeyThatMustNotLeak",
  "fixture-root-password",
];

function runImport(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, {
    projectDir: PROJECT_DIR,
    cwd: PROJECT_DIR,
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

function planIn(project: string, argv: string[] = ["--stack", "imported"]) {
  return runPlan(argv, project);
}

/** Every file under a folder, with its content. */
function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}
function leaks(dir: string, output: string[]): string[] {
  const texts = [...allFiles(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8")), ...output];
  return SECRET_VALUES.filter((v) => texts.some((t) => t.includes(v)));
}

const GUEST_LINES = [
  "  VM  1001 Portainer: 4 cores, 8192 MB, 32 GB, 10.0.0.101/24 via 10.0.0.1, clone of VM 9000",
  "  VM  1002 drphoenix: 4 cores, 4096 MB, 64 GB, 10.0.0.102/24 via 10.0.0.1, clone of VM 9000",
  "  LXC 101 Nginx-Phoenix: 2 cores, 2048 MB, 16 GB, 10.0.0.153/24 via 10.0.0.1, clone of CT 900",
  "  LXC 102 Traefik-Internal: 2 cores, 1024 MB, 8 GB, 10.0.0.12/24 via 10.0.0.1, clone of CT 900",
  "  LXC 900 Copy-Base: 2 cores, 2048 MB, 16 GB, 10.0.0.200/24 via 10.0.0.1, from " +
    "fastData-shared-iso:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
  "  LXC 901 Copy-Cuda12-8: 4 cores, 4096 MB, 32 GB, 10.0.0.201/24 via 10.0.0.1, clone of CT 900",
];

const UNMAPPED = [
  "phoenix_hypervisor_config.json: users",
  "phoenix_hypervisor_config.json: timezone",
  "phoenix_hypervisor_config.json: dns_server",
  "phoenix_hypervisor_config.json: step_ca",
  "phoenix_hypervisor_config.json: portainer_api.api_key",
  "phoenix_hypervisor_config.json: zfs.pools: quickOS",
  "phoenix_hypervisor_config.json: nfs.exports",
  "phoenix_hypervisor_config.json: firewall.default_input_policy: DROP",
  "phoenix_vm_configs.json: vm_defaults.template",
  "phoenix_vm_configs.json: vms[0] (VM 9000 ubuntu-2404-cloud-template)",
  "phoenix_vm_configs.json: vms[1].dependencies",
  "phoenix_vm_configs.json: vms[1].features: trusted_ca",
  "phoenix_vm_configs.json: vms[2].portainer_environment_name",
  "phoenix_vm_configs.json: vms[2].dns_records",
  "phoenix_lxc_configs.json: nvidia_driver_version",
  "phoenix_lxc_configs.json: lxc_configs.101.application_script",
  "phoenix_lxc_configs.json: lxc_configs.101.mount_points[0].owner_uid/owner_gid",
  "phoenix_lxc_configs.json: lxc_configs.101.features: trusted_ca",
  "phoenix_lxc_configs.json: lxc_configs.101.portainer_role: infrastructure",
  "phoenix_lxc_configs.json: lxc_configs.101.firewall.rules[1]",
  "phoenix_lxc_configs.json: lxc_configs.102.health_check",
  "phoenix_lxc_configs.json: lxc_configs.102.frobnicate",
  "phoenix_lxc_configs.json: lxc_configs.102.features: traefik",
  "phoenix_lxc_configs.json: lxc_configs.900.mac_address",
  "phoenix_lxc_configs.json: lxc_configs.900.template_snapshot_name",
  "phoenix_lxc_configs.json: lxc_configs.900.firewall",
  "phoenix_lxc_configs.json: lxc_configs.901.lxc_options",
  "phoenix_lxc_configs.json: lxc_configs.901.apparmor_profile",
  "phoenix_lxc_configs.json: lxc_configs.901.features: nvidia",
  "phoenix_stacks_config.json: docker_stacks.qdrant_service.environments.production.services.qdrant.traefik_labels: " +
    "traefik.http.routers.qdrant.tls.certresolver=internal-resolver",
  "phoenix_stacks_config.json: docker_stacks.missing_stack.compose_file_path",
];

/** The output's `not mapped` section as `file: key` (the reason follows the last `: `-separated key part). */
function unmappedOf(out: string[]): { keys: string[]; lines: string[] } {
  const start = out.findIndex((l) => l.startsWith("not mapped ("));
  const rest = out.slice(start + 1);
  const end = rest.findIndex((x) => !x.startsWith("  "));
  const lines = rest.slice(0, end);
  return { keys: lines.map((l) => UNMAPPED.find((k) => l.startsWith(`  ${k}: `)) ?? l), lines };
}

describe("import", () => {
  let project: string;
  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-import-"));
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

  it("without a passphrase: writes no secret, prints the commands; plan lists the secrets until they are set", () => {
    const r = runImport(["--from", FIXTURE, "--stack", "imported", "--project", project]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.slice(1, 9)).toEqual([
      "guests (6, all adopted):",
      "  VM  1001 Portainer: 10.0.0.101/24, stacks none",
      "  VM  1002 drphoenix: 10.0.0.102/24, stacks qdrant_service, thinkheads_ai_app",
      "  LXC 101 Nginx-Phoenix: 10.0.0.153/24, stacks none",
      "  LXC 102 Traefik-Internal: 10.0.0.12/24, stacks none",
      "  LXC 900 Copy-Base: 10.0.0.200/24, stacks none",
      "  LXC 901 Copy-Cuda12-8: 10.0.0.201/24, stacks none",
      "stacks (2): qdrant_service, thinkheads_ai_app",
    ]);
    const u = unmappedOf(r.out);
    expect(u.keys).toEqual(UNMAPPED);
    expect(u.lines).toContain(
      "  phoenix_lxc_configs.json: lxc_configs.102.frobnicate: unknown key: not one of the bash system's guest " +
        "settings phoenix knows",
    );
    const secretsAt = r.out.findIndex((l) => l.startsWith("secrets to set"));
    expect(r.out.slice(secretsAt)).toEqual([
      "secrets to set (6; until then plan lists them as missing), or run import again with " +
        "PULUMI_CONFIG_PASSPHRASE set:",
      "  pulumi config set --secret --stack imported --path 'portainer.admin_password' " +
        "'<phoenix_hypervisor_config.json: portainer_api.admin_password>'",
      "  pulumi config set --secret --stack imported qdrant_service_production_qdrant_api_key " +
        "'<phoenix_stacks_config.json: docker_stacks.qdrant_service.environments.production.variables[1].value>'",
      "  pulumi config set --secret --stack imported thinkheads_ai_app_production_database_pass " +
        "'<phoenix_stacks_config.json: docker_stacks.thinkheads_ai_app.environments.production.variables[1].value>'",
      "  pulumi config set --secret --stack imported thinkheads_ai_app_development_database_pass " +
        "'<phoenix_stacks_config.json: docker_stacks.thinkheads_ai_app.environments.development.variables[1].value>'",
      "  pulumi config set --secret --stack imported --path 'proxmox.password' " +
        "'<root@pam'\\''s password, for LXC 101 mount_points, LXC 901 devices (PHOENIX_PROXMOX_PASSWORD)>'",
      "  ssh-keygen -t ed25519 -N '' -C phoenix-imported -f phoenix-imported-key",
      '  pulumi config set --stack imported --path guest_ssh.public_key "$(cat phoenix-imported-key.pub)"',
      "  pulumi config set --secret --stack imported --path guest_ssh.private_key < phoenix-imported-key",
      "  pulumi config set --secret --stack imported --path proxmox.ssh.private_key < phoenix-imported-key",
      "the node: phoenix makes its datasets and NFS exports over SSH as root; add the public key " +
        "(phoenix-imported-key.pub) to /root/.ssh/authorized_keys there",
      "next: npm run plan -- --stack imported",
    ]);
    expect(allFiles(project)).toEqual([
      "Pulumi.imported.yaml",
      "stacks/phoenix.schema.json",
      "stacks/qdrant_service/docker-compose.yml",
      "stacks/qdrant_service/phoenix.json",
      "stacks/thinkheads_ai_app/config/development-dev.env",
      "stacks/thinkheads_ai_app/config/production-prod.env",
      "stacks/thinkheads_ai_app/docker-compose.yml",
      "stacks/thinkheads_ai_app/phoenix.json",
    ]);
    expect(leaks(project, r.out)).toEqual([]);

    const missing = planIn(project);
    expect(missing.code).toBe(1);
    for (const p of [
      "phoenix:portainer.admin_password",
      // The proxmox key's first problem hides its next (the password) until it is set.
      "phoenix:proxmox.ssh.private_key",
      "phoenix:guest_ssh",
      "config key phoenix:qdrant_service_production_qdrant_api_key is not set",
      "config key phoenix:thinkheads_ai_app_production_database_pass is not set",
    ])
      expect(missing.err).toContain(p);

    // What the printed commands do: encrypted values in the stack file (Pulumi's passphrase format).
    const file = path.join(project, "Pulumi.imported.yaml");
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
    const salt = "v1:AAECAwQFBgc=:" + encryptValue(Buffer.alloc(32, 1), "pulumi");
    const sec = (v: string) => ({ secure: encryptValue(Buffer.alloc(32, 1), v) });
    Object.assign(doc.config["phoenix:portainer"]!, { admin_password: sec("set-by-the-user-1") });
    Object.assign(doc.config["phoenix:proxmox"]!, {
      password: sec("set-by-the-user-2"),
      ssh: {
        username: "root",
        private_key: sec("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n"),
      },
    });
    doc.config["phoenix:guest_ssh"] = {
      public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJVw98GoDVa33YZQmirS7nUFpJSm9ISWkxPZXCFGu1QJ user",
      private_key: sec("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n"),
    };
    for (const k of [
      "qdrant_service_production_qdrant_api_key",
      "thinkheads_ai_app_production_database_pass",
      "thinkheads_ai_app_development_database_pass",
    ])
      doc.config[`phoenix:${k}`] = sec("set") as never;
    fs.writeFileSync(file, JSON.stringify({ encryptionsalt: salt, ...doc }));
    const ok = planIn(project);
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.out.split("\n").filter((l) => /^ {2}(VM |LXC).* cores, /.test(l))).toEqual(GUEST_LINES);
  });

  it("with a passphrase: encrypts every secret, and plan describes the same guests and stacks at once", () => {
    const env = { PULUMI_CONFIG_PASSPHRASE: "import-test", PHOENIX_PROXMOX_PASSWORD: "fixture-root-password" };
    const r = runImport(
      ["--from", FIXTURE, "--stack", "imported", "--project", project, "--node-name", "phoenix"],
      env,
    );
    expect(r.code).toBe(0);
    const at = r.out.findIndex((l) => l.startsWith("secrets encrypted in"));
    expect(r.out.slice(at + 1, at + 8)).toEqual([
      "  portainer.admin_password (from phoenix_hypervisor_config.json: portainer_api.admin_password)",
      "  qdrant_service_production_qdrant_api_key (from phoenix_stacks_config.json: " +
        "docker_stacks.qdrant_service.environments.production.variables[1].value)",
      "  thinkheads_ai_app_production_database_pass (from phoenix_stacks_config.json: " +
        "docker_stacks.thinkheads_ai_app.environments.production.variables[1].value)",
      "  thinkheads_ai_app_development_database_pass (from phoenix_stacks_config.json: " +
        "docker_stacks.thinkheads_ai_app.environments.development.variables[1].value)",
      "  proxmox.ssh.private_key (from generated by import)",
      "  proxmox.password (from root@pam's password, for LXC 101 mount_points, LXC 901 devices " +
        "(PHOENIX_PROXMOX_PASSWORD))",
      "  guest_ssh.private_key (from generated by import)",
    ]);
    expect(r.out.some((l) => l.startsWith("secrets to set"))).toBe(false);
    expect(leaks(project, r.out)).toEqual([]);

    const file = path.join(project, "Pulumi.imported.yaml");
    const back = decryptStackFile(file, "import-test").values as Record<string, Record<string, unknown>>;
    expect(back["phoenix:portainer"]!["admin_password"]).toBe("Fixture-Admin-Pass-2026!");
    expect(back["phoenix:proxmox"]!["password"]).toBe("fixture-root-password");
    expect(back["phoenix:thinkheads_ai_app_development_database_pass"]).toBe("fixture-dev-db-pass-44d8");
    expect(String(back["phoenix:guest_ssh"]!["private_key"])).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    // The node takes the guests' key pair, as root, for its datasets and the exports of VM 1001's volume.
    expect(back["phoenix:proxmox"]!["ssh"]).toEqual({
      username: "root",
      private_key: back["phoenix:guest_ssh"]!["private_key"],
    });
    expect(back["phoenix:hypervisor"]).toEqual({
      zfs_datasets: [{ name: "quickOS/vm-persistent-data", properties: { compression: "lz4" } }],
      firewall_rules: [
        {
          direction: "in",
          action: "ACCEPT",
          proto: "tcp",
          port: "8006",
          source: "10.0.0.0/24",
          comment: "Proxmox UI from the LAN",
        },
      ],
    });
    expect(() =>
      keyFromSalt("wrong", (parseYaml(fs.readFileSync(file, "utf8")) as { encryptionsalt: string }).encryptionsalt),
    ).toThrow("incorrect passphrase");

    const p = planIn(project);
    expect(p.err).toBe("");
    expect(p.code).toBe(0);
    const lines = p.out.split("\n");
    expect(lines[0]).toBe("Stack imported: Proxmox node phoenix at https://10.0.0.13:8006 (TLS not verified)");
    expect(lines.filter((l) => /^ {2}(VM |LXC).* cores, /.test(l))).toEqual(GUEST_LINES);
    expect(lines).toEqual(
      expect.arrayContaining([
        "      proxmox: datastore quickOS-lxc-disks, bridge vmbr0, dns 10.0.0.13, os as cloned, unprivileged, " +
          "features " +
          "nesting, bind /mnt/pve/quickOS/lxc-persistent-data/101/logs -> /var/log/nginx, tags phoenix",
        "      proxmox: datastore quickOS-lxc-disks, bridge vmbr0, dns 10.0.0.13 9.9.9.9 search " +
          "internal.example.net, os " +
          "as cloned, unprivileged, device /dev/nvidia0, device /dev/nvidia1, device /dev/nvidiactl, device " +
          "/dev/nvidia-uvm, device /dev/nvidia-uvm-tools, tags phoenix",
        "      features: base_setup, docker; role: primary; start at boot: yes (order 4)",
        "      adopted: takes over the existing VM 1001 on phoenix (import phoenix/1001); the config must match it",
        "  agent on drphoenix: portainer/agent:2.27.9, port 9001",
        "  drphoenix: agent tcp://10.0.0.102:9001",
        "  qdrant_service on drphoenix (environment production)",
        "      QDRANT_API_KEY=[secret]",
        "      traefik: qdrant at https://qdrant.internal.example.net -> port 6333 (websecure, tls)",
        "  thinkheads_ai_app on drphoenix (environment production)",
        "      DATABASE_PASS=[secret]",
        "      file config/production-prod.env -> /app/.env",
        "    accept in tcp 9443 from 10.0.0.12  # phoenix:vms[0].firewall_rules[0]",
        "    accept out tcp 80,443,8443 from anywhere to 10.0.0.12  # Nginx to Traefik",
        "    accept tcp 22 from 10.0.0.13/32  # phoenix: SSH from the admin networks",
      ]),
    );
    const json = planIn(project, ["--stack", "imported", "--json"]);
    const d = JSON.parse(json.out) as { guests: { id: number; adopt: boolean; up_delay?: number }[] };
    expect(d.guests.map((g) => [g.id, g.adopt])).toEqual([
      [1001, true],
      [1002, true],
      [101, true],
      [102, true],
      [900, true],
      [901, true],
    ]);
    expect(leaks(project, [json.out, p.out])).toEqual([]);
  });

  it("refuses to overwrite without --force, and replaces with it", () => {
    expect(runImport(["--from", FIXTURE, "--stack", "imported", "--project", project]).code).toBe(0);
    const again = runImport(["--from", FIXTURE, "--stack", "imported", "--project", project]);
    expect(again).toEqual({
      code: 1,
      out: [],
      err: [
        "import: refusing to overwrite Pulumi.imported.yaml, stacks/qdrant_service, stacks/thinkheads_ai_app " +
          "(--force to replace them, or --project DIR to import into another folder)",
      ],
    });
    expect(runImport(["--from", FIXTURE, "--stack", "imported", "--project", project, "--force"]).code).toBe(0);
  });

  it("names a file that is not JSON, and refuses bad usage with exit 2", () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-import-src-"));
    fs.writeFileSync(path.join(src, "phoenix_vm_configs.json"), "{ not json");
    const r = runImport(["--from", src, "--stack", "x", "--project", project]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^import: phoenix_vm_configs\.json is not valid JSON: /);
    expect(runImport(["--from", project, "--stack", "x", "--project", project]).err).toEqual([
      `import: ${project} has neither phoenix_vm_configs.json nor phoenix_lxc_configs.json`,
    ]);
    expect(parseArgs(["--stack", "x"])).toEqual({
      error:
        "--from <dir> is required (the folder with the phoenix_*.json files)\nusage: npm run import -- --from <dir> " +
        "--stack <name> [--force] [--project DIR] [--node-name NAME] [--portainer-version X.Y.Z]",
    });
    expect(runImport(["--from", FIXTURE]).code).toBe(2);
    fs.rmSync(src, { recursive: true, force: true });
    expect(fs.readdirSync(project)).toEqual([]);
  });
});
