/**
 * `npm run lab -- up --guests real`: the simulated Proxmox's guests become real Debian 12 systems (containers of
 * the engine scripts/guest-engine.sh started), and the SSH commands that set them up run on them for real.
 * Each guest is a container on a network the lab creates for the stack; its configured address is mapped to
 * the container's, so nothing the lab sends goes to the configured address itself. Inside the network each guest
 * also holds its configured address, so guests reach each other as the site configures them. The configured SSH
 * keys are authorized as Proxmox would: for the cloud-init user of a VM (with passwordless sudo), for root of an
 * LXC with a managed OS type (an unmanaged one gets none, as on Proxmox).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stripSecrets } from "./host";

type Obj = Record<string, unknown>;

export interface GuestEngine {
  readonly dockerHost: string;
  readonly image: string;
}

export const GUEST_ENGINE_DIR = process.env["PHOENIX_GUEST_ENGINE_DIR"] ?? "/var/tmp/phoenix-guest-engine";

/** Runs a program to completion; never throws: the exit code (255 when it could not run), stdout, stderr. */
export function run(
  cmd: string,
  args: readonly string[],
  input?: string,
  timeoutMs = 900_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === "number"
            ? (err as { code: number }).code
            : 255
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** The engine scripts/guest-engine.sh started, or an error saying how to start it. */
export async function guestEngine(): Promise<GuestEngine> {
  const file = path.join(GUEST_ENGINE_DIR, "env.json");
  if (!fs.existsSync(file))
    throw new Error(
      `--guests real needs the guest engine (${file} is missing): run scripts/guest-engine.sh start as root first`,
    );
  const e = JSON.parse(fs.readFileSync(file, "utf8")) as GuestEngine;
  const r = await run("docker", ["-H", e.dockerHost, "info", "--format", "{{.ServerVersion}}"]);
  if (r.code !== 0)
    throw new Error(
      `--guests real needs the guest engine, and ${e.dockerHost} does not ` +
        `answer: run scripts/guest-engine.sh start as root`,
    );
  return e;
}

/**
 * `docker run` options that make a container a guest (../shared/docker/ENGINE.md): systemd as PID 1 needs
 * /run on tmpfs, the host's cgroups, two capabilities and unconfined profiles (`--privileged` fails here).
 */
export const GUEST_RUN_OPTIONS: readonly string[] = [
  "--tmpfs",
  "/run",
  "--tmpfs",
  "/run/lock",
  "-v",
  "/sys/fs/cgroup:/sys/fs/cgroup:rw",
  "--cap-add",
  "SYS_ADMIN",
  "--cap-add",
  "NET_ADMIN",
  "--security-opt",
  "seccomp=unconfined",
  "--security-opt",
  "apparmor=unconfined",
];

/**
 * A shell command that makes the user Proxmox's cloud-init makes for a VM: a login with the public keys read
 * from stdin and passwordless sudo. The password field is `*`, not `!`: sshd refuses key logins of a locked one.
 */
export function cloudInitUserCommand(user: string): string {
  return [
    `useradd -m -s /bin/bash -p '*' ${user}`,
    `mkdir -p /home/${user}/.ssh`,
    `cat > /home/${user}/.ssh/authorized_keys`,
    `chown -R ${user}: /home/${user}/.ssh`,
    `chmod 700 /home/${user}/.ssh`,
    `echo '${user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/${user}`,
  ].join(" && ");
}

const at = (o: unknown, p: string): unknown =>
  p.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Obj)[k] : undefined), o);

export class RealGuests {
  readonly network: string;
  /** What the lab did, for the report: `ssh` lines and timings. */
  readonly log: string[] = [];

  constructor(
    readonly engine: GuestEngine,
    readonly stack: string,
  ) {
    this.network = `phoenix-lab-${stack}`;
  }

  private docker(args: readonly string[], input?: string) {
    return run("docker", ["-H", this.engine.dockerHost, ...args], input);
  }

  private container(id: unknown): string {
    return `phoenix-lab-${this.stack}-${String(id)}`;
  }

  private networkReady: Promise<void> | undefined;

  /** Creates the stack's network once (guests boot in parallel). */
  private ensureNetwork(): Promise<void> {
    this.networkReady ??= (async () => {
      if ((await this.docker(["network", "inspect", this.network])).code === 0) return;
      const r = await this.docker(["network", "create", "--label", "phoenix.lab=" + this.stack, this.network]);
      if (r.code !== 0) throw new Error(`creating the lab's guest network ${this.network}: ${r.stderr.trim()}`);
    })();
    return this.networkReady;
  }

  /** The container address a configured guest address maps to, when that guest runs. */
  async address(configured: string): Promise<string | undefined> {
    const r = await this.docker([
      "ps",
      "-q",
      "--filter",
      `label=phoenix.lab.address=${configured}`,
      "--filter",
      `label=phoenix.lab=${this.stack}`,
    ]);
    const id = r.stdout.trim().split("\n")[0];
    if (!id) return undefined;
    return (
      (
        await this.docker(["inspect", "-f", `{{(index .NetworkSettings.Networks "${this.network}").IPAddress}}`, id])
      ).stdout.trim() || undefined
    );
  }

  /** Boots the guest a `VmLegacy` or `ContainerLegacy` describes, replacing one of the same id. */
  async boot(kind: "vm" | "lxc", inputs: Obj): Promise<void> {
    const started = Date.now();
    await this.ensureNetwork();
    const name = this.container(inputs["vmId"]);
    await this.docker(["rm", "-f", name]);
    const hostname = String(kind === "vm" ? inputs["name"] : (at(inputs, "initialization.hostname") ?? name));
    const configured = String(at(inputs, "initialization.ipConfigs.0.ipv4.address") ?? "").split("/")[0]!;
    const r = await this.docker([
      "run",
      "-d",
      "--name",
      name,
      "--hostname",
      hostname,
      "--label",
      `phoenix.lab=${this.stack}`,
      "--label",
      "phoenix.guest=lab",
      "--label",
      `phoenix.lab.address=${configured}`,
      "--network",
      this.network,
      ...GUEST_RUN_OPTIONS,
      this.engine.image,
      "/sbin/init",
    ]);
    if (r.code !== 0) throw new Error(`booting ${name}: ${r.stderr.trim()}`);
    // The configured address, on the guest's side of the lab network: guests reach each other by the addresses the
    // site configures (a gateway's upstreams, DNS records), on-link; the host has no route to them.
    const cidr = String(at(inputs, "initialization.ipConfigs.0.ipv4.address") ?? "");
    if (cidr.includes("/")) {
      const a = await this.docker(["exec", name, "ip", "addr", "add", cidr, "dev", "eth0"]);
      if (a.code !== 0) throw new Error(`giving ${name} its configured address ${cidr}: ${a.stderr.trim()}`);
    }
    const account = (stripSecrets(at(inputs, "initialization.userAccount")) ?? {}) as {
      username?: string;
      keys?: string[];
    };
    const keys = (account.keys ?? []).join("\n") + "\n";
    const managed =
      kind === "vm" ||
      !["unmanaged", undefined].includes(at(inputs, "operatingSystem.type") as string | undefined) ||
      inputs["clone"] !== undefined;
    if (kind === "vm" && account.username) {
      const u = account.username;
      await this.docker(["exec", "-i", name, "sh", "-c", cloudInitUserCommand(u)], keys);
    } else if (kind === "lxc" && managed) {
      await this.docker(
        ["exec", "-i", name, "sh", "-c", "cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys"],
        keys,
      );
    }
    this.log.push(
      `${kind === "vm" ? "VM" : "CT"} ${String(inputs["vmId"])} ${hostname}: ` +
        `container ${name} at ${await this.address(configured)} (configured ` +
        `${configured}) in ${Date.now() - started} ms`,
    );
  }

  async remove(inputs: Obj): Promise<void> {
    await this.docker(["rm", "-f", this.container(inputs["vmId"])]);
  }

  /** Where each running guest of the stack is: `<container> <configured address> -> <container address>`. */
  async where(): Promise<{ container: string; configured: string; address: string }[]> {
    const r = await this.docker([
      "ps",
      "--filter",
      `label=phoenix.lab=${this.stack}`,
      "--format",
      '{{.Names}} {{.Label "phoenix.lab.address"}}',
    ]);
    const out: { container: string; configured: string; address: string }[] = [];
    for (const line of r.stdout.trim().split("\n").filter(Boolean).sort()) {
      const [container, configured] = line.split(" ") as [string, string];
      out.push({ container, configured, address: (await this.address(configured)) ?? "?" });
    }
    return out;
  }

  /** Removes every guest of the stack and its network. */
  async removeAll(): Promise<void> {
    const ids = (await this.docker(["ps", "-aq", "--filter", `label=phoenix.lab=${this.stack}`])).stdout
      .split("\n")
      .filter(Boolean);
    if (ids.length > 0) await this.docker(["rm", "-f", ...ids]);
    await this.docker(["network", "rm", this.network]);
  }

  /**
   * Runs a `command:remote:Command`'s `create` over SSH as `@pulumi/command` would: to the mapped address, as
   * the connection's user with its private key, retrying the dial (its `dialErrorLimit`, 1 s apart here).
   * Returns its outputs; a non-zero exit fails with the command's stderr.
   */
  async command(name: string, inputs: Obj): Promise<{ stdout: string; stderr: string }> {
    const c = (stripSecrets(inputs["connection"]) ?? {}) as {
      host?: string;
      user?: string;
      privateKey?: string;
      dialErrorLimit?: number;
    };
    const script = String(stripSecrets(inputs["create"]) ?? "");
    const host = await this.address(String(c.host));
    const limit = c.dialErrorLimit ?? 10;
    if (!host) throw new Error(`unable to connect to ${String(c.host)}:22: no guest runs at that address in the lab`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-lab-ssh-"));
    const key = path.join(dir, "key");
    fs.writeFileSync(key, String(c.privateKey ?? ""), { mode: 0o600 });
    try {
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        const r = await run("ssh", [
          "-i",
          key,
          "-o",
          "BatchMode=yes",
          "-o",
          "StrictHostKeyChecking=no",
          "-o",
          "UserKnownHostsFile=/dev/null",
          "-o",
          "LogLevel=ERROR",
          "-o",
          "ConnectTimeout=10",
          `${c.user ?? "root"}@${host}`,
          script,
        ]);
        const dialFailed = r.code === 255 && /Connection refused|timed out|No route/.test(r.stderr);
        if (dialFailed && attempt < limit) {
          await new Promise((res) => setTimeout(res, 1000));
          continue;
        }
        if (r.code === 255 && /Permission denied/.test(r.stderr))
          throw new Error(`ssh: handshake failed: ${c.user}@${String(c.host)} refused the key (${r.stderr.trim()})`);
        if (dialFailed)
          throw new Error(`unable to connect to ${String(c.host)}:22 after ${attempt} attempts: ${r.stderr.trim()}`);
        if (r.code !== 0)
          throw new Error(`Process exited with status ${r.code}: ${r.stderr.trim().split("\n").slice(-20).join("\n")}`);
        this.log.push(`${name}: ssh ${c.user}@${String(c.host)} (${host}): exit 0 in ${Date.now() - started} ms`);
        return { stdout: r.stdout, stderr: r.stderr };
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
