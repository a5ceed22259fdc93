// Proves: validateSite accepts a valid site and reports every invalid config or manifest with its exact path and
// message.
// Does not prove: how the Pulumi runtime hands config over (see sources.test.ts) or what the program builds from it.
import * as fs from "node:fs";
import * as path from "node:path";
import { validateSite, type Problem } from "../../config/validate";
import { Secret } from "../../config/secret";
import {
  EXAMPLE_STACKS,
  PROJECT_DIR,
  SECRET_KEYS,
  editJson,
  rawConfig,
  scratchStacks,
  validValues,
} from "../helpers/site";

type Values = Record<string, unknown>;
/* eslint-disable @typescript-eslint/no-explicit-any -- tests reach into untyped raw config */
const vm = (v: Values, i: number): any => (v["phoenix:vms"] as any[])[i];
const lxc = (v: Values, i: number): any => (v["phoenix:lxcs"] as any[])[i];
/* eslint-enable @typescript-eslint/no-explicit-any */

function problemsOf(values: Values, opts: { stacksDir?: string; secretKeys?: string[] } = {}): Problem[] {
  const r = validateSite(rawConfig(values, opts.secretKeys), {
    stacksDir: opts.stacksDir ?? EXAMPLE_STACKS,
    projectDir: PROJECT_DIR,
  });
  return r.ok ? [] : r.problems;
}

describe("validateSite on a valid site", () => {
  it("returns a frozen model with resolved deployments and secrets", () => {
    const r = validateSite(rawConfig(validValues()), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const site = r.site;
    expect(Object.isFrozen(site)).toBe(true);
    expect(Object.isFrozen(site.vms[0])).toBe(true);
    expect(site.guests.map((g) => [g.kind, g.id, g.name, g.ip, g.portainerRole])).toEqual([
      ["vm", 1001, "Portainer", "10.0.0.101", "primary"],
      ["vm", 1002, "Dr-Phoenix", "10.0.0.102", "agent"],
      ["lxc", 2002, "dev-apps", "10.0.0.202", "agent"],
    ]);
    expect(site.portainer?.url).toBe("https://10.0.0.101:9443");
    expect(site.portainer?.agent_port).toBe(9001);
    expect(site.proxmox.insecure).toBe(false);
    expect(site.proxmox.api_token).toBeInstanceOf(Secret);
    expect(site.proxmox.api_token!.reveal()).toBe("root@pam!phoenix=11111111-2222-3333-4444-555555555555");
    expect(site.deployments.map((d) => [d.stack, d.environment, d.guest.name, d.path])).toEqual([
      ["qdrant_service", "production", "Dr-Phoenix", "phoenix:vms[1].docker_stacks[0]"],
      ["thinkheads_ai_app", "testing", "dev-apps", "phoenix:lxcs[0].docker_stacks[0]"],
    ]);
    const qdrant = site.deployments[0]!;
    expect(qdrant.variables[0]).toEqual({ name: "QDRANT_LOG_LEVEL", value: "INFO" });
    const key = qdrant.variables[1]!;
    expect("secret" in key && key.secret.reveal()).toBe("qdrant-key");
    expect(qdrant.files).toEqual([
      {
        source: "config/production.yaml",
        destination: "/qdrant/config/local.yaml",
        service: "qdrant",
        content: fs.readFileSync(path.join(EXAMPLE_STACKS, "qdrant_service/config/production.yaml"), "utf8"),
      },
    ]);
    expect(site.stacks["qdrant_service"]?.services).toEqual(["qdrant"]);
    expect(site.stacks["thinkheads_ai_app"]?.services).toEqual(["app", "cache"]);
  });

  it("uses phoenix:environment for assignments that name none", () => {
    const v = validValues();
    delete vm(v, 1).docker_stacks[0].environment;
    const r = validateSite(rawConfig(v), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
    expect(r.ok && r.site.deployments[0]!.environment).toBe("production");
  });

  it("honours an explicit portainer url and ignores keys of other namespaces", () => {
    const v = validValues();
    (v["phoenix:portainer"] as Values)["url"] = "http://10.0.0.101:9000";
    v["proxmoxve:endpoint"] = "https://elsewhere:8006";
    const r = validateSite(rawConfig(v), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
    expect(r.ok && r.site.portainer?.url).toBe("http://10.0.0.101:9000");
  });

  it("counts encrypted stack-file secrets as present without decrypting them", () => {
    const v = validValues();
    (v["phoenix:proxmox"] as Values)["api_token"] = { secure: "v1:abc:def" };
    (v["phoenix:proxmox"] as Values)["password"] = { secure: "v1:abc:def" };
    (v["phoenix:portainer"] as Values)["admin_password"] = { secure: "v1:abc:def" };
    v["phoenix:qdrant_api_key"] = { secure: "v1:abc:def" };
    v["phoenix:thinkheads_session_secret"] = { secure: "v1:abc:def" };
    (v["phoenix:guest_ssh"] as Values)["private_key"] = { secure: "v1:abc:def" };
    const r = validateSite(rawConfig(v, []), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.site.proxmox.api_token!.isDecrypted).toBe(false);
    expect(() => r.site.proxmox.api_token!.reveal()).toThrow(
      "The secret phoenix:proxmox.api_token is encrypted and was not decrypted",
    );
  });

  it("accepts a site with no guests and no Portainer", () => {
    const v = validValues();
    delete v["phoenix:vms"];
    delete v["phoenix:lxcs"];
    delete v["phoenix:portainer"];
    delete v["phoenix:qdrant_api_key"];
    delete v["phoenix:thinkheads_session_secret"];
    expect(problemsOf(v)).toEqual([]);
  });
});

/** Invalid site configurations: each mutates the valid site and lists the exact problems. */
const siteCases: Array<[string, (v: Values) => void, Problem[], string[]?]> = [
  [
    "missing proxmox",
    (v) => delete v["phoenix:proxmox"],
    [
      {
        path: "phoenix:proxmox",
        message: "is required (endpoint, node_name, datastore, and api_token or username and password)",
      },
    ],
  ],
  [
    "proxmox endpoint not https",
    (v) => ((v["phoenix:proxmox"] as Values)["endpoint"] = "http://10.0.0.13:8006"),
    [{ path: "phoenix:proxmox.endpoint", message: "must be an https URL such as https://10.0.0.13:8006" }],
  ],
  [
    "no api token and no password",
    (v) => {
      const p = v["phoenix:proxmox"] as Values;
      delete p["api_token"];
      delete p["username"];
      delete p["password"];
      delete v["phoenix:lxcs"];
    },
    [
      {
        path: "phoenix:proxmox.api_token",
        message: "is required unless username and password are set (user@realm!tokenid=uuid)",
      },
    ],
  ],
  [
    "api token not a string",
    (v) => ((v["phoenix:proxmox"] as Values)["api_token"] = 42),
    [
      {
        path: "phoenix:proxmox.api_token",
        message: "must be a secret string (set it with pulumi config set --secret)",
      },
    ],
  ],
  [
    "api token and password in plain text",
    (v) => v,
    [
      {
        path: "phoenix:proxmox.api_token",
        message:
          "must be stored as a secret, not in plain text: pulumi config set " +
          "--secret --path 'proxmox.api_token' <value>",
      },
      {
        path: "phoenix:proxmox.password",
        message:
          "must be stored as a secret, not in plain text: pulumi config set --secret --path 'proxmox.password' <value>",
      },
    ],
    SECRET_KEYS.filter((k) => k !== "phoenix:proxmox"),
  ],
  [
    "username without password",
    (v) => delete (v["phoenix:proxmox"] as Values)["password"],
    [
      {
        path: "phoenix:proxmox.password",
        message: "username and password go together (password authentication, e.g. root@pam)",
      },
    ],
  ],
  [
    "username not user@realm",
    (v) => ((v["phoenix:proxmox"] as Values)["username"] = "root"),
    [{ path: "phoenix:proxmox.username", message: "must be a Proxmox user such as root@pam" }],
  ],
  // CONTRACT.md section 1: keyctl, bind mounts and devices are root@pam's alone; every token is refused.
  [
    "keyctl with token-only auth",
    (v) => {
      const p = v["phoenix:proxmox"] as Values;
      delete p["username"];
      delete p["password"];
    },
    [
      {
        path: "phoenix:lxcs[0].proxmox_features.keyctl",
        message:
          'needs root@pam: Proxmox says "changing feature flags (except nesting) is ' +
          'only allowed for root@pam", and phoenix signs in with a token of ' +
          "root@pam, and Proxmox refuses root-only operations to every API token; " +
          "set phoenix:proxmox.username to root@pam and phoenix:proxmox.password " +
          "(secret), or remove it",
      },
    ],
  ],
  [
    "keyctl with a password of another user",
    (v) => ((v["phoenix:proxmox"] as Values)["username"] = "admin@pve"),
    [
      {
        path: "phoenix:lxcs[0].proxmox_features.keyctl",
        message:
          'needs root@pam: Proxmox says "changing feature flags (except nesting) is ' +
          'only allowed for root@pam", and phoenix signs in as admin@pve; set ' +
          "phoenix:proxmox.username to root@pam and phoenix:proxmox.password " +
          "(secret), or remove it",
      },
    ],
  ],
  [
    "bind mounts and devices with token-only auth",
    (v) => {
      const p = v["phoenix:proxmox"] as Values;
      delete p["username"];
      delete p["password"];
      lxc(v, 0).features = [];
      lxc(v, 0).proxmox_features = { nesting: true };
      lxc(v, 0).portainer_role = undefined;
      lxc(v, 0).docker_stacks = [];
      lxc(v, 0).mount_points = [{ host_path: "/quickOS/data", path: "/data" }];
      lxc(v, 0).devices = [{ path: "/dev/nvidia0" }];
    },
    [
      {
        path: "phoenix:lxcs[0].mount_points",
        message:
          'needs root@pam: Proxmox says "mount point type bind is only allowed for ' +
          'root@pam", and phoenix signs in with a token of root@pam, and Proxmox ' +
          "refuses root-only operations to every API token; set " +
          "phoenix:proxmox.username to root@pam and phoenix:proxmox.password " +
          "(secret), or remove it",
      },
      {
        path: "phoenix:lxcs[0].devices",
        message:
          'needs root@pam: Proxmox says "configuring device passthrough is only ' +
          'allowed for root@pam", and phoenix signs in with a token of root@pam, ' +
          "and Proxmox refuses root-only operations to every API token; set " +
          "phoenix:proxmox.username to root@pam and phoenix:proxmox.password " +
          "(secret), or remove it",
      },
    ],
  ],
  [
    "features on a privileged container with token-only auth",
    (v) => {
      const p = v["phoenix:proxmox"] as Values;
      delete p["username"];
      delete p["password"];
      lxc(v, 0).unprivileged = false;
      lxc(v, 0).proxmox_features = { nesting: true };
      lxc(v, 0).features = [];
      lxc(v, 0).portainer_role = undefined;
      lxc(v, 0).docker_stacks = [];
    },
    [
      {
        path: "phoenix:lxcs[0].proxmox_features",
        message:
          'needs root@pam: Proxmox says "changing feature flags for privileged ' +
          'container is only allowed for root@pam", and phoenix signs in with a ' +
          "token of root@pam, and Proxmox refuses root-only operations to every API " +
          "token; set phoenix:proxmox.username to root@pam and " +
          "phoenix:proxmox.password (secret), or remove it",
      },
    ],
  ],
  [
    "no datastore anywhere",
    (v) => delete (v["phoenix:proxmox"] as Values)["datastore"],
    [
      {
        path: "phoenix:vms[0].datastore",
        message:
          "is required: set the site default phoenix:proxmox.datastore (e.g. " +
          "local-zfs) or datastore on this guest; the provider would otherwise put " +
          "its disks and cloud-init drive on local-lvm",
      },
      {
        path: "phoenix:vms[1].datastore",
        message:
          "is required: set the site default phoenix:proxmox.datastore (e.g. " +
          "local-zfs) or datastore on this guest; the provider would otherwise put " +
          "its disks and cloud-init drive on local-lvm",
      },
      {
        path: "phoenix:lxcs[0].datastore",
        message:
          "is required: set the site default phoenix:proxmox.datastore (e.g. " +
          "local-zfs) or datastore on this guest; the provider would otherwise put " +
          "its root filesystem on local",
      },
    ],
  ],
  [
    "datastore not a storage id",
    (v) => (vm(v, 0).datastore = "local zfs"),
    [{ path: "phoenix:vms[0].datastore", message: "must be a Proxmox storage id such as local-zfs or local-lvm" }],
  ],
  [
    "unknown os_type",
    (v) => (lxc(v, 0).os_type = "windows"),
    [
      {
        path: "phoenix:lxcs[0].os_type",
        message:
          "must be one of alpine, archlinux, centos, debian, devuan, fedora, " +
          "gentoo, nixos, opensuse, ubuntu, unmanaged",
      },
    ],
  ],
  [
    "os_type not inferable from the template",
    (v) => (lxc(v, 0).template = "local:vztmpl/custom-base.tar.zst"),
    [
      {
        path: "phoenix:lxcs[0].os_type",
        message:
          "is required: the distribution cannot be told from custom-base.tar.zst " +
          "(one of alpine, archlinux, centos, debian, devuan, fedora, gentoo, " +
          "nixos, opensuse, ubuntu); without it Proxmox configures no address, " +
          "hostname or SSH key",
      },
    ],
  ],
  [
    "unmanaged os_type with features",
    (v) => (lxc(v, 0).os_type = "unmanaged"),
    [
      {
        path: "phoenix:lxcs[0].os_type",
        message:
          '"unmanaged" makes Proxmox configure no address or SSH key, so phoenix ' +
          "cannot set this guest up over SSH (features: docker)",
      },
    ],
  ],
  [
    "os_type on a clone",
    (v) => {
      delete lxc(v, 0).template;
      lxc(v, 0).clone_from_ctid = 8000;
      lxc(v, 0).os_type = "debian";
    },
    [
      {
        path: "phoenix:lxcs[0].os_type",
        message: "applies only to a container made from a template; a clone keeps the OS type of its source",
      },
    ],
  ],
  [
    "gpus without q35",
    (v) => (vm(v, 1).gpus = [{ mapping: "rtx-a4000" }]),
    [
      {
        path: "phoenix:vms[1].gpus[0].pcie",
        message:
          "needs machine: q35 on this VM (Proxmox refuses PCIe passthrough on the " +
          "i440fx machine, the default); set machine: q35 or pcie: false",
      },
    ],
  ],
  [
    "gpus on an i440fx machine",
    (v) => {
      vm(v, 1).gpus = [{ mapping: "rtx-a4000" }];
      vm(v, 1).machine = "pc";
    },
    [
      {
        path: "phoenix:vms[1].gpus[0].pcie",
        message:
          "needs machine: q35 on this VM (Proxmox refuses PCIe passthrough on the " +
          'i440fx machine "pc"); set machine: q35 or pcie: false',
      },
    ],
  ],
  [
    "extra disk on the boot interface",
    (v) => (vm(v, 0).disks = [{ interface: "scsi0", size_gb: 10 }]),
    [
      {
        path: "phoenix:vms[0].disks[0].interface",
        message:
          "scsi0 is the boot disk cloned from the template (disk_size_gb sizes it); give extra disks another interface",
      },
    ],
  ],
  [
    "two extra disks on one interface",
    (v) =>
      (vm(v, 0).disks = [
        { interface: "scsi1", size_gb: 10 },
        { interface: "scsi1", size_gb: 20 },
      ]),
    [{ path: "phoenix:vms[0].disks[1].interface", message: "scsi1 is used by another disk of this VM" }],
  ],
  [
    "bad disk interface",
    (v) => (vm(v, 0).disks = [{ interface: "ide2", size_gb: 10 }]),
    [
      {
        path: "phoenix:vms[0].disks[0].interface",
        message: "must be a disk interface: scsi0-30, virtio0-15 or sata0-5",
      },
    ],
  ],
  [
    "vlan out of range",
    (v) => ((v["phoenix:proxmox"] as Values)["vlan"] = 4095),
    [{ path: "phoenix:proxmox.vlan", message: "Too big: expected number to be <=4094" }],
  ],
  [
    "four dns servers",
    (v) => (vm(v, 0).dns = { servers: ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"] }),
    [{ path: "phoenix:vms[0].dns.servers", message: "Too big: expected array to have <=3 items" }],
  ],
  [
    "bad tag",
    (v) => (vm(v, 0).tags = ["Web Server"]),
    [
      {
        path: "phoenix:vms[0].tags[0]",
        message: "must be a Proxmox tag (lower-case letters, digits, '_', '-', '+', '.')",
      },
    ],
  ],
  [
    "setup script file missing",
    (v) => (vm(v, 0).setup_scripts = [{ name: "motd", source: "scripts/guests/motd.sh" }]),
    [
      {
        path: "phoenix:vms[0].setup_scripts[0].source",
        message: "file scripts/guests/motd.sh does not exist in the project",
      },
    ],
  ],
  [
    "setup script outside the project",
    (v) => (vm(v, 0).setup_scripts = [{ name: "x", source: "../x.sh" }]),
    [
      {
        path: "phoenix:vms[0].setup_scripts[0].source",
        message: "must be a path relative to the project folder, without '..'",
      },
    ],
  ],
  [
    "setup script named twice",
    (v) =>
      (vm(v, 0).setup_scripts = [
        { name: "a", source: "test/fixtures/setup/fails.sh" },
        { name: "a", source: "test/fixtures/setup/fails.sh" },
      ]),
    [{ path: "phoenix:vms[0].setup_scripts", message: "must not name a script twice" }],
  ],
  [
    "setup script secret not set",
    (v) =>
      (vm(v, 0).setup_scripts = [
        { name: "a", source: "test/fixtures/setup/fails.sh", env: { APP_TOKEN: { secret: "app_token" } } },
      ]),
    [
      {
        path: "phoenix:vms[0].setup_scripts[0].env.APP_TOKEN",
        message: "config key phoenix:app_token is not set; set it with pulumi config set --secret app_token <value>",
      },
    ],
  ],
  [
    "setup script secret in plain text",
    (v) => {
      vm(v, 0).setup_scripts = [
        { name: "a", source: "test/fixtures/setup/fails.sh", env: { APP_TOKEN: { secret: "app_token" } } },
      ];
      v["phoenix:app_token"] = "plain";
    },
    [
      {
        path: "phoenix:vms[0].setup_scripts[0].env.APP_TOKEN",
        message:
          "config key phoenix:app_token must be stored as a secret, not in plain " +
          "text; set it with pulumi config set --secret app_token <value>",
      },
    ],
  ],
  [
    "setup script on a guest without features",
    (v) => {
      lxc(v, 0).features = [];
      lxc(v, 0).portainer_role = undefined;
      lxc(v, 0).docker_stacks = [];
      lxc(v, 0).setup_scripts = [{ name: "a", source: "test/fixtures/setup/fails.sh" }];
    },
    [
      {
        path: "phoenix:lxcs[0].setup_scripts[0]",
        message: "setup scripts run over SSH after the features: give this guest base_setup or docker",
      },
    ],
  ],
  [
    "mount point twice",
    (v) =>
      (lxc(v, 0).mount_points = [
        { host_path: "/a", path: "/data" },
        { host_path: "/b", path: "/data" },
      ]),
    [{ path: "phoenix:lxcs[0].mount_points[1].path", message: "/data is mounted twice" }],
  ],
  [
    "device not under /dev",
    (v) => (lxc(v, 0).devices = [{ path: "/tmp/x" }]),
    [{ path: "phoenix:lxcs[0].devices[0].path", message: "must be a device path such as /dev/nvidia0" }],
  ],
  [
    "unknown key in proxmox",
    (v) => ((v["phoenix:proxmox"] as Values)["nodename"] = "x"),
    [{ path: "phoenix:proxmox.nodename", message: "unknown key" }],
  ],
  [
    "insecure not a boolean",
    (v) => ((v["phoenix:proxmox"] as Values)["insecure"] = "yes"),
    [{ path: "phoenix:proxmox.insecure", message: "Invalid input: expected boolean, received string" }],
  ],
  [
    "unknown top-level key",
    (v) => (v["phoenix:vm"] = []),
    [
      {
        path: "phoenix:vm",
        message:
          "unknown config key (known: phoenix:proxmox, phoenix:vms, phoenix:lxcs, " +
          "phoenix:portainer, phoenix:environment, phoenix:guest_ssh, " +
          "phoenix:guest_setup, phoenix:gateways, phoenix:certificates, phoenix:dns, phoenix:firewall, " +
          "phoenix:hypervisor, phoenix:templates, and " +
          "secrets named by stack manifests and setup " +
          "scripts)",
      },
    ],
  ],
  ["vms not a list", (v) => (v["phoenix:vms"] = { vmid: 1 }), [{ path: "phoenix:vms", message: "must be a list" }]],
  [
    "vmid below 100",
    (v) => (vm(v, 0).vmid = 99),
    [{ path: "phoenix:vms[0].vmid", message: "Too small: expected number to be >=100" }],
  ],
  ["missing cores", (v) => delete vm(v, 0).cores, [{ path: "phoenix:vms[0].cores", message: "is required (number)" }]],
  [
    "fractional memory",
    (v) => (vm(v, 0).memory_mb = 1024.5),
    [{ path: "phoenix:vms[0].memory_mb", message: "Invalid input: expected int, received number" }],
  ],
  [
    "bad guest name",
    (v) => (vm(v, 0).name = "Portainer Server"),
    [
      {
        path: "phoenix:vms[0].name",
        message: "must be a DNS label: letters, digits and hyphens, at most 63 characters",
      },
    ],
  ],
  [
    "unknown feature",
    (v) => (vm(v, 0).features = ["docker", "nvidia"]),
    [{ path: "phoenix:vms[0].features[1]", message: 'Invalid option: expected one of "base_setup"|"docker"' }],
  ],
  [
    "feature twice",
    (v) => (vm(v, 0).features = ["docker", "docker"]),
    [{ path: "phoenix:vms[0].features", message: "must not list a feature twice" }],
  ],
  [
    "ip without prefix",
    (v) => (vm(v, 0).network_config.ip = "10.0.0.101"),
    [
      {
        path: "phoenix:vms[0].network_config.ip",
        message: "must be an IPv4 address with a prefix length, e.g. 10.0.0.101/24",
      },
    ],
  ],
  [
    "bad gateway",
    (v) => (vm(v, 0).network_config.gw = "10.0.0.300"),
    [{ path: "phoenix:vms[0].network_config.gw", message: "must be an IPv4 address, e.g. 10.0.0.1" }],
  ],
  [
    "gateway outside subnet",
    (v) => (vm(v, 1).network_config.gw = "10.0.1.1"),
    [{ path: "phoenix:vms[1].network_config.gw", message: "10.0.1.1 is outside the guest's subnet 10.0.0.102/24" }],
  ],
  [
    "unknown portainer role",
    (v) => (vm(v, 0).portainer_role = "server"),
    [{ path: "phoenix:vms[0].portainer_role", message: 'Invalid option: expected one of "primary"|"agent"' }],
  ],
  [
    "vm without username",
    (v) => (vm(v, 0).user_config = {}),
    [{ path: "phoenix:vms[0].user_config.username", message: "is required (string)" }],
  ],
  [
    "seed key docker_compose_files",
    (v) => (vm(v, 0).docker_compose_files = []),
    [{ path: "phoenix:vms[0].docker_compose_files", message: "unknown key" }],
  ],
  [
    "nfs mount point not absolute",
    (v) => (vm(v, 0).volumes = [{ type: "nfs", name: "data", path: "/export/data", mount_point: "data" }]),
    [{ path: "phoenix:vms[0].volumes[0].mount_point", message: "must be an absolute path (inside the guest)" }],
  ],
  [
    "duplicate vmid",
    (v) => (vm(v, 1).vmid = 1001),
    [
      {
        path: "phoenix:vms[1].vmid",
        message: '1001 is already used by phoenix:vms[0] (VM 1001 "Portainer"); VMs and LXCs share one id space',
      },
    ],
  ],
  [
    "ctid clashing with a vmid",
    (v) => (lxc(v, 0).ctid = 1002),
    [
      {
        path: "phoenix:lxcs[0].ctid",
        message: '1002 is already used by phoenix:vms[1] (VM 1002 "Dr-Phoenix"); VMs and LXCs share one id space',
      },
    ],
  ],
  [
    "duplicate ip",
    (v) => (lxc(v, 0).network_config.ip = "10.0.0.102/24"),
    [
      {
        path: "phoenix:lxcs[0].network_config.ip",
        message: '10.0.0.102 is already used by phoenix:vms[1] (VM 1002 "Dr-Phoenix")',
      },
    ],
  ],
  [
    "duplicate guest name",
    (v) => (lxc(v, 0).name = "dr-phoenix"),
    [
      {
        path: "phoenix:lxcs[0].name",
        message:
          '"dr-phoenix" is already used by phoenix:vms[1] (VM 1002 "Dr-Phoenix"); ' +
          "guest names name Portainer environments and must be unique",
      },
    ],
  ],
  [
    "docker stacks without docker",
    (v) => (vm(v, 1).features = ["base_setup"]),
    [
      {
        path: "phoenix:vms[1].portainer_role",
        message: '"agent" needs the docker feature on this guest (features: base_setup)',
      },
      { path: "phoenix:vms[1].docker_stacks", message: "needs the docker feature on this guest" },
    ],
  ],
  [
    "docker stacks without a portainer role",
    (v) => delete vm(v, 1).portainer_role,
    [
      {
        path: "phoenix:vms[1].docker_stacks",
        message:
          'needs a portainer_role ("primary" or "agent"): Portainer deploys stacks ' +
          "only to guests running its server or an agent",
      },
    ],
  ],
  [
    "portainer role without docker",
    (v) => (vm(v, 0).features = []),
    [
      {
        path: "phoenix:vms[0].portainer_role",
        message: '"primary" needs the docker feature on this guest (features: none)',
      },
    ],
  ],
  [
    "agents without a primary",
    (v) => delete vm(v, 0).portainer_role,
    [
      {
        path: "phoenix:vms[1].portainer_role",
        message: '"agent" needs exactly one guest with portainer_role "primary" (found none)',
      },
    ],
  ],
  [
    "two primaries",
    (v) => (vm(v, 1).portainer_role = "primary"),
    [
      {
        path: "phoenix:vms[1].portainer_role",
        message: 'only one guest may be "primary"; phoenix:vms[0] (VM 1001 "Portainer") already is',
      },
    ],
  ],
  [
    "lxc docker without keyctl",
    (v) => (lxc(v, 0).proxmox_features = { nesting: true }),
    [
      {
        path: "phoenix:lxcs[0].proxmox_features",
        message: "Docker inside an LXC needs nesting: true and keyctl: true",
      },
    ],
  ],
  [
    "lxc with template and clone",
    (v) => (lxc(v, 0).clone_from_ctid = 900),
    [{ path: "phoenix:lxcs[0]", message: "set exactly one of template or clone_from_ctid" }],
  ],
  [
    "lxc template not a volume id",
    (v) => (lxc(v, 0).template = "debian-12.tar.zst"),
    [
      {
        path: "phoenix:lxcs[0].template",
        message: "must be a template volume id such as local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      },
    ],
  ],
  [
    "unknown stack",
    (v) => (vm(v, 1).docker_stacks = [{ name: "qdrant" }]),
    [
      {
        path: "phoenix:vms[1].docker_stacks[0].name",
        message: 'unknown stack "qdrant" (stacks: qdrant_service, thinkheads_ai_app)',
      },
    ],
  ],
  [
    "environment not in manifest",
    (v) => (vm(v, 1).docker_stacks[0].environment = "staging"),
    [
      {
        path: "phoenix:vms[1].docker_stacks[0].environment",
        message:
          'environment "staging" is not defined by stacks/qdrant_service/phoenix.json (defines: testing, production)',
      },
    ],
  ],
  [
    "default environment not in manifest",
    (v) => {
      v["phoenix:environment"] = "staging";
      delete vm(v, 1).docker_stacks[0].environment;
    },
    [
      {
        path: "phoenix:vms[1].docker_stacks[0]",
        message:
          'environment "staging" is not defined by stacks/qdrant_service/phoenix.json (defines: testing, production)',
      },
    ],
  ],
  [
    "no environment at all",
    (v) => {
      delete v["phoenix:environment"];
      delete vm(v, 1).docker_stacks[0].environment;
    },
    [
      {
        path: "phoenix:vms[1].docker_stacks[0].environment",
        message: "is required: set it here or set phoenix:environment",
      },
    ],
  ],
  [
    "same stack twice on a guest",
    (v) => vm(v, 1).docker_stacks.push({ name: "qdrant_service", environment: "testing" }),
    [
      {
        path: "phoenix:vms[1].docker_stacks[1].name",
        message:
          'stack "qdrant_service" is already assigned to Dr-Phoenix; a stack name is unique per Portainer environment',
      },
    ],
  ],
  [
    "missing stack secret",
    (v) => delete v["phoenix:qdrant_api_key"],
    [
      {
        path: "stacks/qdrant_service/phoenix.json: environments.production.variables[1].secret",
        message:
          "config key phoenix:qdrant_api_key is not set (needed by " +
          "phoenix:vms[1].docker_stacks[0]); set it with pulumi config set --secret " +
          "qdrant_api_key <value>",
      },
    ],
  ],
  [
    "stack secret in plain text",
    (v) => v,
    [
      {
        path: "stacks/qdrant_service/phoenix.json: environments.production.variables[1].secret",
        message:
          "config key phoenix:qdrant_api_key must be stored as a secret, not in " +
          "plain text (needed by phoenix:vms[1].docker_stacks[0]); set it with " +
          "pulumi config set --secret qdrant_api_key <value>",
      },
    ],
    SECRET_KEYS.filter((k) => k !== "phoenix:qdrant_api_key"),
  ],
  [
    "portainer missing with roles",
    (v) => delete v["phoenix:portainer"],
    [
      {
        path: "phoenix:portainer",
        message: "is required when a guest has a portainer_role (version, admin_username, admin_password)",
      },
    ],
  ],
  [
    "portainer version latest",
    (v) => ((v["phoenix:portainer"] as Values)["version"] = "latest"),
    [{ path: "phoenix:portainer.version", message: "must be a pinned image tag such as 2.27.9 (not latest)" }],
  ],
  [
    "portainer older than 2.19",
    (v) => ((v["phoenix:portainer"] as Values)["version"] = "2.18.4"),
    [
      {
        path: "phoenix:portainer.version",
        message: "must be 2.19.0 or later (older servers lack the stack API this project uses)",
      },
    ],
  ],
  [
    "short admin password",
    (v) => ((v["phoenix:portainer"] as Values)["admin_password"] = "short-pass"),
    [{ path: "phoenix:portainer.admin_password", message: "must be at least 12 characters (Portainer's minimum)" }],
  ],
  [
    "admin username with a space",
    (v) => ((v["phoenix:portainer"] as Values)["admin_username"] = "the admin"),
    [{ path: "phoenix:portainer.admin_username", message: "must be a non-empty user name without whitespace" }],
  ],
  [
    "portainer url not http",
    (v) => ((v["phoenix:portainer"] as Values)["url"] = "ftp://10.0.0.101"),
    [{ path: "phoenix:portainer.url", message: "must be an http or https URL such as http://10.0.0.101:9000" }],
  ],
  [
    "both ca cert and skip verify",
    (v) =>
      ((v["phoenix:portainer"] as Values)["tls"] = {
        ca_cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        insecure_skip_verify: true,
      }),
    [{ path: "phoenix:portainer.tls", message: "set either ca_cert or insecure_skip_verify, not both" }],
  ],
  [
    "ca cert not PEM",
    (v) => ((v["phoenix:portainer"] as Values)["tls"] = { ca_cert: "MIIB" }),
    [{ path: "phoenix:portainer.tls.ca_cert", message: "must be a PEM certificate (-----BEGIN CERTIFICATE-----)" }],
  ],
  [
    "setup token in plain text",
    (v) => ((v["phoenix:portainer"] as Values)["setup_token"] = "abc"),
    [
      {
        path: "phoenix:portainer.admin_password",
        message:
          "must be stored as a secret, not in plain text: pulumi config set " +
          "--secret --path 'portainer.admin_password' <value>",
      },
      {
        path: "phoenix:portainer.setup_token",
        message:
          "must be stored as a secret, not in plain text: pulumi config set " +
          "--secret --path 'portainer.setup_token' <value>",
      },
    ],
    SECRET_KEYS.filter((k) => k !== "phoenix:portainer"),
  ],
  [
    "agent port out of range",
    (v) => ((v["phoenix:portainer"] as Values)["agent_port"] = 70000),
    [{ path: "phoenix:portainer.agent_port", message: "Too big: expected number to be <=65535" }],
  ],
  [
    "guest_ssh missing while guests have features",
    (v) => delete v["phoenix:guest_ssh"],
    [
      {
        path: "phoenix:guest_ssh",
        message:
          "is required: phoenix:vms[0] has features (base_setup, docker) that " +
          "phoenix sets up over SSH (public_key, private_key)",
      },
    ],
  ],
  [
    "guest_ssh private key in plain text",
    (v) => v,
    [
      {
        path: "phoenix:guest_ssh.private_key",
        message:
          "must be stored as a secret, not in plain text: pulumi config set " +
          "--secret --path 'guest_ssh.private_key' <value>",
      },
    ],
    SECRET_KEYS.filter((k) => k !== "phoenix:guest_ssh"),
  ],
  [
    "guest_ssh private key not a key",
    (v) => ((v["phoenix:guest_ssh"] as Values)["private_key"] = "hunter2"),
    [
      {
        path: "phoenix:guest_ssh.private_key",
        message: "must be a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)",
      },
    ],
  ],
  [
    "guest_ssh public key malformed",
    (v) => ((v["phoenix:guest_ssh"] as Values)["public_key"] = "AAAAC3Nza"),
    [{ path: "phoenix:guest_ssh.public_key", message: "must be an OpenSSH public key" }],
  ],
  [
    "environment name with capitals",
    (v) => (v["phoenix:environment"] = "Production"),
    [{ path: "phoenix:environment", message: "must be an environment name (lower-case letters, digits, '-', '_')" }],
  ],
];

describe("validateSite rejects invalid site configuration", () => {
  it.each(siteCases.map(([name, mutate, expected, keys]) => [name, mutate, expected, keys ?? SECRET_KEYS] as const))(
    "%s",
    (_name, mutate, expected, secretKeys) => {
      const v = validValues();
      mutate(v);
      expect(problemsOf(v, { secretKeys })).toEqual(expected);
    },
  );

  it("cross-checks a guest whose other keys are invalid: cores -2 and a duplicate vmid are reported together", () => {
    const v = validValues();
    vm(v, 0).cores = -2;
    vm(v, 1).vmid = 1001;
    expect(problemsOf(v)).toEqual([
      { path: "phoenix:vms[0].cores", message: "Too small: expected number to be >=1" },
      {
        path: "phoenix:vms[1].vmid",
        message: '1001 is already used by phoenix:vms[0] (VM 1001 "Portainer"); VMs and LXCs share one id space',
      },
    ]);
  });

  it("does not report a missing primary when a guest's portainer_role is itself invalid", () => {
    const v = validValues();
    vm(v, 0).portainer_role = "main";
    expect(problemsOf(v)).toEqual([
      { path: "phoenix:vms[0].portainer_role", message: 'Invalid option: expected one of "primary"|"agent"' },
    ]);
  });

  it("reports problems from several sections at once", () => {
    const v = validValues();
    vm(v, 0).cores = 0;
    (v["phoenix:portainer"] as Values)["version"] = "latest";
    lxc(v, 0).network_config.ip = "10.0.0.101/24";
    expect(problemsOf(v)).toEqual([
      { path: "phoenix:portainer.version", message: "must be a pinned image tag such as 2.27.9 (not latest)" },
      { path: "phoenix:vms[0].cores", message: "Too small: expected number to be >=1" },
      // vms[0] failed its schema, yet its valid keys are still cross-checked: the IP clash is reported.
      {
        path: "phoenix:lxcs[0].network_config.ip",
        message: '10.0.0.101 is already used by phoenix:vms[0] (VM 1001 "Portainer")',
      },
    ]);
  });
});

/** Invalid manifests: each edits a scratch copy of the example stacks. */
const manifestCases: Array<[string, (dir: string) => void, Problem[]]> = [
  [
    "manifest not JSON",
    (d) => fs.writeFileSync(path.join(d, "qdrant_service/phoenix.json"), "{ name: qdrant_service"),
    [
      {
        path: "stacks/qdrant_service/phoenix.json",
        message: expect.stringMatching(/^is not valid JSON: /) as unknown as string,
      },
    ],
  ],
  [
    "name differs from folder",
    (d) => editJson(path.join(d, "qdrant_service/phoenix.json"), (m) => (m["name"] = "qdrant")),
    [{ path: "stacks/qdrant_service/phoenix.json: name", message: 'must equal its folder name "qdrant_service"' }],
  ],
  [
    "name not normalised",
    (d) => editJson(path.join(d, "thinkheads_ai_app/phoenix.json"), (m) => (m["name"] = "Thinkheads.AI")),
    [
      {
        path: "stacks/thinkheads_ai_app/phoenix.json: name",
        message: "must be a normalised stack name (lower-case letters, digits, '-', '_')",
      },
    ],
  ],
  [
    "compose file missing",
    (d) => fs.rmSync(path.join(d, "qdrant_service/docker-compose.yml")),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: compose_file",
        message: "file docker-compose.yml does not exist in qdrant_service/",
      },
    ],
  ],
  [
    "compose file not YAML",
    (d) => fs.writeFileSync(path.join(d, "qdrant_service/docker-compose.yml"), "services:\n  qdrant: [\n"),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: compose_file",
        message: expect.stringMatching(/^docker-compose\.yml is not valid YAML: /) as unknown as string,
      },
    ],
  ],
  [
    "compose file without services",
    (d) => fs.writeFileSync(path.join(d, "qdrant_service/docker-compose.yml"), "volumes:\n  data: {}\n"),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: compose_file",
        message: "docker-compose.yml must be a compose file with a non-empty services map",
      },
    ],
  ],
  [
    "compose file escaping the folder",
    (d) =>
      editJson(
        path.join(d, "qdrant_service/phoenix.json"),
        (m) => (m["compose_file"] = "../thinkheads_ai_app/docker-compose.yml"),
      ),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: compose_file",
        message: "must be a path relative to the stack folder, without '..'",
      },
    ],
  ],
  [
    "files source missing",
    (d) => fs.rmSync(path.join(d, "qdrant_service/config/production.yaml")),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: environments.production.files[0].source",
        message: expect.stringMatching(
          /^file .*qdrant_service\/config\/production\.yaml does not exist$/,
        ) as unknown as string,
      },
    ],
  ],
  [
    "files destination relative",
    (d) =>
      editJson(
        path.join(d, "qdrant_service/phoenix.json"),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped manifest JSON
        (m) => ((m as any).environments.testing.files[0].destination = "config/local.yaml"),
      ),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: environments.testing.files[0].destination",
        message: "must be an absolute path (inside the container)",
      },
    ],
  ],
  [
    "files service not in compose",
    (d) =>
      editJson(
        path.join(d, "qdrant_service/phoenix.json"),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped manifest JSON
        (m) => ((m as any).environments.testing.files[0].service = "db"),
      ),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: environments.testing.files[0].service",
        message: 'service "db" is not in docker-compose.yml (services: qdrant)',
      },
    ],
  ],
  [
    "traefik service not in compose",
    (d) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped manifest JSON
      editJson(path.join(d, "thinkheads_ai_app/phoenix.json"), (m) => ((m as any).traefik_service.service = "web")),
    [
      {
        path: "stacks/thinkheads_ai_app/phoenix.json: traefik_service.service",
        message: 'service "web" is not in docker-compose.yml (services: app, cache)',
      },
    ],
  ],
  [
    "traefik port out of range",
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped manifest JSON
    (d) => editJson(path.join(d, "thinkheads_ai_app/phoenix.json"), (m) => ((m as any).traefik_service.port = 0)),
    [
      {
        path: "stacks/thinkheads_ai_app/phoenix.json: traefik_service.port",
        message: "Too small: expected number to be >=1",
      },
    ],
  ],
  [
    "variable with a bad name",
    (d) =>
      editJson(
        path.join(d, "qdrant_service/phoenix.json"),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped manifest JSON
        (m) => ((m as any).environments.production.variables[0].name = "LOG-LEVEL"),
      ),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: environments.production.variables[0].name",
        message: "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)",
      },
    ],
  ],
  [
    "no environments",
    (d) => editJson(path.join(d, "qdrant_service/phoenix.json"), (m) => (m["environments"] = {})),
    [{ path: "stacks/qdrant_service/phoenix.json: environments", message: "must define at least one environment" }],
  ],
  [
    "variable with neither value nor secret",
    (d) =>
      editJson(
        path.join(d, "qdrant_service/phoenix.json"),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped manifest JSON
        (m) => ((m as any).environments.production.variables[0] = { name: "X" }),
      ),
    [
      {
        path: "stacks/qdrant_service/phoenix.json: environments.production.variables[0]",
        message: "must be {name, value} or {name, secret} (secret names a config key holding a secret)",
      },
    ],
  ],
  [
    "unknown manifest key",
    (d) =>
      editJson(path.join(d, "qdrant_service/phoenix.json"), (m) => (m["compose_file_path"] = "docker-compose.yml")),
    [{ path: "stacks/qdrant_service/phoenix.json: compose_file_path", message: "unknown key" }],
  ],
];

describe("validateSite rejects invalid stack manifests", () => {
  it.each(manifestCases)("%s", (_name, breakIt, expected) => {
    const dir = scratchStacks();
    try {
      breakIt(dir);
      const r = validateSite(rawConfig(validValues()), { stacksDir: dir, projectDir: path.dirname(dir) });
      const problems = r.ok
        ? []
        : r.problems.map((p) => ({ ...p, path: p.path.replace(path.basename(dir), "stacks") }));
      expect(problems).toEqual(expected);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
