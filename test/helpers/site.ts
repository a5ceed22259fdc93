/**
 * Builders for site configurations used by the tests: a valid raw config (as the Pulumi runtime
 * would hand it over, secrets decrypted and their keys marked) and a scratch copy of the example
 * stacks folder that a test may break.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RawConfig } from "../../config/validate";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
export const EXAMPLE_STACKS = path.join(PROJECT_DIR, "stacks");

/** A valid site in the shape of `Pulumi.prod.yaml`, secrets in plain text as the runtime gives them. */
export function validValues(): Record<string, unknown> {
  return {
    "phoenix:environment": "production",
    "phoenix:proxmox": {
      endpoint: "https://10.0.0.13:8006",
      node_name: "phoenix",
      api_token: "root@pam!phoenix=11111111-2222-3333-4444-555555555555",
      // The LXC below sets keyctl, which only root@pam with a password may do.
      username: "root@pam",
      password: "a-root-password",
      datastore: "local-zfs",
    },
    "phoenix:portainer": {
      version: "2.27.9",
      admin_username: "admin",
      admin_password: "a-long-admin-password",
    },
    "phoenix:vms": [
      {
        vmid: 1001,
        name: "Portainer",
        clone_from_vmid: 9000,
        cores: 4,
        memory_mb: 8192,
        disk_size_gb: 32,
        start_at_boot: true,
        boot_order: 1,
        features: ["base_setup", "docker"],
        portainer_role: "primary",
        network_config: { ip: "10.0.0.101/24", gw: "10.0.0.1" },
        user_config: { username: "phoenix_user" },
      },
      {
        vmid: 1002,
        name: "Dr-Phoenix",
        clone_from_vmid: 9000,
        cores: 4,
        memory_mb: 4096,
        disk_size_gb: 64,
        features: ["base_setup", "docker"],
        portainer_role: "agent",
        network_config: { ip: "10.0.0.102/24", gw: "10.0.0.1" },
        user_config: { username: "phoenix_user" },
        docker_stacks: [{ name: "qdrant_service", environment: "production" }],
      },
    ],
    "phoenix:lxcs": [
      {
        ctid: 2002,
        name: "dev-apps",
        template: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        cores: 2,
        memory_mb: 2048,
        disk_size_gb: 16,
        features: ["docker"],
        proxmox_features: { nesting: true, keyctl: true },
        portainer_role: "agent",
        network_config: { ip: "10.0.0.202/24", gw: "10.0.0.1" },
        docker_stacks: [{ name: "thinkheads_ai_app", environment: "testing" }],
      },
    ],
    "phoenix:guest_ssh": {
      public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhoenixExampleKeyOnlyForTests phoenix@example",
      private_key: "-----BEGIN OPENSSH PRIVATE KEY-----\nexample-only\n-----END OPENSSH PRIVATE KEY-----\n",
    },
    "phoenix:qdrant_api_key": "qdrant-key",
    "phoenix:thinkheads_session_secret": "session-secret",
  };
}

/** The keys the runtime marks secret for {@link validValues}. */
export const SECRET_KEYS = [
  "phoenix:proxmox",
  "phoenix:portainer",
  "phoenix:guest_ssh",
  "phoenix:qdrant_api_key",
  "phoenix:thinkheads_session_secret",
];

export function rawConfig(values: Record<string, unknown>, secretKeys: readonly string[] = SECRET_KEYS): RawConfig {
  return { values, secretKeys: new Set(secretKeys) };
}

/** A scratch copy of the example stacks folder, removed by the caller with `fs.rmSync`. */
export function scratchStacks(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-stacks-"));
  fs.cpSync(EXAMPLE_STACKS, dir, { recursive: true });
  return dir;
}

/** Edits a JSON file in place. */
export function editJson(file: string, edit: (doc: Record<string, unknown>) => void): void {
  const doc = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(doc);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
}
