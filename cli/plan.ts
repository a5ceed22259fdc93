/**
 * `npm run plan -- --stack <name> [--json | --mermaid]`: validates `Pulumi.<name>.yaml` and the stack
 * manifests offline (no network, no Pulumi CLI, no decryption) and prints the desired site: as text, as a JSON
 * document, or as a Mermaid flowchart.
 * Exit 0 when valid, 1 on invalid input (every problem listed), 2 on bad usage.
 */
import * as path from "node:path";
import { ComposeError, renderCompose } from "../components/portainer/compose";
import { gatewayPlans } from "../components/gateway/files";
import { guestSetupSteps } from "../components/guest/steps";
import { SITE_NAME, stackUrn } from "../components/site";
import { describeSite, type SiteDescription } from "../config/desired";
import { renderMermaid } from "../config/mermaid";
import { readStackFile, StackFileError } from "../config/sources";
import { validateSite, type Problem, type SiteConfig } from "../config/validate";

const USAGE = "usage: npm run plan -- --stack <name> [--json | --mermaid]";

export function parseArgs(
  argv: readonly string[],
): { stack: string; json: boolean; mermaid: boolean } | { error: string } {
  let stack: string | undefined;
  let json = false;
  let mermaid = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--mermaid") mermaid = true;
    else if (a === "--stack") stack = argv[++i];
    else if (a.startsWith("--stack=")) stack = a.slice("--stack=".length);
    else return { error: `unknown argument ${a}\n${USAGE}` };
  }
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) return { error: `--stack <name> is required\n${USAGE}` };
  if (json && mermaid) return { error: `--json and --mermaid do not go together\n${USAGE}` };
  return { stack, json, mermaid };
}

/** Renders every stack's compose file as the program will send it; invalid ones become problems. */
export function renderStacks(site: SiteConfig): { composes: string[]; problems: Problem[] } {
  const composes: string[] = [];
  const problems: Problem[] = [];
  for (const d of site.deployments) {
    const def = site.stacks[d.stack]!;
    try {
      const traefik = def.manifest.traefik_service;
      composes.push(
        renderCompose({
          stack: d.stack,
          where: `${d.stack} on ${d.guest.name} (${d.path})`,
          compose: def.composeContent,
          files: d.files,
          ...(traefik ? { traefik } : {}),
          mode: "standalone",
        }),
      );
    } catch (e) {
      if (!(e instanceof ComposeError)) throw e;
      problems.push({ path: `${def.manifestPath}: compose_file`, message: e.message });
      composes.push("");
    }
  }
  return { composes, problems };
}

/** Renders the desired site for people. */
export function renderText(
  d: SiteDescription & {
    gateways: GatewayLine[];
    guests: (GuestLine & { setup?: { name: string; script: string }[] })[];
    stacks: (SiteDescription["stacks"][number] & { urn?: string })[];
  },
): string {
  const lines: string[] = [];
  lines.push(
    `Stack ${d.stack}: Proxmox node ${d.proxmox.node_name} at ` +
      `${d.proxmox.endpoint}${d.proxmox.insecure ? " (TLS not verified)" : ""}`,
  );
  lines.push(
    `Proxmox sign-in: ` +
      `${d.proxmox.auth === "password" ? `password as ${d.proxmox.username}` : "API token (no root-only operations)"}`,
  );
  lines.push(`Default stack environment: ${d.environment ?? "(none)"}`);
  if (d.warnings.length > 0) lines.push("", "Warnings:", ...d.warnings.map((w) => `  ${w}`));
  if (d.hypervisor) {
    lines.push("", `Hypervisor: node ${d.hypervisor.node}, before any guest (${d.hypervisor.steps.length} steps):`);
    for (const s of d.hypervisor.steps) lines.push(`  ${s}`);
    if (d.hypervisor.exports_file) {
      lines.push(`  ${d.hypervisor.exports_file.path}:`);
      for (const l of d.hypervisor.exports_file.content.replace(/\n$/, "").split("\n")) lines.push(`    ${l}`);
    }
    if (d.hypervisor.scripts.length > 0)
      lines.push(
        `  over SSH to the node: ${d.hypervisor.scripts.map((x) => x.name).join(", ")}; the scripts are in --json`,
      );
  }
  lines.push("", `Guests (${d.guests.length}):`);
  for (const g of d.guests) {
    const src =
      "clone_from_vmid" in g
        ? `clone of VM ${g.clone_from_vmid}`
        : "template" in g
          ? `from ${g.template}`
          : `clone of CT ${g.clone_from_ctid}`;
    lines.push(
      `  ${g.kind === "vm" ? "VM " : "LXC"} ${g.id} ${g.name}: ` +
        `${g.cores} cores, ${g.memory_mb} MB, ${g.disk_size_gb} GB, ${g.ip} via ` +
        `${g.gateway}, ${src}`,
    );
    lines.push(
      `      features: ${g.features.join(", ") || "none"}; role: ` +
        `${g.portainer_role ?? "none"}; start at boot: ` +
        `${g.start_at_boot ? `yes${g.boot_order !== null ? ` (order ${g.boot_order})` : ""}` : "no"}`,
    );
    lines.push(`      proxmox: ${guestProxmoxLine(g)}`);
    if (g.adopt)
      lines.push(
        `      adopted: takes over the existing ` +
          `${g.kind === "vm" ? "VM" : "CT"} ${g.id} on ` +
          `${d.proxmox.node_name} (import ${d.proxmox.node_name}/${g.id}); the ` +
          `config must match it`,
      );
    if (g.root_only.length > 0) lines.push(`      root@pam only: ${g.root_only.join(", ")}`);
    const dockerFrom = g.docker_source === "debian" ? "the distribution's docker.io" : "Docker's apt repository";
    const steps = (g.setup ?? []).map((x) => (x.name === "docker" ? `docker (${dockerFrom})` : x.name));
    if (steps.length > 0) lines.push(`      setup over SSH: ${steps.join(", ")}; the scripts are in --json`);
    if (g.snapshot)
      lines.push(
        `      snapshot: ${g.snapshot.name} once set up${g.snapshot.include_memory ? " (with memory)" : ""}, taken ` +
          `again when set up again; ${g.snapshot.retain ? "kept on destroy (retain)" : "deleted on destroy"}`,
      );
  }
  if (d.portainer) {
    const p = d.portainer;
    lines.push("", `Portainer ${p.version} at ${p.url} (admin ${p.admin_username}):`);
    lines.push(`  server on ${p.server.guest}: ${p.server.image}, ports ${p.server.ports.join(", ")}`);
    if (d.portainer_data) lines.push(`  data: ${d.portainer_data}`);
    for (const a of p.agents) lines.push(`  agent on ${a.guest}: ${a.image}, port ${a.port}`);
  } else {
    lines.push("", "Portainer: not managed (no guest has a portainer_role)");
  }
  lines.push("", `Environments to register (${d.environments.length}):`);
  for (const e of d.environments) lines.push(`  ${e.name}: ${e.type} ${e.url}`);
  lines.push("", `Docker stacks (${d.stacks.length}):`);
  for (const s of d.stacks) {
    lines.push(`  ${s.name} on ${s.guest} (environment ${s.environment})`);
    for (const v of s.variables) lines.push(`      ${v.name}=${v.value}`);
    for (const f of s.files)
      lines.push(`      file ${f.source} -> ${f.destination}${f.service ? ` (${f.service})` : ""}`);
    if (s.traefik)
      lines.push(
        `      traefik: ${s.traefik.service} at https://${s.traefik.host} -> port ` +
          `${s.traefik.port} (${s.traefik.entrypoints.join(", ")}${s.traefik.tls ? ", tls" : ""})`,
      );
    if (s.urn) lines.push(`      sync alone: pulumi up --target '${s.urn}'`);
  }
  renderEdge(d, lines);
  return lines.join("\n");
}

/** Gateways with their files, certificates, DNS and firewall. */
/** A gateway and its configuration files, as `--json` prints it. */
type GatewayLine = { guest: string; kind: string; files: { path: string; content: string }[] };

function renderEdge(d: SiteDescription & { gateways: GatewayLine[] }, lines: string[]): void {
  lines.push("", `Gateways (${d.gateways.length}):`);
  for (const g of d.gateways) {
    lines.push(`  ${g.kind} on ${g.guest}:`);
    for (const f of g.files) {
      lines.push(`    ${f.path}:`);
      for (const l of f.content.replace(/\n$/, "").split("\n")) lines.push(l === "" ? "" : `      ${l}`);
    }
  }
  const c = d.certificates;
  lines.push(
    "",
    `Certificates: CA "${c.ca.common_name}" (${c.ca.validity_days} days); each certificate ${c.validity_days} days, ` +
      `renewed by up when fewer than ${c.renew_before_days} remain`,
  );
  for (const i of c.issued) lines.push(`  ${i.id} on ${i.guest}: ${[...i.dns_names, ...i.ip_addresses].join(", ")}`);
  for (const h of c.custom) lines.push(`  ${h}: the site's own certificate`);
  if (c.portainer_verified_with)
    lines.push(`  phoenix verifies Portainer's certificate with ${c.portainer_verified_with}`);
  if (d.dns) {
    lines.push("", `DNS: dnsmasq on ${d.dns.guest} for ${d.dns.domain}, forwarding to ${d.dns.upstream.join(", ")}:`);
    for (const r of d.dns.records) lines.push(`  ${r.name} -> ${r.ip}`);
  }
  if (d.firewall.length > 0) {
    lines.push(
      "",
      `Firewall (${d.firewall[0]!.enabled ? "on" : "off"}; inbound dropped but for these rules, outbound allowed; ` +
        "Proxmox applies them only while the datacenter firewall is on):",
    );
    for (const f of d.firewall) {
      lines.push(`  ${f.kind === "vm" ? "VM " : "LXC"} ${f.id} ${f.guest}:`);
      for (const r of f.rules) lines.push(`    ${ruleText(r)}  # ${r.comment}`);
    }
  }
}

/** `accept tcp 22 from 10.0.0.13/32`; a guest's own rules also say their direction and what they leave open. */
function ruleText(r: SiteDescription["firewall"][number]["rules"][number]): string {
  const own = !r.comment.startsWith("phoenix: ");
  const parts = [r.action.toLowerCase(), ...(own ? [r.direction] : []), r.proto ?? "any", r.dport ?? "any port"];
  if (r.source !== undefined || own) parts.push(`from ${r.source ?? "anywhere"}`);
  if (r.dest !== undefined) parts.push(`to ${r.dest}`);
  return parts.join(" ");
}

type GuestLine = SiteDescription["guests"][number];

/** One line of a guest's Proxmox placement: storage, network, and what the kind adds. */
function guestProxmoxLine(g: GuestLine): string {
  const parts = [
    `datastore ${g.datastore}`,
    `bridge ${g.bridge}${g.vlan !== null ? ` vlan ${g.vlan}` : ""}${g.mtu !== null ? ` mtu ${g.mtu}` : ""}`,
  ];
  if (g.dns)
    parts.push(`dns ${[...(g.dns.servers ?? []), ...(g.dns.domain ? [`search ${g.dns.domain}`] : [])].join(" ")}`);
  if (g.clone_node !== null) parts.push(`template on ${g.clone_node}`);
  if ("cpu_type" in g) {
    parts.push(`cpu ${g.cpu_type}`, g.agent ? "QEMU agent on" : "QEMU agent off (stopped hard on destroy)");
    if (g.machine !== null) parts.push(`machine ${g.machine}`);
    for (const x of g.disks ?? []) parts.push(`${x.interface} ${x.size_gb} GB on ${x.datastore}`);
    for (const x of g.gpus ?? []) parts.push(`gpu ${x.mapping}${x.pcie ? " (pcie)" : ""}`);
  }
  if ("os_type" in g) {
    parts.push(`os ${g.os_type ?? "as cloned"}`, g.unprivileged ? "unprivileged" : "privileged");
    const f = Object.entries(g.proxmox_features ?? {})
      .filter(([, on]) => on)
      .map(([k]) => k);
    if (f.length > 0) parts.push(`features ${f.join(", ")}`);
    for (const m of g.mount_points ?? []) parts.push(`bind ${m.host_path} -> ${m.path}${m.read_only ? " (ro)" : ""}`);
    for (const x of g.devices ?? []) parts.push(`device ${x.path}`);
  }
  parts.push(`tags ${g.tags.join(";")}`);
  if (g.protection) parts.push("protected");
  return parts.join(", ");
}

/** Runs the command; returns the exit code. Output goes through the given writers. */
export function main(
  argv: readonly string[],
  projectDir: string,
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  const args = parseArgs(argv);
  if ("error" in args) {
    err(args.error);
    return 2;
  }
  const file = path.join(projectDir, `Pulumi.${args.stack}.yaml`);
  let raw;
  try {
    raw = readStackFile(file);
  } catch (e) {
    if (e instanceof StackFileError) {
      err(`plan: ${path.relative(projectDir, file)}: ${e.message.replace(`${file}: `, "").replace(file, "the file")}`);
      return 1;
    }
    throw e;
  }
  const result = validateSite(raw, { stacksDir: path.join(projectDir, "stacks"), projectDir });
  if (!result.ok) {
    err(
      `plan: ` +
        `${result.problems.length} problem${result.problems.length === 1 ? "" : "s"} in ` +
        `Pulumi.${args.stack}.yaml and the stack manifests:`,
    );
    for (const p of result.problems) err(`  ${p.path}: ${p.message}`);
    return 1;
  }
  const rendered = renderStacks(result.site);
  if (rendered.problems.length > 0) {
    err(
      `plan: ${rendered.problems.length} problem${rendered.problems.length === 1 ? "" : "s"} in the rendered stacks:`,
    );
    for (const p of rendered.problems) err(`  ${p.path}: ${p.message}`);
    return 1;
  }
  if (args.mermaid) {
    out(renderMermaid(result.site, args.stack));
    return 0;
  }
  const d = describeSite(result.site, args.stack);
  // The gateways' files, as the program writes them, in the document's place before the certificates.
  const { certificates, dns, firewall, ...site } = d;
  const gateways = gatewayPlans(result.site, args.stack).map((g) => ({
    guest: g.guest.name,
    kind: g.kind,
    files: g.files.map((f) => ({ path: f.path, content: f.content })),
  }));
  const withCompose = {
    ...site,
    guests: d.guests.map((g, i) => ({
      ...g,
      setup: guestSetupSteps(result.site, result.site.guests[i]!, { revealSecrets: false }).map((x) => ({
        name: x.name,
        script: x.script,
      })),
    })),
    stacks: d.stacks.map((s, i) => {
      const dep = result.site.deployments[i]!;
      return { ...s, urn: stackUrn(args.stack, SITE_NAME, dep.stack, dep.guest), compose: rendered.composes[i]! };
    }),
    gateways,
    certificates,
    dns,
    firewall,
  };
  out(args.json ? JSON.stringify(withCompose, null, 2) : renderText(withCompose));
  return 0;
}

if (require.main === module) {
  try {
    // PHOENIX_PROJECT_DIR points the command at another project folder (used by the tests).
    const projectDir = process.env["PHOENIX_PROJECT_DIR"] ?? path.resolve(__dirname, "..");
    process.exitCode = main(
      process.argv.slice(2),
      projectDir,
      (s) => process.stdout.write(s + "\n"),
      (s) => process.stderr.write(s + "\n"),
    );
  } catch (e) {
    process.stderr.write(`plan: internal error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
