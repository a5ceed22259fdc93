// Proves, on real Debian 12 guests (systemd, sshd, apt from Debian's mirror) booted fresh for each test in the
// private engine of scripts/guest-engine.sh and reached over real SSH, that the exact scripts the program
// registers (taken from Site under mocks) do what they say: base_setup completes and a second run changes
// nothing; it waits for a dpkg lock held 20 s and for a cloud-init still running; the docker feature from
// Debian's docker.io ends with an active engine that answers; from Docker's repository it stops at the key
// with a message naming the step and the unreachable host (download.docker.com is not reachable from our
// machines), leaving no repository behind; NFS volumes get their fstab entry and mount point, while the
// mount itself fails (a container has no NFS client); application scripts run with their env and a failing
// one is reported by name, exit code and stderr tail with its secret masked; the health checks pass, name
// degraded units and fail naming the guest and the check. Every generated script passes shellcheck.
// Does not prove: Proxmox's cloud-init or a VM's kernel (these guests are containers), nor @pulumi/command's
// own SSH client (the system's ssh sends the same text as one remote command).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DOCKER_APT_SOURCE, DPKG_LOCK_TIMEOUT_S } from "../../components/guest/scripts";
import { bootGuest, engine, KeyPair, removeGuests, type Engine, type Guest } from "./harness";
import { registeredScripts, VM_USER } from "./program";
import { edgeValues } from "../helpers/edge";
import { joined } from "../helpers/regex";

type Values = Record<string, unknown>;
let e: Engine;
let keys: KeyPair;
const timings: string[] = [];

beforeAll(() => {
  e = engine();
  keys = new KeyPair();
});
afterAll(async () => {
  if (e) await removeGuests(e);
  keys?.remove();
  process.stdout.write(`test:guests timings:\n${timings.map((t) => `  ${t}`).join("\n")}\n`);
});

async function boot(what: string, user?: string): Promise<Guest> {
  const g = await bootGuest(e, keys, user ? { user } : {});
  timings.push(`${what}: guest ${g.name} (${g.ip}) booted to SSH in ${g.bootMs} ms`);
  return g;
}

async function step(g: Guest, what: string, user: string, script: string) {
  const r = await g.ssh(keys, user, script);
  timings.push(`${what}: exit ${r.code} in ${r.ms} ms`);
  return r;
}

const packages = (g: Guest) =>
  g.exec("dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n'").then((r) => r.stdout);
/** validValues' LXC has only docker: give it base_setup too. */
const lxcBase = (v: Values) => {
  (v["phoenix:lxcs"] as Values[])[0]!["features"] = ["base_setup", "docker"];
};
const withVolume = (v: Values) => {
  (v["phoenix:vms"] as Values[])[0]!["volumes"] = [
    {
      type: "nfs",
      name: "persistent-storage",
      server: "10.77.0.250",
      path: "/quickOS/vm-persistent-data/1001",
      mount_point: "/persistent-storage",
    },
  ];
};

describe("the program's setup scripts on real guests", () => {
  it("base_setup on a VM completes as the cloud-init user, and a second run changes nothing", async () => {
    const script = (await registeredScripts()).get("phoenix-vm-1002-setup-base");
    const g = await boot("base_setup twice", VM_USER);
    const first = await step(g, "base_setup, first run", VM_USER, script);
    expect([first.code, first.stdout.trim().split("\n").pop()]).toEqual([0, "base_setup done"]);
    expect(await packages(g)).toMatch(/^qemu-guest-agent \S+ ii $/m);
    const [pkgs, fstab] = [await packages(g), (await g.exec("cat /etc/fstab")).stdout];
    const second = await step(g, "base_setup, second run", VM_USER, script);
    expect([second.code, await packages(g), (await g.exec("cat /etc/fstab")).stdout]).toEqual([0, pkgs, fstab]);
  }, 600_000);

  it("base_setup waits while another process holds the dpkg lock for 20 s, then succeeds", async () => {
    const script = (await registeredScripts(lxcBase)).get("phoenix-lxc-2002-setup-base");
    const g = await boot("dpkg lock", undefined);
    // An fcntl write lock on dpkg's frontend lock, as apt itself takes it (cloud-init's first-boot upgrade).
    const hold =
      'perl -e \'use Fcntl; open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or ' +
      'die; my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, ' +
      'F_SETLKW, $l) or die "lock: $!"; print "ready\\n"; $|=1; sleep 20; print ' +
      '"released\\n"\'';
    await g.background(hold);
    const r = await step(g, `base_setup under a 20 s dpkg lock (timeout ${DPKG_LOCK_TIMEOUT_S} s)`, "root", script);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /Waiting for cache lock: Could not get lock \/var\/lib\/dpkg\/lock-frontend\. It is held by process \d+ \(perl\)/,
    );
  }, 600_000);

  it("base_setup waits for a cloud-init that reports running, then done", async () => {
    const script = (await registeredScripts()).get("phoenix-vm-1002-setup-base");
    const g = await boot("cloud-init", VM_USER);
    // A stand-in cloud-init: `status --wait` keeps running for 8 s (first boot), then reports done.
    await g.exec(
      "cat > /usr/local/bin/cloud-init && chmod 755 /usr/local/bin/cloud-init",
      [
        "#!/bin/sh",
        'echo "$(date +%s) $*" >> /tmp/fake-cloud-init.log',
        'if [ "$1 $2" = "status --wait" ]; then echo "status: running"; sleep 8; echo "status: done"; fi',
        'echo "$(date +%s) done" >> /tmp/fake-cloud-init.log',
        "",
      ].join("\n"),
    );
    const r = await step(g, "base_setup with cloud-init still running for 8 s", VM_USER, script);
    expect(r.code).toBe(0);
    const log = (await g.exec("cat /tmp/fake-cloud-init.log")).stdout.trim().split("\n");
    expect(log.map((l) => l.replace(/^\d+ /, ""))).toEqual(["status --wait", "done"]);
    const doneAt = Number(log[1]!.split(" ")[0]);
    // apt's first run (update) started only after cloud-init was done: its history is written when dpkg runs.
    const aptStart = (await g.exec("stat -c %Y /var/lib/apt/lists/lock")).stdout.trim();
    expect(Number(aptStart)).toBeGreaterThanOrEqual(doneAt);
  }, 600_000);

  it("docker from Debian's docker.io ends with an active engine that answers over ssh://", async () => {
    const scripts = await registeredScripts((v) => {
      lxcBase(v);
      v["phoenix:guest_setup"] = { docker_source: "debian" };
    });
    const g = await boot("docker_source debian", undefined);
    expect((await step(g, "base_setup (LXC)", "root", scripts.get("phoenix-lxc-2002-setup-base"))).code).toBe(0);
    const r = await step(g, "docker from docker.io", "root", scripts.get("phoenix-lxc-2002-setup-docker"));
    expect([r.code, r.stderr.match(/^docker: .*/m)?.[0] ?? null]).toEqual([0, null]);
    expect(r.stdout.trim().split("\n").pop()).toMatch(/^docker \d+\.\d+\.\d+/);
    expect((await g.ssh(keys, "root", "systemctl is-active docker")).stdout.trim()).toBe("active");
    // Over ssh://, as the Docker provider connects: the Docker CLI runs `ssh ... docker system dial-stdio`;
    // an `ssh` first on PATH adds the key and host-key options, as the provider's sshOpts do.
    const wrapper = path.join(keys.dir, "bin");
    fs.mkdirSync(wrapper, { recursive: true });
    fs.writeFileSync(
      path.join(wrapper, "ssh"),
      `#!/bin/sh\nexec /usr/bin/ssh -i ${keys.privateKeyFile} -o BatchMode=yes ` +
        `-o StrictHostKeyChecking=accept-new -o ` +
        `UserKnownHostsFile=${keys.dir}/known_hosts "$@"\n`,
      { mode: 0o755 },
    );
    const info = execFileSync(
      "docker",
      ["-H", `ssh://root@${g.ip}`, "info", "--format", "{{.ServerVersion}} {{.Driver}}"],
      { encoding: "utf8", env: { ...process.env, PATH: `${wrapper}:${process.env["PATH"]}`, DOCKER_HOST: "" } },
    );
    expect(info.trim()).toMatch(/^\d+\.\d+\.\d+\S* vfs$/);
  }, 900_000);

  it(
    "docker from Docker's repository stops at the key, naming the step and " +
      "the unreachable host, and leaves no repository",
    async () => {
      const scripts = await registeredScripts();
      const script = scripts.get("phoenix-vm-1002-setup-docker");
      expect(script).toContain(`echo "${DOCKER_APT_SOURCE}" | $SUDO tee /etc/apt/sources.list.d/docker.list`);
      expect(script).toContain("gpg --dearmor --yes -o /etc/apt/keyrings/docker.gpg");
      const g = await boot("docker_source docker", VM_USER);
      const r = await step(g, "docker from download.docker.com (unreachable here)", VM_USER, script);
      expect(r.code).toBe(1);
      // curl's own line, then the step's.
      expect(r.stderr.trim().split("\n")[0]).toBe("curl: (6) Could not resolve host: download.docker.com");
      expect(r.stderr.trim().split("\n").pop()).toMatch(
        joined(
          /^docker: fetching Docker's apt key from https:\/\/download\.docker\.com\/linux\/debian\/gpg failed /,
          /\(curl exit (6|7|28)\): download\.docker\.com is not reachable from this guest; /,
          /set docker_source: debian to install the distribution's docker\.io$/,
        ),
      );
      expect((await g.exec("ls /etc/apt/sources.list.d/")).stdout).not.toContain("docker.list");
    },
    600_000,
  );

  it(
    "NFS volumes: fstab entry and mount point are made once; the mount itself " + "fails in a container guest",
    async () => {
      const script = (await registeredScripts(withVolume)).get("phoenix-vm-1001-setup-base");
      const g = await boot("nfs volume", VM_USER);
      const entry = "10.77.0.250:/quickOS/vm-persistent-data/1001 /persistent-storage nfs defaults,_netdev 0 0";
      for (const run of ["first", "second"]) {
        const r = await step(g, `base_setup with an NFS volume, ${run} run`, VM_USER, script);
        // A container has no kernel NFS client: mount fails (on a VM it mounts the Proxmox host's export).
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/mount/);
        expect((await g.exec("grep -c persistent-storage /etc/fstab; grep persistent-storage /etc/fstab")).stdout).toBe(
          `1\n${entry}\n`,
        );
        expect((await g.exec("test -d /persistent-storage && echo dir")).stdout).toBe("dir\n");
      }
    },
    600_000,
  );

  it(
    "application scripts run with their env; a failing one names itself, its " +
      "exit code and its stderr, without the secret",
    async () => {
      const token = "token-value-123";
      const scripts = await registeredScripts(
        (v) => {
          (v["phoenix:vms"] as Values[])[1]!["setup_scripts"] = [
            {
              name: "write-marker",
              source: "test/fixtures/setup/write-marker.sh",
              env: { GREETING: "hi", APP_TOKEN: { secret: "app_token" } },
            },
            { name: "deploy", source: "test/fixtures/setup/fails.sh", env: { APP_TOKEN: { secret: "app_token" } } },
          ];
          v["phoenix:app_token"] = token;
        },
        ["phoenix:app_token"],
      );
      const g = await boot("setup scripts", VM_USER);
      const ok = await step(
        g,
        "setup script write-marker",
        VM_USER,
        scripts.get("phoenix-vm-1002-setup-script-write-marker"),
      );
      expect([ok.code, ok.stdout]).toEqual([0, "write-marker ran\nsetup script write-marker done\n"]);
      expect((await g.exec("cat /tmp/phoenix-setup-scripts.log")).stdout).toBe(
        `${VM_USER} hi token-length=${token.length}\n`,
      );
      const bad = await step(
        g,
        "setup script deploy (fails)",
        VM_USER,
        scripts.get("phoenix-vm-1002-setup-script-deploy"),
      );
      expect([bad.code, bad.stderr]).toEqual([
        3,
        "setup script deploy failed with exit code 3; the last lines of its " +
          "stderr:\nstarting with token [secret]\nsomething went wrong\n",
      ]);
    },
    600_000,
  );

  it("health checks pass on a set-up guest, name degraded units, and fail naming the guest and the check", async () => {
    const scripts = await registeredScripts();
    const g = await boot("health", VM_USER);
    expect((await step(g, "base_setup before health", VM_USER, scripts.get("phoenix-vm-1002-setup-base"))).code).toBe(
      0,
    );
    // Dr-Phoenix has the docker feature, and Docker is not installed yet.
    const health = scripts.get("phoenix-vm-1002-setup-health");
    const noDocker = await step(g, "health without docker", VM_USER, health);
    expect([noDocker.code, noDocker.stderr.trim().split("\n").pop()]).toEqual([
      1,
      "health of Dr-Phoenix: docker is inactive, not active",
    ]);
    const noDockerScript = (
      await registeredScripts((v) => {
        const dr = (v["phoenix:vms"] as Values[])[1]!;
        Object.assign(dr, { features: ["base_setup"], docker_stacks: [] });
        delete dr["portainer_role"];
      })
    ).get("phoenix-vm-1002-setup-health");
    await g.exec("systemctl reset-failed; true");
    const ok = await step(g, "health (no docker feature)", VM_USER, noDockerScript);
    expect([ok.code, ok.stdout]).toEqual([
      0,
      expect.stringMatching(/^health of Dr-Phoenix: ok \((running|degraded)\)\n$/),
    ]);
    await g.exec("systemd-run --unit=phoenix-broken --property=Type=oneshot /bin/false; true");
    const degraded = await step(g, "health with a failed unit", VM_USER, noDockerScript);
    expect([degraded.code, degraded.stderr]).toEqual([
      0,
      expect.stringMatching(/^health of Dr-Phoenix: systemd is degraded; failed units: .*phoenix-broken\.service/),
    ]);
  }, 600_000);

  it("the agent's health check waits until the agent's port answers", async () => {
    const script = (await registeredScripts()).get("phoenix-agent-vm-1002-health");
    const g = await boot("agent health", VM_USER);
    // A stand-in agent that starts listening on 9001 after 5 s (the real one is an image we cannot pull here).
    const listen =
      'perl -MIO::Socket::INET -e \'print "ready\\n"; $|=1; sleep 5; my $s = ' +
      "IO::Socket::INET->new(LocalPort => 9001, Listen => 5, ReuseAddr => 1) or " +
      "die $!; while (my $c = $s->accept) { close $c }'";
    await g.background(listen);
    const r = await step(g, "agent health (port opens after 5 s)", VM_USER, script);
    expect([r.code, r.stdout]).toEqual([0, "health of Dr-Phoenix: the Portainer agent answers on 9001\n"]);
    expect(r.ms).toBeGreaterThanOrEqual(4000);
  }, 600_000);

  it("every script the program generates passes shellcheck", async () => {
    const variants: ((v: Values) => void)[] = [
      lxcBase,
      withVolume,
      (v) => (v["phoenix:guest_setup"] = { docker_source: "debian" }),
      // The gateways' scripts: Nginx, Traefik, dnsmasq and the certificates.
      (v) => Object.assign(v, edgeValues()),
      // The node's scripts (datasets, exports; as root and under sudo) and Portainer's data path on a volume.
      ...["root", "phoenix"].map((user) => (v: Values) => {
        withVolume(v);
        (v["phoenix:vms"] as Values[])[0]!["volumes"] = [
          { type: "nfs", name: "data", path: "/quickOS/vm-persistent-data/1001", mount_point: "/persistent-storage" },
        ];
        (v["phoenix:proxmox"] as Values)["ssh"] = {
          username: user,
          private_key: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
        };
        (v["phoenix:portainer"] as Values)["data_path"] = "/persistent-storage/portainer";
        v["phoenix:hypervisor"] = {
          zfs_datasets: [{ name: "quickOS/vm-persistent-data", properties: { compression: "lz4" } }],
        };
      }),
    ];
    const scripts = new Set<string>();
    for (const m of variants) for (const s of Object.values((await registeredScripts(m)).all)) scripts.add(s);
    expect(scripts.size).toBeGreaterThanOrEqual(5);
    expect(
      [...scripts].filter((s) => /nginx -t|dnsmasq --test|file provider reloads it|certificates written/.test(s))
        .length,
    ).toBe(6);
    // The node's: a dataset and the exports, each as root and under sudo; and Portainer's data path.
    expect([...scripts].filter((s) => /zfs create|exportfs -ra|Portainer's data in/.test(s)).length).toBe(5);
    for (const s of scripts) {
      expect(() =>
        execFileSync("shellcheck", ["-s", "sh", "-"], { input: s, stdio: ["pipe", "pipe", "pipe"] }),
      ).not.toThrow();
    }
  }, 120_000);
});

describe("setup that cannot reach its guest fails within its limits, with a clear message", () => {
  // Through the lab's runner of the program's commands (lab/guests.ts), which keeps @pulumi/command's
  // connection limits: dialErrorLimit dials, then the error. The program sets 30 dials of at most 10 s.
  it("a wrong key, a guest whose SSH never comes up, and an address no guest has", async () => {
    const { RealGuests } = await import("../../lab/guests");
    const lab = new RealGuests({ dockerHost: e.dockerHost, image: e.image }, `limits${process.pid}`);
    const other = new KeyPair();
    try {
      const vm = {
        vmId: 3001,
        name: "limits",
        initialization: {
          ipConfigs: [{ ipv4: { address: "10.0.0.231/24" } }],
          userAccount: { username: VM_USER, keys: [keys.publicKey] },
        },
      };
      await lab.boot("vm", vm);
      const connection = (privateKey: string, host = "10.0.0.231") => ({
        connection: { host, user: VM_USER, privateKey, dialErrorLimit: 5 },
        create: "true",
      });
      for (
        let i = 0;
        i < 50 &&
        !(await lab.command("probe", connection(keys.privateKey)).then(
          () => true,
          () => false,
        ));
        i++
      )
        await new Promise((r) => setTimeout(r, 200));
      await expect(lab.command("wrong key", connection(other.privateKey))).rejects.toThrow(
        `ssh: handshake failed: ${VM_USER}@10.0.0.231 refused the key (${VM_USER}@`,
      );
      await expect(lab.command("nowhere", connection(keys.privateKey, "10.0.0.232"))).rejects.toThrow(
        "unable to connect to 10.0.0.232:22: no guest runs at that address in the lab",
      );
      // A guest that never finishes booting: sshd stopped for good.
      execFileSync("docker", [
        "-H",
        e.dockerHost,
        "exec",
        `phoenix-lab-limits${process.pid}-3001`,
        "sh",
        "-c",
        "systemctl mask --now ssh.socket ssh.service >/dev/null 2>&1; true",
      ]);
      const started = Date.now();
      await expect(lab.command("never up", connection(keys.privateKey))).rejects.toThrow(
        joined(
          /^unable to connect to 10\.0\.0\.231:22 after 5 attempts: /,
          /ssh: connect to host \S+ port 22: Connection refused$/,
        ),
      );
      const ms = Date.now() - started;
      timings.push(`a guest whose SSH never comes up: failed after 5 dials in ${ms} ms`);
      expect(ms).toBeLessThan(30_000);
    } finally {
      other.remove();
      await lab.removeAll();
    }
  }, 300_000);
});
