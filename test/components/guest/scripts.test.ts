// Proves: base_setup waits for cloud-init's first boot (CONTRACT.md section 2: Proxmox's cloud-init upgrades
// packages on first boot while SSH already answers) and gives apt a dpkg lock timeout, by running the exact
// script under sh with stub commands on PATH: cloud-init's "done" (0), "done with recoverable errors" (2)
// and "error" (1) let it go on; a cloud-init still running at the timeout (124) stops it with a message;
// no cloud-init (an LXC) skips the wait; every apt-get call carries DPkg::Lock::Timeout=600. Application
// scripts run with their env; a failing one reports its name, exit code and stderr tail with secrets masked.
// Does not prove: the script on a real Debian guest (that is the real-guest suite's job).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CLOUD_INIT_TIMEOUT_S,
  DPKG_LOCK_TIMEOUT_S,
  applicationScript,
  baseSetupScript,
  dockerScript,
} from "../../../components/guest/scripts";

/**
 * Runs `script` with stubs: `cloud-init` exits `cloudInit` (or is absent), apt-get and systemctl record their
 * arguments.
 */
function run(script: string, cloudInit: number | "absent") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-script-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const log = path.join(dir, "log");
  const stub = (name: string, body: string) =>
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  for (const c of ["apt-get", "systemctl", "sudo", "mountpoint", "mount", "usermod"])
    stub(c, `echo "${c} $*" >> ${log}`);
  // `sudo -n cmd args`: run the command itself.
  stub("sudo", `shift; "$@"`);
  stub("id", `[ "$1" = "-u" ] && echo 1000 || echo phoenix_user`);
  // `timeout N cmd`: the stub cloud-init exits 124 itself for the "still running" case.
  stub("timeout", `shift; "$@"`);
  if (cloudInit !== "absent") stub("cloud-init", `echo "cloud-init $*" >> ${log}; exit ${cloudInit}`);
  const r = spawnSync("/bin/sh", ["-c", script], {
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir },
    encoding: "utf8",
  });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

const vmScript = baseSetupScript("vm", []);

describe("base_setup", () => {
  it("waits for cloud-init, then runs apt with a dpkg lock timeout", () => {
    const r = run(vmScript, 0);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, "", "base_setup done\n"]);
    expect(r.calls).toEqual([
      "cloud-init status --wait",
      `apt-get -q -o DPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S} update`,
      `apt-get -q -o DPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S} install -y ca-certificates curl gnupg qemu-guest-agent`,
      "systemctl enable qemu-guest-agent",
    ]);
  });

  it("goes on after cloud-init's recoverable errors (2) and errors (1), the latter with a warning", () => {
    expect(run(vmScript, 2)).toMatchObject({ code: 0, stderr: "" });
    const r = run(vmScript, 1);
    expect([r.code, r.stderr]).toEqual([
      0,
      "base_setup: cloud-init reported errors (cloud-init status exit 1); continuing, see /var/log/cloud-init.log\n",
    ]);
  });

  it("stops, before apt, when cloud-init is still running at the timeout", () => {
    const r = run(vmScript, 124);
    expect([r.code, r.stderr, r.calls]).toEqual([
      1,
      `base_setup: cloud-init has not finished after ${CLOUD_INIT_TIMEOUT_S} s; see cloud-init status --long\n`,
      ["cloud-init status --wait"],
    ]);
  });

  it("skips the wait where there is no cloud-init (an LXC)", () => {
    const r = run(baseSetupScript("lxc", []), "absent");
    expect([r.code, r.calls[0]]).toEqual([0, `apt-get -q -o DPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S} update`]);
  });

  it("gives Docker's apt calls the same lock timeout", () => {
    expect(dockerScript().match(/\$APT \w+/g)).toEqual(["$APT update", "$APT install"]);
    expect(dockerScript()).toContain(`APT="$SUDO apt-get -q -o DPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S}"`);
  });
});

describe("application scripts", () => {
  const env = [
    { name: "GREETING", value: "it's me", secret: false },
    { name: "APP_TOKEN", value: "s3cr3t-value", secret: true },
  ];

  it("run with their env and pass their output through", () => {
    const content = '#!/bin/sh\necho "hello $GREETING"\necho "note" >&2\n';
    const r = run(applicationScript("hello", content, env), "absent");
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "hello it's me\nsetup script hello done\n", "note\n"]);
  });

  it("fail with the script's name, exit code and the tail of its stderr, secrets replaced", () => {
    const content =
      'echo "using s3cr3t-value here" >&2\nfor i in $(seq 1 30); do echo "line ' +
      '$i" >&2; done\necho "again s3cr3t-value and s3cr3t-value" >&2\nexit 3\n';
    const r = run(applicationScript("deploy", content, env), "absent");
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("setup script deploy failed with exit code 3; the last lines of its stderr:");
    expect(lines.slice(1)).toEqual([
      ...Array.from({ length: 19 }, (_, i) => `line ${i + 12}`),
      "again [secret] and [secret]",
    ]);
    expect(r.stderr).not.toContain("s3cr3t-value");
  });

  it("keep a script whose text holds the heredoc's end word of another script intact", () => {
    const content = "echo PHOENIX_SCRIPT_x\ncat <<'EOF'\nliteral $HOME\nEOF\n";
    const r = run(applicationScript("heredoc", content, []), "absent");
    expect([r.code, r.stdout]).toEqual([0, "PHOENIX_SCRIPT_x\nliteral $HOME\nsetup script heredoc done\n"]);
  });
});
