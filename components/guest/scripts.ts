/**
 * The shell scripts GuestSetup runs over SSH. Pure functions of validated config; every value is
 * single-quoted. Each script is idempotent: run twice, it changes nothing the second time.
 */

import * as crypto from "node:crypto";

/** An NFS volume to mount and keep in fstab. */
export interface NfsVolume {
  readonly server: string;
  readonly path: string;
  readonly mountPoint: string;
}

/** Single-quotes a value for sh. */
export function q(v: string): string {
  return `'${v.replace(/'/g, `'"'"'`)}'`;
}

/**
 * How long apt waits for another apt or dpkg (cloud-init's first-boot upgrade, unattended-upgrades) to let go of the
 * lock.
 */
export const DPKG_LOCK_TIMEOUT_S = 600;

/** How long base_setup waits for cloud-init to finish its first boot (package upgrades included). */
export const CLOUD_INIT_TIMEOUT_S = 1200;

/** The start of every setup script: strict mode, sudo when not root, apt that waits for the dpkg lock. */
export const PRELUDE = [
  "set -eu",
  'SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"',
  "export DEBIAN_FRONTEND=noninteractive",
  `APT="$SUDO apt-get -q -o DPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S}"`,
];

/**
 * Proxmox's cloud-init upgrades packages on first boot (CONTRACT.md section 2, `package_upgrade`) while SSH
 * already answers: wait for it to finish before apt runs. Exit 2 is "done, with recoverable errors".
 */
const WAIT_FOR_CLOUD_INIT = [
  "if command -v cloud-init >/dev/null 2>&1; then",
  "  rc=0",
  `  timeout ${CLOUD_INIT_TIMEOUT_S} cloud-init status --wait >/dev/null 2>&1 || rc=$?`,
  "  case $rc in",
  "    0|2) ;;",
  `    124) echo "base_setup: cloud-init has not finished after ` +
    `${CLOUD_INIT_TIMEOUT_S} s; see cloud-init status --long" >&2; exit 1 ;;`,
  '    *) echo "base_setup: cloud-init reported errors (cloud-init status ' +
    'exit $rc); continuing, see /var/log/cloud-init.log" >&2 ;;',
  "  esac",
  "fi",
];

/** `base_setup`: packages, the QEMU guest agent (VMs), NFS volumes mounted and kept in fstab. */
export function baseSetupScript(kind: "vm" | "lxc", volumes: readonly NfsVolume[]): string {
  const packages = [
    "ca-certificates",
    "curl",
    "gnupg",
    ...(kind === "vm" ? ["qemu-guest-agent"] : []),
    ...(volumes.length > 0 ? ["nfs-common"] : []),
  ];
  const lines = [...PRELUDE, ...WAIT_FOR_CLOUD_INIT, "$APT update", `$APT install -y ${packages.join(" ")}`];
  // The agent's unit is bound to the virtio port Proxmox adds only with `agent: true`: without it, starting
  // the unit waits for the device and fails. Enabled, it starts whenever the port appears (after a reboot).
  if (kind === "vm") {
    lines.push(
      "$SUDO systemctl enable qemu-guest-agent >/dev/null 2>&1 || true",
      "if [ -e /dev/virtio-ports/org.qemu.guest_agent.0 ]; then $SUDO systemctl start qemu-guest-agent; fi",
    );
  }
  for (const v of volumes) {
    const source = `${v.server}:${v.path}`;
    const entry = `${source} ${v.mountPoint} nfs defaults,_netdev 0 0`;
    lines.push(
      `$SUDO mkdir -p ${q(v.mountPoint)}`,
      `grep -qs ${q(`^${source} ${v.mountPoint} `)} /etc/fstab || echo ` +
        `${q(entry)} | $SUDO tee -a /etc/fstab >/dev/null`,
      `mountpoint -q ${q(v.mountPoint)} || $SUDO mount ${q(v.mountPoint)}`,
    );
  }
  lines.push('echo "base_setup done"');
  return lines.join("\n") + "\n";
}

/** Docker's apt repository line, as the docker script writes it (the shell fills in the architecture and release). */
export const DOCKER_APT_SOURCE =
  "deb [arch=$(dpkg --print-architecture) " +
  "signed-by=/etc/apt/keyrings/docker.gpg] " +
  "https://download.docker.com/linux/${ID} ${VERSION_CODENAME} stable";

/**
 * `docker`: Docker Engine, enabled, the SSH user in the docker group. From Docker's apt repository
 * (`docker`, the default: docker-ce and the compose plugin) or the distribution's packages (`debian`:
 * docker.io and docker-compose). Each step that can fail says which step and why; a key that cannot be
 * fetched leaves no repository behind (apt would refuse to update with an unsigned source).
 */
export function dockerScript(source: "docker" | "debian" = "docker"): string {
  const install =
    source === "debian"
      ? [
          '  $APT update || fail "apt-get update failed (exit $?)"',
          '  $APT install -y docker.io docker-compose || fail "installing docker.io ' +
            'and docker-compose failed (exit $?)"',
        ]
      : [
          "  # shellcheck source=/dev/null",
          "  . /etc/os-release",
          "  $SUDO install -m 0755 -d /etc/apt/keyrings",
          "  key=$(mktemp)",
          '  curl -fsSL --max-time 60 "https://download.docker.com/linux/${ID}/gpg" -o "$key" \\',
          "    || fail \"fetching Docker's apt key from " +
            "https://download.docker.com/linux/${ID}/gpg failed (curl exit $?): " +
            "download.docker.com is not reachable from this guest; set docker_source: " +
            "debian to install the distribution's docker.io\"",
          '  $SUDO gpg --dearmor --yes -o /etc/apt/keyrings/docker.gpg < "$key" || ' +
            'fail "Docker\'s apt key is not a valid key (gpg exit $?)"',
          '  rm -f "$key"',
          `  echo "${DOCKER_APT_SOURCE}" | $SUDO tee /etc/apt/sources.list.d/docker.list >/dev/null`,
          '  $APT update || fail "apt-get update with Docker\'s repository failed (exit $?)"',
          "  $APT install -y docker-ce docker-ce-cli containerd.io " +
            'docker-compose-plugin || fail "installing docker-ce failed (exit $?)"',
        ];
  return (
    [
      ...PRELUDE,
      'fail() { echo "docker: $1" >&2; exit 1; }',
      "if ! command -v docker >/dev/null 2>&1; then",
      ...install,
      "fi",
      '$SUDO systemctl enable --now docker || fail "starting the docker service failed (exit $?)"',
      '[ "$(id -u)" -eq 0 ] || $SUDO usermod -aG docker "$(id -un)"',
      "$SUDO docker version --format 'docker {{.Server.Version}}'",
    ].join("\n") + "\n"
  );
}

/** An application script's variable: its value, and whether it is a secret (kept out of failure messages). */
export interface ScriptEnv {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
}

/** How many lines of a failed script's stderr its failure message shows. */
export const STDERR_TAIL_LINES = 20;

/**
 * An application script (`setup_scripts`, the seeds' "Run Application Script"), run as the SSH user with its
 * env. Its stderr is kept; on failure the step fails with the script's name, exit code and the last lines
 * of its stderr, with every secret value replaced by `[secret]`. A script with a `#!` line runs with that
 * interpreter, any other with sh.
 */
export function applicationScript(name: string, content: string, env: readonly ScriptEnv[]): string {
  const tag = `PHOENIX_SCRIPT_${crypto.createHash("sha256").update(content).digest("hex").slice(0, 16)}`;
  const secrets = env.filter((e) => e.secret).map((e) => e.name);
  return (
    [
      "set -u",
      ...env.map((e) => `export ${e.name}=${q(e.value)}`),
      "dir=$(mktemp -d); trap 'rm -rf \"$dir\"' EXIT",
      `cat > "$dir/script" <<'${tag}'`,
      content.endsWith("\n") ? content.slice(0, -1) : content,
      tag,
      'chmod 700 "$dir/script"',
      "rc=0",
      'if head -n 1 "$dir/script" | grep -q "^#!"; then "$dir/script" ' +
        '2>"$dir/stderr" || rc=$?; else sh "$dir/script" 2>"$dir/stderr" || ' +
        "rc=$?; fi",
      `if [ "$rc" -ne 0 ]; then`,
      `  echo ${q(`setup script ${name} failed with exit code`)} "$rc; the last lines of its stderr:" >&2`,
      `  tail -n ${STDERR_TAIL_LINES} "$dir/stderr" | awk -v ` +
        `names=${q(secrets.join(" "))} 'BEGIN { n = split(names, v, " ") } { line ` +
        `= $0; for (i = 1; i <= n; i++) { s = ENVIRON[v[i]]; if (s == "") ` +
        `continue; out = ""; while ((p = index(line, s)) > 0) { out = out ` +
        `substr(line, 1, p - 1) "[secret]"; line = substr(line, p + length(s)) } ` +
        `line = out line } print line }' >&2`,
      '  exit "$rc"',
      "fi",
      'cat "$dir/stderr" >&2',
      `echo ${q(`setup script ${name} done`)}`,
    ].join("\n") + "\n"
  );
}

/**
 * The health checks after a guest's setup (the seeds' "Health Checks"): SSH answers (this runs over it),
 * systemd has finished starting (`running`, or `degraded` with the failed units named), and Docker is active
 * when the guest has the feature. A failed check names the guest and the check.
 */
export function healthScript(guest: string, docker: boolean): string {
  const g = q(guest);
  return (
    [
      "set -u",
      `fail() { echo "health of "${g}": $1" >&2; exit 1; }`,
      "state=$(timeout 120 systemctl is-system-running --wait 2>/dev/null || true)",
      'case "$state" in',
      "  running) ;;",
      `  degraded) echo "health of "${g}": systemd is degraded; failed units: ` +
        `$(systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\\n' ' ` +
        `')" >&2 ;;`,
      '  *) fail "systemd is ${state:-not answering} (not running or degraded after 120 s)" ;;',
      "esac",
      ...(docker
        ? ['systemctl is-active --quiet docker || fail "docker is $(systemctl is-active docker), not active"']
        : []),
      `echo "health of "${g}": ok ($state)"`,
    ].join("\n") + "\n"
  );
}

/** How long the agent's health check waits for the agent to answer on its port. */
export const AGENT_WAIT_S = 120;

/** The health check after the Portainer agent starts: its port answers on the guest, within {@link AGENT_WAIT_S}. */
export function agentHealthScript(guest: string, port: number): string {
  const g = q(guest);
  return (
    [
      "set -u",
      `i=0; while [ "$i" -lt ${AGENT_WAIT_S / 2} ]; do`,
      `  if bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}' 2>/dev/null; then echo ` +
        `"health of "${g}": the Portainer agent answers on ${port}"; exit 0; fi`,
      "  i=$((i + 1)); sleep 2",
      "done",
      `echo "health of "${g}": the Portainer agent does not answer on port ` +
        `${port} after ${AGENT_WAIT_S} s (docker ps -a shows its container)" >&2`,
      "exit 1",
    ].join("\n") + "\n"
  );
}

/** One step of a guest's setup: a feature's script, run over SSH. */
export interface SetupStep {
  /** `base_setup`, `docker`, `script:<name>` or `health`. */
  readonly name: string;
  readonly script: string;
  /** True when the script holds a secret value (an application script's secret env). */
  readonly secret: boolean;
}

/** A guest's setup steps, in order: what GuestSetup runs and `plan` prints. */
export function setupSteps(g: {
  readonly name: string;
  readonly kind: "vm" | "lxc";
  readonly features: readonly string[];
  readonly volumes: readonly NfsVolume[];
  readonly dockerSource: "docker" | "debian";
  readonly scripts: readonly { readonly name: string; readonly content: string; readonly env: readonly ScriptEnv[] }[];
}): SetupStep[] {
  const steps: SetupStep[] = [];
  if (g.features.includes("base_setup"))
    steps.push({ name: "base_setup", script: baseSetupScript(g.kind, g.volumes), secret: false });
  if (g.features.includes("docker"))
    steps.push({ name: "docker", script: dockerScript(g.dockerSource), secret: false });
  for (const s of g.scripts)
    steps.push({
      name: `script:${s.name}`,
      script: applicationScript(s.name, s.content, s.env),
      secret: s.env.some((e) => e.secret),
    });
  if (steps.length > 0)
    steps.push({ name: "health", script: healthScript(g.name, g.features.includes("docker")), secret: false });
  return steps;
}
