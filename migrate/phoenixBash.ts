/**
 * Maps the phoenix bash system's JSON files (`phoenix_vm_configs.json`, `phoenix_lxc_configs.json`,
 * `phoenix_stacks_config.json`, `phoenix_hypervisor_config.json`, as in SirHeads/Testing-ideas
 * usr/local/phoenix_hypervisor/etc/) to phoenix's configuration model. Pure: files in, config out, with every key it
 * could not map reported (file, key, why) and every secret split off, never placed in the config.
 */

/** A key the importer did not map, and why (what phoenix would need to support it). */
export interface Unmapped {
  readonly file: string;
  readonly key: string;
  readonly why: string;
}

/** A secret found in the files: the config key it becomes, where it came from, and its value (kept out of output). */
export interface FoundSecret {
  /** `portainer.admin_password` (a path in a structured key) or `thinkheads_ai_app_production_database_pass`. */
  readonly key: string;
  readonly path: boolean;
  readonly source: string;
  readonly value: string;
}

export interface ImportedStack {
  readonly name: string;
  readonly manifest: Record<string, unknown>;
  /** The compose file's path in the source folder, relative to it. */
  readonly compose: string;
  /** Config files to copy: from (relative to the source folder) to (relative to the stack folder). */
  readonly files: readonly { readonly from: string; readonly to: string }[];
}

export interface ImportResult {
  /** `phoenix:<key>` values, secrets left out. */
  readonly config: Record<string, unknown>;
  readonly stacks: readonly ImportedStack[];
  readonly secrets: readonly FoundSecret[];
  readonly unmapped: readonly Unmapped[];
  /** What the importer decided for the user, to check (a default it chose, a value it rewrote). */
  readonly notes: readonly string[];
  /**
   * Guests need what only root@pam may do (bind mounts, device passthrough, keyctl: CONTRACT.md), so phoenix must
   * sign in to Proxmox as root@pam with a password, as the bash system ran as root on the node.
   */
  readonly rootOnly: readonly string[];
}

export interface SourceFiles {
  readonly vms?: unknown;
  readonly lxcs?: unknown;
  readonly stacks?: unknown;
  readonly hypervisor?: unknown;
  /** Whether a path relative to the source folder exists (compose and config files). */
  readonly exists: (relative: string) => boolean;
}

export const FILES = {
  vms: "phoenix_vm_configs.json",
  lxcs: "phoenix_lxc_configs.json",
  stacks: "phoenix_stacks_config.json",
  hypervisor: "phoenix_hypervisor_config.json",
} as const;

/** A stack variable whose name marks it secret. */
export function isSecretName(name: string): boolean {
  return /PASS|PASSWORD|SECRET|TOKEN|KEY/i.test(name);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined;

/** phoenix's features; the others are the bash system's own scripts. */
const FEATURES = ["base_setup", "docker"];

const WHY = {
  dependencies:
    "phoenix orders guests by what they need (the Portainer server " +
    "before its agents); explicit guest dependencies are not modelled",
  snapshots: "phoenix takes no snapshots yet (issue 15: snapshot after setup)",
  template_snapshot_name: "phoenix takes no snapshots yet (issue 15)",
  enable_lifecycle_snapshots: "phoenix takes no snapshots yet (issue 15)",
  firewall: "a guest's firewall that is off is not imported (phoenix:firewall turns every guest's on)",
  mac_address: "the provider keeps the existing MAC address of an adopted guest; phoenix does not set one",
  application_script:
    "the bash system's application scripts source its own libraries; " +
    "copy the script into the project and list it under setup_scripts",
  health_check:
    "phoenix's health step checks SSH, cloud-init and Docker; custom health-check commands are not modelled",
  traefik_service:
    "phoenix routes stacks from their manifest's traefik_service; a guest-level service (not a stack) is not modelled",
  trigger_sync_on_completion: "phoenix deploys stacks in the same run; there is no separate sync",
  dns_records: "phoenix:dns publishes every guest's name; extra records are not modelled",
  lxc_options:
    "raw lxc.* options need root SSH to the node to edit /etc/pve/lxc/<ctid>.conf; the provider cannot set them",
  apparmor_profile: "AppArmor profiles are raw LXC options (see lxc_options)",
  apparmor_manages_nesting: "AppArmor profiles are raw LXC options (see lxc_options)",
  id_maps: "UID/GID maps are raw LXC options (see lxc_options)",
  qm_options: "raw qm options are not modelled; phoenix sets only the VM's typed settings",
  zfs_volumes: "phoenix does not create ZFS volumes (zvols) for guests; their disks are the provider's",
  ports: "an LXC's published ports belong to the application it runs; phoenix publishes ports through stacks",
  vllm_engine_config: "the vLLM application is the bash system's own; phoenix does not install it",
  tests: "the bash system's test scripts are not part of phoenix",
  swap_mb: "swap is not modelled",
  bootstrap_ca_url: "phoenix issues certificates with its own CA (phoenix:certificates), not step-ca",
  portainer_environment_name: "phoenix names each environment after its guest",
  owner: "phoenix does not change owners of host paths on the node",
  template:
    "the template VM the bash system built stays on the node and clones keep pointing at it; phoenix:templates " +
    "builds new ones from a cloud image",
  nvidia:
    "the bash system's NVIDIA driver install is not a phoenix feature; the " +
    "GPU devices are passed through, the driver must be in the template",
  hypervisor: "not part of phoenix:hypervisor (datasets, exports, storages, access, firewall, templates)",
  zfs_pools:
    "phoenix never creates ZFS pools (it could destroy the disks' data): the pools must exist; their datasets are " +
    "in phoenix:hypervisor.zfs_datasets",
  input_policy:
    "phoenix keeps the datacenter's input policy ACCEPT: a DROP there would cut the node's UI, SSH and the guests' " +
    "NFS but from its management ipset; set it by hand if you mean it",
  nfs_exports:
    "phoenix writes its own exports (/etc/exports.d/phoenix.exports) from the VMs' volumes; remove these from " +
    "/etc/exports once phoenix's are in place",
} as const;

/** A guest name phoenix accepts (a DNS label); the bash system allows dots and more. */
function guestName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
}

function dockerStacks(v: unknown, file: string, at: string, unmapped: Unmapped[]) {
  if (!Array.isArray(v)) return [];
  const out: { name: string; environment?: string }[] = [];
  v.forEach((s, i) => {
    if (typeof s === "string") out.push({ name: s });
    else if (isObj(s) && str(s["name"]))
      out.push({
        name: s["name"] as string,
        ...(str(s["environment"]) ? { environment: s["environment"] as string } : {}),
      });
    else unmapped.push({ file, key: `${at}.docker_stacks[${i}]`, why: "must be a stack name or {name, environment}" });
  });
  return out;
}

interface Ctx {
  readonly unmapped: Unmapped[];
  readonly notes: string[];
}

/** The keys of one guest that map; every other key is reported. */
function report(ctx: Ctx, file: string, at: string, g: Obj, mapped: readonly string[]): void {
  for (const k of Object.keys(g)) {
    if (mapped.includes(k)) continue;
    const why = (WHY as Record<string, string>)[k];
    ctx.unmapped.push({
      file,
      key: `${at}.${k}`,
      why: why ?? "unknown key: not one of the bash system's guest settings phoenix knows",
    });
  }
}

const nonEmpty = (k: string, xs: readonly unknown[]) => (xs.length > 0 ? { [k]: xs } : {});

const RULE_KEYS = ["type", "action", "proto", "port", "source", "dest", "comment"];

/** A guest's `firewall.rules` as `firewall_rules`; a rule phoenix cannot express is reported and left out. */
function firewallRules(ctx: Ctx, file: string, at: string, v: unknown, rulesAt = `${at}.firewall.rules`): Obj[] {
  if (!isObj(v)) return [];
  if (v["enabled"] === false) {
    ctx.unmapped.push({ file, key: `${at}.firewall`, why: WHY.firewall });
    return [];
  }
  const out: Obj[] = [];
  (Array.isArray(v["rules"]) ? v["rules"] : []).forEach((r, i) => {
    const where = `${rulesAt}[${i}]`;
    const bad = !isObj(r)
      ? ["the rule"]
      : [
          ...Object.keys(r).filter((k) => !RULE_KEYS.includes(k)),
          ...(r["type"] !== undefined && !["in", "out"].includes(String(r["type"]).toLowerCase()) ? ["type"] : []),
          ...(r["action"] !== undefined && !["ACCEPT", "DROP", "REJECT"].includes(String(r["action"]))
            ? ["action"]
            : []),
          ...(r["proto"] !== undefined && !["tcp", "udp", "icmp"].includes(String(r["proto"])) ? ["proto"] : []),
          ...(r["port"] !== undefined && !/^\d{1,5}(:\d{1,5})?(,\d{1,5}(:\d{1,5})?)*$/.test(String(r["port"]))
            ? ["port"]
            : []),
          ...["source", "dest"].filter((k) => r[k] !== undefined && !/^[0-9./,]+$/.test(String(r[k]))),
        ];
    if (!isObj(r) || bad.length > 0) {
      ctx.unmapped.push({
        file,
        key: where,
        why:
          `phoenix's rules take type in/out, action ACCEPT/DROP/REJECT, proto tcp/udp/icmp, port, IPv4 source and ` +
          `dest, comment; not ${bad.join(", ")}: the rule is not imported`,
      });
      return;
    }
    out.push({
      direction: String(r["type"] ?? "in").toLowerCase(),
      action: r["action"] ?? "ACCEPT",
      ...Object.fromEntries(
        ["proto", "port", "source", "dest", "comment"].filter((k) => r[k] !== undefined).map((k) => [k, String(r[k])]),
      ),
    });
  });
  return out;
}

function features(ctx: Ctx, file: string, at: string, v: unknown): string[] {
  const list = Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  for (const f of list.filter((x) => !FEATURES.includes(x)))
    ctx.unmapped.push({
      file,
      key: `${at}.features: ${f}`,
      why:
        f === "nvidia"
          ? WHY.nvidia
          : `phoenix's features are ${FEATURES.join(" and ")}; ${f} is the bash system's own setup script`,
    });
  return list.filter((x) => FEATURES.includes(x));
}

function role(ctx: Ctx, file: string, at: string, v: unknown): { portainer_role?: string } {
  if (v === "primary" || v === "agent") return { portainer_role: v };
  if (v !== undefined && v !== "none")
    ctx.unmapped.push({
      file,
      key: `${at}.portainer_role: ${String(v)}`,
      why: "phoenix's roles are primary and agent; the guest gets none",
    });
  return {};
}

function common(ctx: Ctx, file: string, at: string, g: Obj, name: string) {
  const n = guestName(name);
  if (n !== name) ctx.notes.push(`${file} ${at}: the name ${name} became ${n} (a DNS label: letters, digits, hyphens)`);
  const boot = num(g["boot_delay"]);
  return {
    name: n,
    ...(g["start_at_boot"] === true ? { start_at_boot: true } : {}),
    ...(num(g["boot_order"]) !== undefined ? { boot_order: num(g["boot_order"]) } : {}),
    ...(boot !== undefined && boot > 0 ? { up_delay: boot } : {}),
  };
}

function mapVm(ctx: Ctx, v: Obj, defaults: Obj, i: number): Obj | undefined {
  const file = FILES.vms;
  const at = `vms[${i}]`;
  const vmid = num(v["vmid"]);
  const name = str(v["name"]) ?? `vm-${vmid}`;
  if (v["is_template"] === true) {
    ctx.unmapped.push({ file, key: `${at} (VM ${vmid} ${name})`, why: WHY.template });
    return undefined;
  }
  const net = isObj(v["network_config"]) ? v["network_config"] : {};
  const ip = str(net["ip"]);
  if (vmid === undefined || num(v["clone_from_vmid"]) === undefined || !ip || ip === "dhcp" || !str(net["gw"])) {
    ctx.unmapped.push({
      file,
      key: `${at} (VM ${vmid ?? "?"} ${name})`,
      why:
        "phoenix needs a vmid, clone_from_vmid and a static " +
        "network_config (ip with prefix, gw); the guest is not imported",
    });
    return undefined;
  }
  const ns = str(net["nameserver"]);
  const user = isObj(v["user_config"]) ? v["user_config"] : {};
  const volumes = Array.isArray(v["volumes"]) ? v["volumes"].filter(isObj) : [];
  report(ctx, file, at, v, [
    "vmid",
    "name",
    "clone_from_vmid",
    "cores",
    "memory_mb",
    "disk_size_gb",
    "start_at_boot",
    "boot_order",
    "boot_delay",
    "features",
    "portainer_role",
    "network_config",
    "user_config",
    "volumes",
    "docker_stacks",
    "firewall",
    "storage_pool",
    "network_bridge",
  ]);
  for (const k of Object.keys(net).filter((k) => !["ip", "gw", "nameserver"].includes(k)))
    ctx.unmapped.push({
      file,
      key: `${at}.network_config.${k}`,
      why: "unknown key: not one of the bash system's network settings phoenix knows",
    });
  const datastore = str(v["storage_pool"]) ?? str(defaults["storage_pool"]);
  const bridge = str(v["network_bridge"]) ?? str(defaults["network_bridge"]);
  return {
    vmid,
    ...common(ctx, file, at, v, name),
    clone_from_vmid: num(v["clone_from_vmid"]),
    cores: num(v["cores"]) ?? num(defaults["cores"]) ?? 2,
    memory_mb: num(v["memory_mb"]) ?? num(defaults["memory_mb"]) ?? 2048,
    disk_size_gb: num(v["disk_size_gb"]) ?? num(defaults["disk_size_gb"]) ?? 32,
    ...(datastore ? { datastore } : {}),
    ...(bridge ? { bridge } : {}),
    ...(ns ? { dns: { servers: ns.split(/[\s,]+/).filter(Boolean) } } : {}),
    features: features(ctx, file, at, v["features"]),
    ...role(ctx, file, at, v["portainer_role"]),
    network_config: { ip, gw: str(net["gw"]) },
    user_config: { username: str(user["username"]) ?? "phoenix_user" },
    ...(volumes.length > 0
      ? {
          volumes: volumes.map((x) => ({
            type: "nfs",
            name: str(x["name"]) ?? "data",
            ...(str(x["server"]) ? { server: x["server"] } : {}),
            path: x["path"],
            mount_point: x["mount_point"],
          })),
        }
      : {}),
    docker_stacks: dockerStacks(v["docker_stacks"], file, at, ctx.unmapped),
    ...nonEmpty("firewall_rules", firewallRules(ctx, file, at, v["firewall"])),
    adopt: true,
  };
}

/** `/fastData/shared-iso/template/cache/x.tar.zst` -> `fastData-shared-iso:vztmpl/x.tar.zst`, from the storage ids. */
function templateVolume(ctx: Ctx, at: string, path: string, storageIds: readonly string[]): string {
  const m = /^\/(.+)\/template\/cache\/([^/]+)$/.exec(path);
  if (m) {
    const id = m[1]!.replace(/\//g, "-");
    if (storageIds.includes(id)) return `${id}:vztmpl/${m[2]}`;
    ctx.notes.push(
      `${FILES.lxcs} ${at}.template: ${path} is on no storage the ` +
        `hypervisor config names; written as local:vztmpl/${m[2]}`,
    );
    return `local:vztmpl/${m[2]}`;
  }
  if (/^[A-Za-z0-9_-]+:vztmpl\//.test(path)) return path;
  const file = path.split("/").pop()!;
  ctx.notes.push(`${FILES.lxcs} ${at}.template: ${path} is not a template volume; written as local:vztmpl/${file}`);
  return `local:vztmpl/${file}`;
}

/** `gpu_assignment` "0, 1": the device nodes of those NVIDIA GPUs and the shared ones, as the bash system binds. */
function gpuDevices(v: unknown): { path: string }[] {
  if (typeof v !== "string" || v === "none" || v.trim() === "") return [];
  const ids = v.split(/[\s,]+/).filter((x) => /^\d+$/.test(x));
  return [...ids.map((n) => `/dev/nvidia${n}`), "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"].map(
    (path) => ({ path }),
  );
}

function mapLxc(ctx: Ctx, id: string, c: Obj, storageIds: readonly string[]): Obj | undefined {
  const file = FILES.lxcs;
  const at = `lxc_configs.${id}`;
  const ctid = num(id);
  const name = str(c["name"]) ?? `ct-${id}`;
  const net = isObj(c["network_config"]) ? c["network_config"] : {};
  const ip = str(net["ip"]);
  const template = str(c["template"]);
  const clone = num(c["clone_from_ctid"]);
  if (
    ctid === undefined ||
    !ip ||
    ip === "dhcp" ||
    !str(net["gw"]) ||
    (template === undefined && clone === undefined)
  ) {
    ctx.unmapped.push({
      file,
      key: `${at} (${name})`,
      why:
        "phoenix needs a template or clone_from_ctid and a static " +
        "network_config (ip with prefix, gw); the guest is not imported",
    });
    return undefined;
  }
  report(ctx, file, at, c, [
    "name",
    "start_at_boot",
    "boot_order",
    "boot_delay",
    "memory_mb",
    "cores",
    "template",
    "storage_pool",
    "storage_size_gb",
    "network_config",
    "gpu_assignment",
    "portainer_role",
    "unprivileged",
    "clone_from_ctid",
    "features",
    "pct_options",
    "mount_points",
    "docker_stacks",
    "firewall",
  ]);
  for (const k of Object.keys(net).filter((k) => !["name", "bridge", "ip", "gw", "nameservers"].includes(k)))
    ctx.unmapped.push({
      file,
      key: `${at}.network_config.${k}`,
      why: "unknown key: not one of the bash system's network settings phoenix knows",
    });
  const proxmoxFeatures: Record<string, boolean> = {};
  for (const o of Array.isArray(c["pct_options"]) ? c["pct_options"] : []) {
    const m = /^(nesting|keyctl)=1$/.exec(String(o));
    if (m) proxmoxFeatures[m[1]!] = true;
    else
      ctx.unmapped.push({
        file,
        key: `${at}.pct_options: ${String(o)}`,
        why: "phoenix sets the nesting and keyctl features only",
      });
  }
  const mounts = (Array.isArray(c["mount_points"]) ? c["mount_points"] : []).filter(isObj);
  mounts.forEach((m, j) => {
    if (m["owner_uid"] !== undefined || m["owner_gid"] !== undefined)
      ctx.unmapped.push({ file, key: `${at}.mount_points[${j}].owner_uid/owner_gid`, why: WHY.owner });
  });
  const ns = str(net["nameservers"]);
  const devices = gpuDevices(c["gpu_assignment"]);
  return {
    ctid,
    ...common(ctx, file, at, c, name),
    ...(template !== undefined
      ? { template: templateVolume(ctx, at, template, storageIds) }
      : { clone_from_ctid: clone }),
    cores: num(c["cores"]) ?? 2,
    memory_mb: num(c["memory_mb"]) ?? 2048,
    disk_size_gb: num(c["storage_size_gb"]) ?? 8,
    ...(str(c["storage_pool"]) ? { datastore: c["storage_pool"] } : {}),
    ...(str(net["bridge"]) ? { bridge: net["bridge"] } : {}),
    ...(ns ? { dns: { servers: ns.split(/[\s,]+/).filter(Boolean) } } : {}),
    unprivileged: c["unprivileged"] !== false,
    features: features(ctx, file, at, c["features"]),
    ...role(ctx, file, at, c["portainer_role"]),
    ...(Object.keys(proxmoxFeatures).length > 0 ? { proxmox_features: proxmoxFeatures } : {}),
    network_config: { ip, gw: str(net["gw"]) },
    ...(mounts.length > 0
      ? { mount_points: mounts.map((m) => ({ host_path: m["host_path"], path: m["container_path"] ?? m["path"] })) }
      : {}),
    ...(devices.length > 0 ? { devices } : {}),
    docker_stacks: dockerStacks(c["docker_stacks"], file, at, ctx.unmapped),
    ...nonEmpty("firewall_rules", firewallRules(ctx, file, at, c["firewall"])),
    adopt: true,
  };
}

/** `traefik_labels` of one service -> a manifest's `traefik_service`. */
function traefikService(service: string, labels: readonly string[]): Obj | undefined {
  const get = (re: RegExp) => labels.map((l) => re.exec(l)?.[1]).find((x) => x !== undefined);
  const host = get(/^traefik\.http\.routers\.[^.]+\.rule=Host\(`([^`]+)`\)$/);
  const port = get(/^traefik\.http\.services\.[^.]+\.loadbalancer\.server\.port=(\d+)$/);
  if (!host || !port) return undefined;
  const entrypoints = get(/^traefik\.http\.routers\.[^.]+\.entrypoints=(.+)$/);
  return {
    service,
    host,
    port: Number(port),
    entrypoints: entrypoints ? entrypoints.split(",") : ["websecure"],
    tls: get(/^traefik\.http\.routers\.[^.]+\.tls=(true|false)$/) !== "false",
  };
}

function mapStack(
  ctx: Ctx,
  secrets: FoundSecret[],
  name: string,
  s: Obj,
  exists: (p: string) => boolean,
): ImportedStack | undefined {
  const file = FILES.stacks;
  const at = `docker_stacks.${name}`;
  const composePath = str(s["compose_file_path"]);
  const compose = composePath && [composePath, `stacks/${composePath}`].find((p) => exists(p));
  if (!compose) {
    ctx.unmapped.push({
      file,
      key: `${at}.compose_file_path`,
      why: `${composePath ?? "(none)"} is not in the source folder (nor under stacks/); the stack is not imported`,
    });
    return undefined;
  }
  const base = compose.slice(0, compose.length - composePath!.length);
  for (const k of Object.keys(s).filter((k) => !["description", "compose_file_path", "environments"].includes(k)))
    ctx.unmapped.push({
      file,
      key: `${at}.${k}`,
      why: "unknown key: not one of the bash system's stack settings phoenix knows",
    });
  const files: { from: string; to: string }[] = [];
  const environments: Obj = {};
  let traefik: Obj | undefined;
  for (const [env, e] of Object.entries(isObj(s["environments"]) ? s["environments"] : {})) {
    if (!isObj(e)) continue;
    const variables = (Array.isArray(e["variables"]) ? e["variables"] : []).filter(isObj).map((v, j) => {
      const vname = String(v["name"]);
      if (!isSecretName(vname)) return { name: vname, value: v["value"] ?? "" };
      const key = `${name}_${env}_${vname}`.toLowerCase();
      secrets.push({
        key,
        path: false,
        source: `${file}: ${at}.environments.${env}.variables[${j}].value`,
        value: String(v["value"] ?? ""),
      });
      return { name: vname, secret: key };
    });
    const envFiles = (Array.isArray(e["files"]) ? e["files"] : []).filter(isObj).flatMap((f, j) => {
      const src = str(f["source"]);
      const from = src && [`${base}${src}`, src].find((p) => exists(p));
      if (!from) {
        ctx.unmapped.push({
          file,
          key: `${at}.environments.${env}.files[${j}]`,
          why: `${src ?? "(no source)"} is not in the source folder; the file is not imported`,
        });
        return [];
      }
      const to = `config/${env}-${src!.split("/").pop()}`;
      files.push({ from, to });
      return [{ source: to, destination: f["destination_in_container"] ?? f["destination"] }];
    });
    for (const [svc, def] of Object.entries(isObj(e["services"]) ? e["services"] : {})) {
      const labels = isObj(def) && Array.isArray(def["traefik_labels"]) ? def["traefik_labels"].map(String) : [];
      const t = traefikService(svc, labels);
      if (t && !traefik) traefik = t;
      else if (t && JSON.stringify(t) !== JSON.stringify(traefik))
        ctx.unmapped.push({
          file,
          key: `${at}.environments.${env}.services.${svc}.traefik_labels`,
          why: "phoenix routes one service per stack, the same in every environment; the first one found is kept",
        });
      for (const l of labels.filter((x) => /certresolver/.test(x)))
        ctx.unmapped.push({
          file,
          key: `${at}.environments.${env}.services.${svc}.traefik_labels: ${l}`,
          why: "phoenix's CA issues the gateways' certificates; Traefik's ACME resolvers are not used",
        });
    }
    environments[env] = { variables, files: envFiles };
  }
  return {
    name,
    compose,
    files,
    manifest: {
      $schema: "../phoenix.schema.json",
      name,
      ...(str(s["description"]) ? { description: s["description"] } : {}),
      compose_file: "docker-compose.yml",
      environments,
      ...(traefik ? { traefik_service: traefik } : {}),
    },
  };
}

const HYPERVISOR_MAPPED = [
  "zfs",
  "nfs",
  "firewall",
  "domain_name",
  "network",
  "portainer_api",
  "proxmox_storage_ids",
  "docker",
  "version",
  "author",
  "vm_defaults",
];

function mapHypervisor(ctx: Ctx, secrets: FoundSecret[], h: Obj, opts: { nodeName: string; portainerVersion: string }) {
  const file = FILES.hypervisor;
  for (const k of Object.keys(h).filter((k) => !HYPERVISOR_MAPPED.includes(k)))
    ctx.unmapped.push({ file, key: k, why: WHY.hypervisor });
  const net = isObj(h["network"]) ? h["network"] : {};
  const ifc = isObj(net["interfaces"]) ? net["interfaces"] : {};
  const hostIp = str(ifc["address"])?.split("/")[0];
  const servers = Array.isArray(ifc["dns_nameservers"]) ? ifc["dns_nameservers"].map(String) : [];
  const api = isObj(h["portainer_api"]) ? h["portainer_api"] : {};
  const password = str(api["admin_password"]);
  if (password)
    secrets.push({
      key: "portainer.admin_password",
      path: true,
      source: `${file}: portainer_api.admin_password`,
      value: password,
    });
  const apiKey = str(api["api_key"]);
  if (apiKey)
    ctx.unmapped.push({
      file,
      key: "portainer_api.api_key",
      why: "phoenix creates and rotates its own API key; the old one is not imported (revoke it in Portainer)",
    });
  const zfs = isObj(h["zfs"]) ? h["zfs"] : {};
  const pools = Array.isArray(zfs["pools"]) ? zfs["pools"].filter(isObj) : [];
  for (const p of pools) ctx.unmapped.push({ file, key: `zfs.pools: ${str(p["name"]) ?? "?"}`, why: WHY.zfs_pools });
  const datasets = (Array.isArray(zfs["datasets"]) ? zfs["datasets"].filter(isObj) : []).flatMap((d) => {
    const name = str(d["name"]);
    const pool = str(d["pool"]);
    if (!name || !pool) return [];
    const props = Object.fromEntries(
      (str(d["properties"]) ?? "")
        .split(/[,\s]+/)
        .filter((x) => x.includes("="))
        .map((x) => [x.split("=")[0]!, x.slice(x.indexOf("=") + 1)]),
    );
    return [{ name: `${pool}/${name}`, ...(Object.keys(props).length > 0 ? { properties: props } : {}) }];
  });
  const nfs = isObj(h["nfs"]) ? h["nfs"] : {};
  if (Array.isArray(nfs["exports"]) && nfs["exports"].length > 0)
    ctx.unmapped.push({ file, key: "nfs.exports", why: WHY.nfs_exports });
  // The datacenter's rules; its input policy stays the node's own (phoenix keeps ACCEPT there).
  const fw = isObj(h["firewall"]) ? h["firewall"] : {};
  const datacenterRules = firewallRules(
    ctx,
    file,
    "firewall",
    { rules: Array.isArray(fw["global_firewall_rules"]) ? fw["global_firewall_rules"] : [] },
    "firewall.global_firewall_rules",
  );
  if (fw["default_input_policy"] !== undefined && fw["default_input_policy"] !== "ACCEPT")
    ctx.unmapped.push({
      file,
      key: `firewall.default_input_policy: ${String(fw["default_input_policy"])}`,
      why: WHY.input_policy,
    });
  const docker = isObj(h["docker"]) ? h["docker"] : {};
  const image = str(docker["portainer_server_image"]);
  const tag = image?.split(":")[1];
  const version = tag && /^\d+\.\d+\.\d+$/.test(tag) ? tag : opts.portainerVersion;
  if (version !== tag)
    ctx.notes.push(
      `${file} docker.portainer_server_image: ${image ?? "(none)"} is not a pinned ` +
        `version; the site pins ${version} (check what your server runs with npm run verify)`,
    );
  ctx.notes.push(
    `the Proxmox node name is not in the bash system's files: written as ${opts.nodeName} (--node-name NAME to change)`,
  );
  const subnet = str(net["default_subnet"]);
  return {
    hostIp,
    subnet,
    datasets,
    datacenterRules,
    proxmox: {
      endpoint: `https://${hostIp ?? "127.0.0.1"}:8006`,
      node_name: opts.nodeName,
      insecure: true,
      ...(servers.length > 0 || str(h["domain_name"])
        ? {
            dns: {
              ...(servers.length > 0 ? { servers: servers.slice(0, 3) } : {}),
              ...(str(h["domain_name"]) ? { domain: h["domain_name"] } : {}),
            },
          }
        : {}),
    },
    portainer: {
      version,
      admin_username: str(api["admin_user"]) ?? "admin",
      ...(num(net["portainer_agent_port"]) !== undefined ? { agent_port: num(net["portainer_agent_port"]) } : {}),
    },
  };
}

/** A file's top-level keys that are not `known` (nor `$schema`), reported as unknown. */
function unknownKeys(file: string, o: Obj, known: readonly string[], what: string): Unmapped[] {
  return Object.keys(o)
    .filter((k) => ![...known, "$schema"].includes(k))
    .map((key) => ({ file, key, why: `unknown key: not one of the bash system's ${what} keys phoenix knows` }));
}

/** Maps the files; `nodeName` and `portainerVersion` fill what the bash system's files do not say. */
export function importPhoenixBash(
  src: SourceFiles,
  opts: { nodeName: string; portainerVersion: string },
): ImportResult {
  const unmapped: Unmapped[] = [];
  const notes: string[] = [];
  const secrets: FoundSecret[] = [];
  const ctx: Ctx = { unmapped, notes };
  const h = isObj(src.hypervisor) ? src.hypervisor : {};
  const storageIds = Object.values(isObj(h["proxmox_storage_ids"]) ? h["proxmox_storage_ids"] : {}).map(String);
  const site = mapHypervisor(ctx, secrets, h, opts);

  const vmFile = isObj(src.vms) ? src.vms : {};
  const defaults = isObj(vmFile["vm_defaults"]) ? vmFile["vm_defaults"] : {};
  for (const k of Object.keys(defaults).filter(
    (k) => !["cores", "memory_mb", "disk_size_gb", "storage_pool", "network_bridge"].includes(k),
  ))
    unmapped.push({
      file: FILES.vms,
      key: `vm_defaults.${k}`,
      why: "phoenix clones every VM from clone_from_vmid; a default template name is not used",
    });
  unmapped.push(...unknownKeys(FILES.vms, vmFile, ["vm_defaults", "vms"], "VM file"));
  const vms = (Array.isArray(vmFile["vms"]) ? vmFile["vms"] : [])
    .flatMap((v, i) => (isObj(v) ? [mapVm(ctx, v, defaults, i)] : []))
    .filter((x) => x !== undefined);

  const lxcFile = isObj(src.lxcs) ? src.lxcs : {};
  unmapped.push(
    ...unknownKeys(FILES.lxcs, lxcFile, ["lxc_configs"], "LXC file").map((u) =>
      u.key.startsWith("nvidia") ? { ...u, why: WHY.nvidia } : u,
    ),
  );
  const lxcs = Object.entries(isObj(lxcFile["lxc_configs"]) ? lxcFile["lxc_configs"] : {})
    .flatMap(([id, c]) => (isObj(c) ? [mapLxc(ctx, id, c, storageIds)] : []))
    .filter((x) => x !== undefined);

  const stackFile = isObj(src.stacks) ? src.stacks : {};
  unmapped.push(...unknownKeys(FILES.stacks, stackFile, ["docker_stacks"], "stack file"));
  const stacks = Object.entries(isObj(stackFile["docker_stacks"]) ? stackFile["docker_stacks"] : {})
    .flatMap(([name, s]) => (isObj(s) ? [mapStack(ctx, secrets, name, s, src.exists)] : []))
    .filter((x) => x !== undefined);

  // Assignments to a stack that was not imported would fail validation: drop them, reported.
  const known = new Set(stacks.map((s) => s.name));
  for (const g of [...vms, ...lxcs]) {
    const list = g["docker_stacks"] as { name: string }[];
    for (const s of list.filter((x) => !known.has(x.name)))
      unmapped.push({
        file: "vmid" in g ? FILES.vms : FILES.lxcs,
        key: `${String(g["name"])}.docker_stacks: ${s.name}`,
        why: "the stack was not imported (see above)",
      });
    g["docker_stacks"] = list.filter((x) => known.has(x.name));
  }
  const config: Record<string, unknown> = { proxmox: site.proxmox };
  if (site.datasets.length > 0 || site.datacenterRules.length > 0)
    config["hypervisor"] = {
      ...(site.datasets.length > 0 ? { zfs_datasets: site.datasets } : {}),
      ...(site.datacenterRules.length > 0 ? { firewall_rules: site.datacenterRules } : {}),
    };
  // The node's datasets and the exports of the VMs' volumes it serves are made over SSH to the node, as root (the
  // bash system ran there as root).
  const servedByNode = vms.some((v) =>
    ((v["volumes"] as { server?: string }[] | undefined) ?? []).some(
      (x) => x.server === undefined || x.server === site.hostIp,
    ),
  );
  if (servedByNode || site.datasets.length > 0) {
    Object.assign(site.proxmox, { ssh: { username: "root" } });
    secrets.push({
      key: "proxmox.ssh.private_key",
      path: true,
      source: "root's SSH key on the node, for its datasets and NFS exports (import uses the guests' key pair)",
      value: "",
    });
  }
  if (vms.length > 0) config["vms"] = vms;
  if (lxcs.length > 0) config["lxcs"] = lxcs;
  if ([...vms, ...lxcs].some((g) => g["portainer_role"] !== undefined)) config["portainer"] = site.portainer;
  // Guests with their own rules need phoenix's firewall on: phoenix runs from the node, as the bash system did.
  if ([...vms, ...lxcs].some((g) => g["firewall_rules"] !== undefined) || site.datacenterRules.length > 0) {
    config["firewall"] = {
      admin_networks: [`${site.hostIp ?? "127.0.0.1"}/32`],
      ...(site.subnet ? { client_networks: [site.subnet] } : {}),
    };
    notes.push(
      `guests have firewall rules: phoenix:firewall is on, with admin_networks ${site.hostIp ?? "127.0.0.1"}/32 (the ` +
        `node, where phoenix runs) and phoenix's own rules before each guest's`,
    );
  }
  const rootOnly = lxcs.flatMap((g) => [
    ...(g["mount_points"] ? [`LXC ${String(g["ctid"])} mount_points`] : []),
    ...(g["devices"] ? [`LXC ${String(g["ctid"])} devices`] : []),
    ...((g["proxmox_features"] as { keyctl?: boolean } | undefined)?.keyctl ? [`LXC ${String(g["ctid"])} keyctl`] : []),
  ]);
  if (rootOnly.length > 0) Object.assign(site.proxmox, { username: "root@pam" });
  return { config, stacks, secrets, unmapped, notes, rootOnly };
}
