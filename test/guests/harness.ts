/**
 * Real guests for `npm run test:guests`: Debian 12 systems with systemd and sshd, each a container of the
 * private engine that scripts/guest-engine.sh started (../shared/docker/ENGINE.md), with its own address on
 * the engine's guest network (10.77.0.0/24, which exists only on this machine). Scripts reach them over real
 * SSH with the system's ssh client, as `@pulumi/command` sends them: the whole script as the remote command.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GUEST_RUN_OPTIONS, cloudInitUserCommand, run } from "../../lab/guests";

export interface Engine {
  readonly dockerHost: string;
  readonly image: string;
  readonly network: string;
  readonly subnet: string;
}

export const ENGINE_DIR = process.env["PHOENIX_GUEST_ENGINE_DIR"] ?? "/var/tmp/phoenix-guest-engine";

/** The engine scripts/guest-engine.sh started, or an error saying why there is none. */
export function engine(): Engine {
  if (process.getuid?.() !== 0)
    throw new Error(
      "test:guests needs root (the guest engine runs as root); run it as root after scripts/guest-engine.sh start",
    );
  const file = path.join(ENGINE_DIR, "env.json");
  if (!fs.existsSync(file))
    throw new Error(`test:guests needs the guest engine: ${file} is missing; run scripts/guest-engine.sh start first`);
  const e = JSON.parse(fs.readFileSync(file, "utf8")) as Engine;
  try {
    execFileSync("docker", ["-H", e.dockerHost, "info", "--format", "{{.ServerVersion}}"], { stdio: "pipe" });
  } catch (err) {
    throw new Error(
      `test:guests needs the guest engine, and ${e.dockerHost} does not answer ` +
        `(${(err as Error).message.split("\n")[0]}); run scripts/guest-engine.sh ` +
        `start`,
    );
  }
  return e;
}

/** A key pair for the tests, made once per process. */
export class KeyPair {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-guest-key-"));
  readonly privateKeyFile = path.join(this.dir, "id_ed25519");
  constructor() {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "phoenix-test", "-f", this.privateKeyFile]);
  }
  get publicKey(): string {
    return fs.readFileSync(`${this.privateKeyFile}.pub`, "utf8").trim();
  }
  get privateKey(): string {
    return fs.readFileSync(this.privateKeyFile, "utf8");
  }
  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface SshResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A booted guest. */
export class Guest {
  constructor(
    readonly engine: Engine,
    readonly name: string,
    readonly ip: string,
    readonly bootMs: number,
  ) {}

  /** Runs `script` as the remote command of one SSH session, as `@pulumi/command` does. */
  async ssh(
    keys: KeyPair,
    user: string,
    script: string,
    opts: { connectTimeoutS?: number; timeoutMs?: number; host?: string } = {},
  ): Promise<SshResult> {
    const started = Date.now();
    const r = await run(
      "ssh",
      [
        "-i",
        keys.privateKeyFile,
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        `ConnectTimeout=${opts.connectTimeoutS ?? 10}`,
        `${user}@${opts.host ?? this.ip}`,
        script,
      ],
      undefined,
      opts.timeoutMs,
    );
    return { ...r, ms: Date.now() - started };
  }

  /** Runs a command in the guest as root, outside SSH (for preparing and inspecting it). */
  async exec(command: string, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return run("docker", ["-H", this.engine.dockerHost, "exec", "-i", this.name, "sh", "-c", command], input);
  }

  /** Starts a command in the guest in the background; resolves once it printed `ready`. */
  background(command: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn("docker", ["-H", this.engine.dockerHost, "exec", this.name, "sh", "-c", command], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("ready")) resolve();
      });
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", (code) => reject(new Error(`background command exited ${code} before it was ready: ${out}`)));
    });
  }

  async remove(): Promise<void> {
    await run("docker", ["-H", this.engine.dockerHost, "rm", "-f", this.name]);
  }
}

let counter = 0;

/**
 * Boots a fresh guest: root accepts `keys`; with `user`, a cloud-init-like user with the same key and
 * passwordless sudo (as Proxmox's cloud-init makes for a VM). Resolves once SSH answers.
 */
export async function bootGuest(
  e: Engine,
  keys: KeyPair,
  opts: { user?: string; authorize?: boolean } = {},
): Promise<Guest> {
  const name = `phoenix-guest-${process.pid}-${++counter}`;
  const started = Date.now();
  const r = await run("docker", [
    "-H",
    e.dockerHost,
    "run",
    "-d",
    "--name",
    name,
    "--hostname",
    name,
    "--label",
    "phoenix.guest=test",
    "--network",
    e.network,
    ...GUEST_RUN_OPTIONS,
    e.image,
    "/sbin/init",
  ]);
  if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr}`);
  const ip = (
    await run("docker", [
      "-H",
      e.dockerHost,
      "inspect",
      "-f",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      name,
    ])
  ).stdout.trim();
  const guest = new Guest(e, name, ip, 0);
  if (opts.authorize !== false) {
    await guest.exec("cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys", keys.publicKey + "\n");
    if (opts.user) {
      const u = opts.user;
      await guest.exec(cloudInitUserCommand(u), keys.publicKey + "\n");
    }
    for (let i = 0; i < 100; i++) {
      if ((await guest.ssh(keys, "root", "true", { connectTimeoutS: 2 })).code === 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  return new Guest(e, name, ip, Date.now() - started);
}

/** Every guest this process booted, removed (for afterAll). */
export async function removeGuests(e: Engine): Promise<void> {
  const ids = (
    await run("docker", [
      "-H",
      e.dockerHost,
      "ps",
      "-aq",
      "--filter",
      "label=phoenix.guest=test",
      "--filter",
      `name=phoenix-guest-${process.pid}-`,
    ])
  ).stdout
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) await run("docker", ["-H", e.dockerHost, "rm", "-f", ...ids]);
}
