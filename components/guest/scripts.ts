/**
 * The shell scripts GuestSetup runs over SSH. Pure functions of validated config; every value is
 * single-quoted. Each script is idempotent: run twice, it changes nothing the second time.
 */

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

const PRELUDE = [
  "set -eu",
  'SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"',
  "export DEBIAN_FRONTEND=noninteractive",
];

/** `base_setup`: packages, the QEMU guest agent (VMs), NFS volumes mounted and kept in fstab. */
export function baseSetupScript(kind: "vm" | "lxc", volumes: readonly NfsVolume[]): string {
  const packages = ["ca-certificates", "curl", "gnupg", ...(kind === "vm" ? ["qemu-guest-agent"] : []), ...(volumes.length > 0 ? ["nfs-common"] : [])];
  const lines = [...PRELUDE, "$SUDO apt-get update -q", `$SUDO apt-get install -y -q ${packages.join(" ")}`];
  if (kind === "vm") lines.push("$SUDO systemctl enable --now qemu-guest-agent");
  for (const v of volumes) {
    const source = `${v.server}:${v.path}`;
    const entry = `${source} ${v.mountPoint} nfs defaults,_netdev 0 0`;
    lines.push(
      `$SUDO mkdir -p ${q(v.mountPoint)}`,
      `grep -qs ${q(`^${source} ${v.mountPoint} `)} /etc/fstab || echo ${q(entry)} | $SUDO tee -a /etc/fstab >/dev/null`,
      `mountpoint -q ${q(v.mountPoint)} || $SUDO mount ${q(v.mountPoint)}`,
    );
  }
  lines.push('echo "base_setup done"');
  return lines.join("\n") + "\n";
}

/** `docker`: Docker Engine from Docker's apt repository, enabled, the SSH user in the docker group. */
export function dockerScript(): string {
  return [
    ...PRELUDE,
    "if ! command -v docker >/dev/null 2>&1; then",
    "  . /etc/os-release",
    "  $SUDO install -m 0755 -d /etc/apt/keyrings",
    '  curl -fsSL "https://download.docker.com/linux/${ID}/gpg" | $SUDO gpg --dearmor --yes -o /etc/apt/keyrings/docker.gpg',
    '  echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/${ID} ${VERSION_CODENAME} stable" | $SUDO tee /etc/apt/sources.list.d/docker.list >/dev/null',
    "  $SUDO apt-get update -q",
    "  $SUDO apt-get install -y -q docker-ce docker-ce-cli containerd.io docker-compose-plugin",
    "fi",
    "$SUDO systemctl enable --now docker",
    '[ "$(id -u)" -eq 0 ] || $SUDO usermod -aG docker "$(id -un)"',
    "$SUDO docker version --format 'docker {{.Server.Version}}'",
  ].join("\n") + "\n";
}
