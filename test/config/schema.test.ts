// Proves: version comparison used by the Portainer version rule; schema defaults for optional keys.
import { compareVersions, lxcSchema, portainerSchema, proxmoxSchema } from "../../config/schema";

describe("compareVersions", () => {
  it.each([
    ["2.19.0", "2.19.0", 0],
    ["2.27.9", "2.19.0", 1],
    ["2.18.4", "2.19.0", -1],
    ["2.100.0", "2.27.0", 1],
    ["2.27.9-alpine", "2.27.9", 0],
  ])("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});

describe("schema defaults", () => {
  const ctx = { secretKeys: new Set(["phoenix:proxmox", "phoenix:portainer"]) };

  it("defaults proxmox.insecure to false", () => {
    const p = proxmoxSchema(ctx).parse({ endpoint: "https://pve:8006", node_name: "pve", api_token: "t" });
    expect(p.insecure).toBe(false);
    expect(p.ssh).toBeUndefined();
  });

  it("defaults agent_port to 9001 and leaves url and tls unset", () => {
    const p = portainerSchema(ctx).parse({
      version: "2.27.9",
      admin_username: "admin",
      admin_password: "0123456789ab",
    });
    expect([p.agent_port, p.url, p.tls]).toEqual([9001, undefined, undefined]);
  });

  it("defaults an LXC to unprivileged, no features, no Proxmox features", () => {
    const c = lxcSchema().parse({
      ctid: 300,
      name: "ct",
      template: "local:vztmpl/debian-12.tar.zst",
      cores: 1,
      memory_mb: 512,
      disk_size_gb: 4,
      network_config: { ip: "10.0.0.3/24", gw: "10.0.0.1" },
    });
    expect([c.unprivileged, c.features, c.proxmox_features, c.start_at_boot, c.docker_stacks]).toEqual([
      true,
      [],
      { nesting: false, keyctl: false },
      false,
      [],
    ]);
  });
});
