// Proves: phoenix:hypervisor, phoenix:templates, a guest's snapshot and portainer.data_path are checked with exact
// messages naming the key (pools, disks and wiping refused; the node's SSH required for datasets and exports; a
// template's file name and id; snapshots only with a verifiable API); the exports the node serves are derived from
// the VMs' volumes (each path for exactly the guests that mount it); the renderers' output is exact, and where
// Portainer's data lives is said. Does not prove: anything on a node (test/guests/hypervisor.guest.ts runs the
// exports script on a real guest).
import { datacenterRules, datasetScript, exportsFile, nfsExports } from "../../config/hypervisor";
import { portainerDataPlan } from "../../config/desired";
import { validateSite, type Problem, type SiteConfig } from "../../config/validate";
import { EXAMPLE_STACKS, PROJECT_DIR, rawConfig, validValues } from "../helpers/site";

type Values = Record<string, unknown>;
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnode-only\n-----END OPENSSH PRIVATE KEY-----\n";

function check(mutate: (v: Values) => void): { ok: true; site: SiteConfig } | { ok: false; problems: Problem[] } {
  const v = validValues();
  mutate(v);
  return validateSite(rawConfig(v), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
}
const problemsOf = (mutate: (v: Values) => void) => {
  const r = check(mutate);
  return r.ok ? [] : r.problems;
};
const siteOf = (mutate: (v: Values) => void) => {
  const r = check(mutate);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.site;
};
const proxmox = (v: Values) => v["phoenix:proxmox"] as Values;
const vms = (v: Values) => v["phoenix:vms"] as Values[];
const withNodeSsh = (v: Values) => (proxmox(v)["ssh"] = { username: "root", private_key: KEY });
const volume = (path: string, server?: string) => ({
  type: "nfs",
  name: "data",
  path,
  mount_point: "/persistent-storage",
  ...(server ? { server } : {}),
});

describe("the NFS exports the node serves", () => {
  it("lists each path for exactly the guests that mount it, in config order, and not other servers' volumes", () => {
    const site = siteOf((v) => {
      withNodeSsh(v);
      vms(v)[0]!["volumes"] = [volume("/quickOS/shared"), volume("/quickOS/vm-persistent-data/1001", "10.0.0.13")];
      vms(v)[1]!["volumes"] = [volume("/quickOS/shared"), volume("/tank/elsewhere", "10.0.0.50")];
    });
    expect(site.hypervisor!.exports).toEqual([
      {
        path: "/quickOS/shared",
        clients: [
          { ip: "10.0.0.101", guest: "Portainer" },
          { ip: "10.0.0.102", guest: "Dr-Phoenix" },
        ],
      },
      { path: "/quickOS/vm-persistent-data/1001", clients: [{ ip: "10.0.0.101", guest: "Portainer" }] },
    ]);
    expect(exportsFile(site.hypervisor!.exports, "rw,sync")).toBe(
      "# Written by phoenix (Pulumi): the NFS exports of the guests' volumes (phoenix:vms[].volumes).\n" +
        "# Rewritten by pulumi up when they change; edits here are lost.\n" +
        "/quickOS/shared 10.0.0.101(rw,sync) 10.0.0.102(rw,sync)\n" +
        "/quickOS/vm-persistent-data/1001 10.0.0.101(rw,sync)\n",
    );
    expect(nfsExports("10.0.0.13", [])).toEqual([]);
  });

  it("needs the node's SSH access, and says what for", () => {
    expect(problemsOf((v) => (vms(v)[0]!["volumes"] = [volume("/quickOS/vm-persistent-data/1001")]))).toEqual([
      {
        path: "phoenix:proxmox.ssh",
        message:
          "is required: phoenix makes the 1 NFS export of the guests' volumes (/quickOS/vm-persistent-data/1001) on " +
          "node phoenix over SSH (username, private_key); or give each volume the server that already exports it",
      },
    ]);
    expect(
      problemsOf((v) => (v["phoenix:hypervisor"] = { zfs_datasets: [{ name: "quickOS/vm-persistent-data" }] })),
    ).toEqual([
      {
        path: "phoenix:proxmox.ssh",
        message:
          "is required: phoenix makes the ZFS datasets (quickOS/vm-persistent-data) on node phoenix over SSH " +
          "(username, private_key); or give each volume the server that already exports it",
      },
    ]);
    // A volume another server exports needs nothing from the node.
    expect(problemsOf((v) => (vms(v)[0]!["volumes"] = [volume("/tank/x", "10.0.0.50")]))).toEqual([]);
  });
});

describe("phoenix:hypervisor", () => {
  it("refuses what could destroy data, naming the key", () => {
    expect(
      problemsOf((v) => {
        withNodeSsh(v);
        v["phoenix:hypervisor"] = { zfs_pools: [{ name: "quickOS", disks: ["/dev/sda"] }], wipe: true, disks: [] };
      }),
    ).toEqual([
      {
        path: "phoenix:hypervisor.zfs_pools",
        message:
          "is refused: creating a ZFS pool on disks can destroy their data; create it on the node (zpool create) " +
          "and list its datasets under zfs_datasets",
      },
      { path: "phoenix:hypervisor.disks", message: "is refused: phoenix never partitions or wipes disks" },
      { path: "phoenix:hypervisor.wipe", message: "is refused: phoenix never wipes disks or datasets" },
    ]);
  });

  it("checks datasets, storages, downloads and users with messages that say what is allowed", () => {
    expect(
      problemsOf((v) => {
        withNodeSsh(v);
        v["phoenix:hypervisor"] = {
          zfs_datasets: [{ name: "quickOS" }, { name: "quickOS/a", properties: { compression: "lz4 ; rm" } }],
          storages: [{ type: "lvm", id: "x", content: ["images"] }],
          downloads: [{ url: "http://x/y.img", storage: "local", content_type: "import", file_name: "noble.img" }],
          users: [{ id: "phoenix", tokens: [{ name: "1bad" }] }],
        };
      }),
    ).toEqual([
      {
        path: "phoenix:hypervisor.zfs_datasets[0].name",
        message: "must be a dataset inside an existing pool, such as quickOS/vm-persistent-data",
      },
      {
        path: "phoenix:hypervisor.zfs_datasets[1].properties.compression",
        message: "must be a ZFS property value such as lz4 or 128K",
      },
      { path: "phoenix:hypervisor.storages[0].type", message: "must have type dir, nfs or zfspool" },
      { path: "phoenix:hypervisor.downloads[0].url", message: "must be an https URL" },
      {
        path: "phoenix:hypervisor.downloads[0].file_name",
        message: "must end in .qcow2, .raw, .vmdk, .ova or .ovf for import content (Proxmox's rule)",
      },
      { path: "phoenix:hypervisor.users[0].id", message: "must be a Proxmox user such as phoenix@pve" },
      { path: "phoenix:hypervisor.users[0].tokens[0].name", message: "must be a token name such as deploy" },
    ]);
    expect(
      problemsOf((v) => {
        v["phoenix:hypervisor"] = {
          downloads: [{ url: "https://x/y.img", storage: "local", content_type: "import", file_name: "noble.img" }],
        };
      }),
    ).toEqual([
      {
        path: "phoenix:hypervisor.downloads[0].file_name",
        message: "must end in .qcow2, .raw, .vmdk, .ova or .ovf for import content (Proxmox's rule)",
      },
    ]);
  });

  it("takes datacenter firewall rules only with phoenix:firewall", () => {
    const rules = [{ proto: "tcp", port: "8006", source: "10.0.0.0/24" }];
    expect(problemsOf((v) => (v["phoenix:hypervisor"] = { firewall_rules: rules }))).toEqual([
      {
        path: "phoenix:hypervisor.firewall_rules",
        message: "needs phoenix:firewall (enabled): Proxmox applies datacenter rules only while its firewall is on",
      },
    ]);
    const site = siteOf((v) => {
      v["phoenix:hypervisor"] = { firewall_rules: rules };
      v["phoenix:firewall"] = { admin_networks: ["10.0.0.13/32"] };
    });
    expect(datacenterRules(site.hypervisor!)).toEqual([
      {
        direction: "in",
        action: "ACCEPT",
        proto: "tcp",
        dport: "8006",
        source: "10.0.0.0/24",
        comment: "phoenix:hypervisor.firewall_rules[0]",
      },
    ]);
  });

  it("makes a dataset's script: the pool must exist, properties converge, nothing is destroyed", () => {
    const s = datasetScript({
      name: "tank/a/b",
      properties: { recordsize: "16K", compression: "zstd" },
      mountpoint: "/tank/a/b",
    });
    expect(s).toContain("zfs create -p -o 'compression=zstd' -o 'recordsize=16K' 'tank/a/b'\n");
    expect(s).toContain("  zfs set 'compression=zstd' 'tank/a/b'\n  zfs set 'recordsize=16K' 'tank/a/b'\n");
    // What runs (not what it says): no destroy, no pool creation, no removal.
    const commands = s.split("\n").filter((l) => !/^\s*(echo |")/.test(l));
    expect(commands.filter((l) => /destroy|zpool create|wipefs|rm -/.test(l))).toEqual([]);
  });
});

describe("phoenix:templates", () => {
  const template = {
    vmid: 9100,
    name: "ubuntu-2404-cloud",
    image: {
      url: "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img",
      file_name: "noble.qcow2",
    },
  };

  it("resolves the site's datastore and bridge, and Proxmox's defaults for the rest", () => {
    expect(siteOf((v) => (v["phoenix:templates"] = [template])).templates).toEqual([
      {
        vmid: 9100,
        name: "ubuntu-2404-cloud",
        image: { ...template.image, storage: "local" },
        disk_size_gb: 20,
        cores: 2,
        memory_mb: 2048,
        cpu_type: "x86-64-v2-AES",
        agent: true,
        datastore: "local-zfs",
        bridge: "vmbr0",
        path: "phoenix:templates[0]",
      },
    ]);
  });

  it("refuses an id a guest or another template has, and an image Proxmox would not import", () => {
    expect(
      problemsOf((v) => {
        v["phoenix:templates"] = [
          { ...template, vmid: 1001 },
          template,
          { ...template, image: { ...template.image, file_name: "noble-server-cloudimg-amd64.img" } },
        ];
      }),
    ).toEqual([
      {
        path: "phoenix:templates[2].image.file_name",
        message: "must end in .qcow2, .raw, .vmdk, .ova or .ovf (Proxmox's rule for import content)",
      },
    ]);
    expect(problemsOf((v) => (v["phoenix:templates"] = [{ ...template, vmid: 1001 }, template, template]))).toEqual([
      { path: "phoenix:templates[0].vmid", message: "1001 is already used by phoenix:vms[0]" },
      { path: "phoenix:templates[2].vmid", message: "9100 is already used by another template" },
    ]);
  });
});

describe("snapshots", () => {
  it("are for VMs with memory, and only towards an API phoenix can verify", () => {
    expect(
      problemsOf((v) => {
        (v["phoenix:lxcs"] as Values[])[0]!["snapshot"] = { include_memory: true, name: "current" };
        proxmox(v)["insecure"] = true;
      }),
    ).toEqual([
      {
        path: "phoenix:lxcs[0].snapshot.name",
        message: "must not be current (Proxmox's name for the running state)",
      },
    ]);
    expect(
      problemsOf((v) => {
        (v["phoenix:lxcs"] as Values[])[0]!["snapshot"] = { include_memory: true };
        proxmox(v)["insecure"] = true;
      }),
    ).toEqual([
      {
        path: "phoenix:lxcs[0].snapshot.include_memory",
        message: "is for VMs only: a container snapshot has no memory state",
      },
      {
        path: "phoenix:proxmox.ca_cert",
        message:
          "is required for snapshots (phoenix:lxcs[0].snapshot) while insecure is true: phoenix sends the API " +
          "token only to a server it can verify; set it to the node's /etc/pve/pve-root-ca.pem",
      },
    ]);
    const s = siteOf((v) => (vms(v)[0]!["snapshot"] = {}));
    expect(s.guests[0]!.config.snapshot).toEqual({
      after_setup: true,
      name: "phoenix-ready",
      include_memory: false,
      retain: false,
    });
  });
});

describe("where Portainer's data lives", () => {
  it("on a volume with data_path below its mount point; else on the VM's disk, with a warning", () => {
    const onVolume = siteOf((v) => {
      withNodeSsh(v);
      vms(v)[0]!["volumes"] = [volume("/quickOS/vm-persistent-data/1001")];
      (v["phoenix:portainer"] as Values)["data_path"] = "/persistent-storage/portainer";
    });
    expect(portainerDataPlan(onVolume)).toEqual({
      where:
        "/persistent-storage/portainer on Portainer (below its volume at /persistent-storage), bind-mounted as /data",
    });
    const local = siteOf((v) => ((v["phoenix:portainer"] as Values)["data_path"] = "/srv/portainer"));
    expect(portainerDataPlan(local)).toEqual({
      where: "/srv/portainer on Portainer, bind-mounted as /data",
      warning:
        "Portainer's data (/srv/portainer on Portainer, bind-mounted as /data) lives only on Portainer's own disk: " +
        "replacing the VM loses it. Set phoenix:portainer.data_path below one of its volumes' mount points",
    });
    expect(problemsOf((v) => ((v["phoenix:portainer"] as Values)["data_path"] = "/srv/../etc"))).toEqual([
      { path: "phoenix:portainer.data_path", message: "must be a directory below / without a trailing '/' or '..'" },
    ]);
  });
});
