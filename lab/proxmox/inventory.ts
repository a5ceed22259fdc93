/**
 * The lab's Proxmox host inventory: the nodes, storages, bridges, LXC templates, PCI mappings and existing
 * guests that the simulated Proxmox knows (`npm run lab -- ... --proxmox-host FILE`). What is not listed
 * does not exist, as on a real host. The default is `lab/hosts/zfs-single-node.json`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/** Proxmox storage content types (pve-storage). */
export const CONTENT_TYPES = ["images", "rootdir", "iso", "vztmpl", "snippets", "backup", "import"] as const;

function inventorySchema() {
  const disk = z.strictObject({
    interface: z.string().min(1),
    datastore: z.string().min(1),
    size_gb: z.number().positive(),
  });
  const guest = z.strictObject({
    kind: z.enum(["vm", "lxc"]),
    id: z.number().int().min(100),
    name: z.string().min(1),
    template: z.boolean().default(false),
    /** VMs: whether qemu-guest-agent runs from first boot. */
    agent: z.boolean().default(false),
    /** VMs: whether the image runs cloud-init (Proxmox's NoCloud drive configures it). */
    cloud_init: z.boolean().default(true),
    disks: z.array(disk).default([]),
    /** LXCs: the OS type in its config. */
    os_type: z.string().optional(),
    cores: z.number().int().optional(),
    memory_mb: z.number().int().optional(),
  });
  return z.strictObject({
    description: z.string().optional(),
    nodes: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          storages: z.array(
            z.strictObject({
              id: z.string().min(1),
              type: z.enum(["dir", "zfspool", "lvmthin", "lvm", "nfs", "cifs", "btrfs", "rbd", "cephfs", "pbs"]),
              content: z.array(z.enum(CONTENT_TYPES)),
              shared: z.boolean().default(false),
            }),
          ),
          bridges: z.array(z.strictObject({ name: z.string().min(1), vlan_aware: z.boolean().default(false) })),
          vztmpl: z.array(z.string()).default([]),
          pci_mappings: z.array(z.string()).default([]),
          guests: z.array(guest).default([]),
        }),
      )
      .min(1),
  });
}

export type Inventory = z.output<ReturnType<typeof inventorySchema>>;
export type InventoryNode = Inventory["nodes"][number];
export type InventoryGuest = InventoryNode["guests"][number];

/** The inventory used when `--proxmox-host` is not given. */
export const DEFAULT_INVENTORY = path.join(__dirname, "..", "hosts", "zfs-single-node.json");

/** Reads and validates an inventory file; errors name the file and the key. */
export function loadInventory(file: string): Inventory {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(`--proxmox-host ${file}: ${missing ? "no such file" : `not valid JSON: ${(e as Error).message}`}`);
  }
  const r = inventorySchema().safeParse(json);
  if (!r.success) {
    const first = r.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`);
    throw new Error(`--proxmox-host ${file}: ${first.join("; ")}`);
  }
  return r.data;
}
