/**
 * `npm run import -- --from <dir> --stack <name> [--force] [--project DIR] [--node-name NAME]`: reads the phoenix bash
 * system's JSON files in `<dir>` and writes `Pulumi.<name>.yaml` and `stacks/<stack>/` (manifest, compose file, config
 * files) into the project, so that `npm run plan -- --stack <name>` describes the same site. Every guest is adopted.
 *
 * Secrets never reach a file or the output in plain text: with `PULUMI_CONFIG_PASSPHRASE` (or `_FILE`) they are written
 * encrypted as Pulumi's passphrase provider does; otherwise the `pulumi config set --secret` commands are printed with
 * placeholders naming where each value is. `PHOENIX_PROXMOX_API_TOKEN` supplies the Proxmox API token, which the bash
 * system never held. Exit 0 when written, 1 when the files cannot be read or would overwrite, 2 on bad usage.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { encryptValue, newSalt, passphraseFromEnv } from "../config/passphrase";
import { FILES, importPhoenixBash, type FoundSecret, type ImportResult } from "../migrate/phoenixBash";

const USAGE =
  "usage: npm run import -- --from <dir> --stack <name> [--force] [--project DIR] [--node-name NAME] " +
  "[--portainer-version X.Y.Z]";

/** The Portainer version the site pins when the bash system's image is `latest`: the one phoenix is tested with. */
export const DEFAULT_PORTAINER_VERSION = "2.27.9";

export interface ImportArgs {
  readonly from: string;
  readonly stack: string;
  readonly force: boolean;
  readonly project?: string;
  readonly nodeName: string;
  readonly portainerVersion: string;
}

export function parseArgs(argv: readonly string[]): ImportArgs | { error: string } {
  let from: string | undefined;
  let stack: string | undefined;
  let project: string | undefined;
  let nodeName = "pve";
  let portainerVersion = DEFAULT_PORTAINER_VERSION;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--from") from = argv[++i];
    else if (a === "--stack") stack = argv[++i];
    else if (a === "--project") project = argv[++i];
    else if (a === "--node-name") nodeName = argv[++i] ?? "";
    else if (a === "--portainer-version") portainerVersion = argv[++i] ?? "";
    else if (a === "--force") force = true;
    else return { error: `unknown argument ${a}\n${USAGE}` };
  }
  if (!from) return { error: `--from <dir> is required (the folder with the phoenix_*.json files)\n${USAGE}` };
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) return { error: `--stack <name> is required\n${USAGE}` };
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(nodeName))
    return { error: `--node-name must be a Proxmox node name (letters, digits, hyphens)\n${USAGE}` };
  if (!/^\d+\.\d+\.\d+$/.test(portainerVersion))
    return { error: `--portainer-version must look like 2.27.9\n${USAGE}` };
  return { from, stack, force, ...(project ? { project } : {}), nodeName, portainerVersion };
}

export interface ImportIo {
  readonly projectDir: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

class ImportError extends Error {}

function readJson(dir: string, name: string): unknown {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ImportError(`${name} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A key pair for setting guests up, from ssh-keygen (OpenSSH format, which @pulumi/command's SSH client reads). */
function sshKeyPair(stack: string): { publicKey: string; privateKey: string } | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-import-"));
  try {
    const file = path.join(dir, "key");
    const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `phoenix-${stack}`, "-f", file]);
    if (r.status !== 0) return undefined;
    return {
      publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim(),
      privateKey: fs.readFileSync(file, "utf8"),
    };
  } catch {
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Sets `value` at a dotted path inside `config["phoenix:<top>"]`. */
function setPath(config: Record<string, unknown>, dotted: string, value: unknown): void {
  const [top, ...rest] = dotted.split(".");
  if (rest.length === 0) {
    config[`phoenix:${top}`] = value;
    return;
  }
  let o = (config[`phoenix:${top}`] ??= {}) as Record<string, unknown>;
  for (const k of rest.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[rest[rest.length - 1]!] = value;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function secretCommand(stack: string, s: Pick<FoundSecret, "key" | "path" | "source">): string {
  return (
    `pulumi config set --secret --stack ${stack} ${s.path ? `--path ${quote(s.key)}` : s.key} ` + quote(`<${s.source}>`)
  );
}

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[], io: ImportIo): number {
  const args = parseArgs(argv);
  if ("error" in args) {
    io.err(args.error);
    return 2;
  }
  try {
    const from = path.resolve(io.cwd, args.from);
    const project = args.project ? path.resolve(io.cwd, args.project) : io.projectDir;
    if (!fs.existsSync(from) || !fs.statSync(from).isDirectory())
      throw new ImportError(`--from: ${args.from} is not a folder`);
    const files = {
      vms: readJson(from, FILES.vms),
      lxcs: readJson(from, FILES.lxcs),
      stacks: readJson(from, FILES.stacks),
      hypervisor: readJson(from, FILES.hypervisor),
    };
    if (files.vms === undefined && files.lxcs === undefined)
      throw new ImportError(`${args.from} has neither ${FILES.vms} nor ${FILES.lxcs}`);
    const result = importPhoenixBash(
      { ...files, exists: (p) => fs.existsSync(path.join(from, p)) && fs.statSync(path.join(from, p)).isFile() },
      { nodeName: args.nodeName, portainerVersion: args.portainerVersion },
    );
    const stackFile = path.join(project, `Pulumi.${args.stack}.yaml`);
    const targets = [stackFile, ...result.stacks.map((s) => path.join(project, "stacks", s.name))];
    const existing = targets.filter((t) => fs.existsSync(t));
    if (existing.length > 0 && !args.force)
      throw new ImportError(
        `refusing to overwrite ${existing.map((t) => path.relative(project, t)).join(", ")} ` +
          `(--force to replace them, ` +
          `or --project DIR to import into another folder)`,
      );
    write(args, io, from, project, stackFile, result);
    return 0;
  } catch (e) {
    if (!(e instanceof ImportError)) throw e;
    io.err(`import: ${e.message}`);
    return 1;
  }
}

function write(args: ImportArgs, io: ImportIo, from: string, project: string, stackFile: string, r: ImportResult) {
  const passphrase = passphraseFromEnv(io.env, io.cwd);
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.config)) config[`phoenix:${k}`] = v;
  const guests = [
    ...((r.config["vms"] as Record<string, unknown>[]) ?? []),
    ...((r.config["lxcs"] as Record<string, unknown>[]) ?? []),
  ];
  // Assignments without an environment take the site's: production when a stack defines it.
  const envs = new Set(r.stacks.flatMap((s) => Object.keys(s.manifest["environments"] as object)));
  if (guests.some((g) => (g["docker_stacks"] as { environment?: string }[]).some((d) => d.environment === undefined)))
    config["phoenix:environment"] = envs.has("production") ? "production" : ([...envs][0] ?? "production");

  const secrets: (Pick<FoundSecret, "key" | "path" | "source"> & { value?: string })[] = [...r.secrets];
  // The bash system ran as root on the node and held no Proxmox credential: it comes from the environment.
  const credential =
    r.rootOnly.length > 0
      ? {
          key: "proxmox.password",
          env: "PHOENIX_PROXMOX_PASSWORD",
          source: `root@pam's password, for ${r.rootOnly.join(", ")} (PHOENIX_PROXMOX_PASSWORD)`,
        }
      : {
          key: "proxmox.api_token",
          env: "PHOENIX_PROXMOX_API_TOKEN",
          source: "a Proxmox API token user@realm!tokenid=uuid (PHOENIX_PROXMOX_API_TOKEN)",
        };
  const given = io.env[credential.env];
  secrets.push({ key: credential.key, path: true, source: credential.source, ...(given ? { value: given } : {}) });
  const nodeSsh = secrets.find((s) => s.key === "proxmox.ssh.private_key");
  const needsSsh = guests.some((g) => (g["features"] as string[]).length > 0) || nodeSsh !== undefined;
  const keyPair = needsSsh && passphrase !== undefined ? sshKeyPair(args.stack) : undefined;
  // The node takes the same key as the guests: its public key goes to root's authorized_keys there.
  if (nodeSsh && keyPair) Object.assign(nodeSsh, { value: keyPair.privateKey, source: "generated by import" });
  const sshSteps: string[] = [];
  if (needsSsh && keyPair) {
    config["phoenix:guest_ssh"] = { public_key: keyPair.publicKey };
    secrets.push({
      key: "guest_ssh.private_key",
      path: true,
      source: "generated by import",
      value: keyPair.privateKey,
    });
  } else if (needsSsh) {
    sshSteps.push(
      `ssh-keygen -t ed25519 -N '' -C phoenix-${args.stack} -f phoenix-${args.stack}-key`,
      `pulumi config set --stack ${args.stack} --path guest_ssh.public_key "$(cat phoenix-${args.stack}-key.pub)"`,
      `pulumi config set --secret --stack ${args.stack} --path guest_ssh.private_key < phoenix-${args.stack}-key`,
    );
    if (nodeSsh) {
      secrets.splice(secrets.indexOf(nodeSsh), 1);
      sshSteps.push(
        `pulumi config set --secret --stack ${args.stack} --path proxmox.ssh.private_key < phoenix-${args.stack}-key`,
      );
    }
  }

  const doc: Record<string, unknown> = {};
  const written: string[] = [];
  const printed: string[] = [];
  if (passphrase !== undefined) {
    const { encryptionSalt, key } = newSalt(passphrase);
    doc["encryptionsalt"] = encryptionSalt;
    for (const s of secrets) {
      if (s.value === undefined || s.value === "") printed.push(secretCommand(args.stack, s));
      else {
        setPath(config, s.key, { secure: encryptValue(key, s.value) });
        written.push(`${s.key} (from ${s.source})`);
      }
    }
  } else for (const s of secrets) printed.push(secretCommand(args.stack, s));
  doc["config"] = config;
  const header =
    `# Imported by phoenix from the phoenix bash system's files in ${path.relative(project, from) || "."}.\n` +
    `# Every guest is adopted (taken over, not recreated): check each against the node before the first up.\n`;
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(stackFile, header + stringify(doc, { lineWidth: 0 }));

  for (const s of r.stacks) {
    const dir = path.join(project, "stacks", s.name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, "config"), { recursive: true });
    fs.copyFileSync(path.join(from, s.compose), path.join(dir, "docker-compose.yml"));
    for (const f of s.files) fs.copyFileSync(path.join(from, f.from), path.join(dir, f.to));
    fs.writeFileSync(path.join(dir, "phoenix.json"), JSON.stringify(s.manifest, null, 2) + "\n");
  }
  const schema = path.join(project, "stacks", "phoenix.schema.json");
  if (!fs.existsSync(schema) && fs.existsSync(path.join(io.projectDir, "stacks", "phoenix.schema.json")))
    fs.copyFileSync(path.join(io.projectDir, "stacks", "phoenix.schema.json"), schema);

  const rel = (p: string) => path.relative(io.cwd, p) || ".";
  io.out(
    `import: wrote ${rel(stackFile)} and ${r.stacks.length} stack${r.stacks.length === 1 ? "" : "s"} ` +
      `under ${rel(path.join(project, "stacks"))}`,
  );
  io.out(`guests (${guests.length}, all adopted):`);
  for (const g of guests)
    io.out(
      `  ${"vmid" in g ? `VM  ${String(g["vmid"])}` : `LXC ${String(g["ctid"])}`} ${String(g["name"])}: ` +
        `${(g["network_config"] as { ip: string }).ip}, stacks ` +
        `${(g["docker_stacks"] as { name: string }[]).map((d) => d.name).join(", ") || "none"}`,
    );
  io.out(`stacks (${r.stacks.length}): ${r.stacks.map((s) => s.name).join(", ") || "none"}`);
  io.out(`not mapped (${r.unmapped.length}):`);
  for (const u of r.unmapped) io.out(`  ${u.file}: ${u.key}: ${u.why}`);
  if (r.notes.length > 0) {
    io.out(`check (${r.notes.length}):`);
    for (const n of r.notes) io.out(`  ${n}`);
  }
  if (written.length > 0) {
    io.out(`secrets encrypted in ${rel(stackFile)} (${written.length}):`);
    for (const w of written) io.out(`  ${w}`);
  }
  if (printed.length > 0 || sshSteps.length > 0) {
    io.out(
      `secrets to set (${printed.length + (sshSteps.length > 0 ? 1 : 0)}; until then plan lists them as missing)` +
        `${passphrase === undefined ? ", or run import again with PULUMI_CONFIG_PASSPHRASE set" : ""}:`,
    );
    for (const p of [...printed, ...sshSteps]) io.out(`  ${p}`);
  }
  if (nodeSsh)
    io.out(
      `the node: phoenix makes its datasets and NFS exports over SSH as root; add the public key ` +
        `(${keyPair ? keyPair.publicKey : `phoenix-${args.stack}-key.pub`}) to /root/.ssh/authorized_keys there`,
    );
  io.out(`next: npm run plan -- --stack ${args.stack}`);
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2), {
      projectDir: process.env["PHOENIX_PROJECT_DIR"] ?? path.resolve(__dirname, ".."),
      cwd: process.env["INIT_CWD"] ?? process.cwd(),
      env: process.env,
      out: (l) => process.stdout.write(l + "\n"),
      err: (l) => process.stderr.write(l + "\n"),
    });
  } catch (e) {
    process.stderr.write(`import: internal error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
