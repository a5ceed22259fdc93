/**
 * A site in the shape of validValues with the seeds' gateway layout: a Traefik VM, an Nginx gateway LXC, dnsmasq on
 * it and the firewall on.
 */
import { validateSite, type SiteConfig } from "../../config/validate";
import { EXAMPLE_STACKS, PROJECT_DIR, SECRET_KEYS, rawConfig, validValues } from "./site";

type Values = Record<string, unknown>;

export function edgeValues(): Values {
  const v = validValues();
  (v["phoenix:vms"] as Values[]).push({
    vmid: 1003,
    name: "traefik",
    clone_from_vmid: 9000,
    cores: 2,
    memory_mb: 2048,
    disk_size_gb: 32,
    features: ["base_setup", "docker"],
    network_config: { ip: "10.0.0.12/24", gw: "10.0.0.1" },
    user_config: { username: "phoenix_user" },
  });
  (v["phoenix:lxcs"] as Values[]).push({
    ctid: 101,
    name: "nginx-gateway",
    template: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
    cores: 1,
    memory_mb: 1024,
    disk_size_gb: 8,
    features: ["base_setup"],
    proxmox_features: { nesting: true },
    network_config: { ip: "10.0.0.153/24", gw: "10.0.0.1" },
  });
  // thinkheads_ai_app publishes no port; the gateway tests route qdrant only.
  (v["phoenix:lxcs"] as Values[])[0]!["docker_stacks"] = [];
  v["phoenix:gateways"] = {
    nginx: { guest: "nginx-gateway", portainer_host: "portainer.phoenix.local" },
    traefik: { guest: "traefik" },
  };
  (v["phoenix:proxmox"] as Values)["dns"] = { servers: ["10.0.0.1"], domain: "phoenix.local" };
  v["phoenix:dns"] = {};
  v["phoenix:firewall"] = { admin_networks: ["10.0.0.0/24"] };
  return v;
}

export function validateEdge(v: Values, secretKeys = SECRET_KEYS) {
  return validateSite(rawConfig(v, secretKeys), { stacksDir: EXAMPLE_STACKS, projectDir: PROJECT_DIR });
}

export function edgeSite(v: Values = edgeValues()): SiteConfig {
  const r = validateEdge(v);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.site;
}
