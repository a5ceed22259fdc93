/**
 * The scripts that put the gateways' files on their guests over SSH (`@pulumi/command` runs each one again only
 * when its text changes). A configuration script installs its server from the distribution when missing, writes the
 * file only when its content differs, lets the server check it (`nginx -t`, `dnsmasq --test`) and keeps the previous
 * file when the check fails, then reloads. A certificate script writes keys with mode 0600 and reloads the server
 * that uses them when it runs. Pure functions; every value is single-quoted.
 */
import * as crypto from "node:crypto";
import { PRELUDE, q } from "../guest/scripts";

/** A file to put on a guest. */
export interface GuestFile {
  readonly path: string;
  readonly content: string;
  /** Octal mode; 0644 unless given (0600 for private keys). */
  readonly mode?: string;
}

/** The prelude of a script that installs nothing: strict mode and sudo, without apt. */
const NO_APT = PRELUDE.filter((l) => !l.startsWith("APT=") && !l.startsWith("export DEBIAN_FRONTEND"));

function heredoc(target: string, content: string): string[] {
  const tag = `PHOENIX_FILE_${crypto.createHash("sha256").update(content).digest("hex").slice(0, 16)}`;
  return [`cat > ${target} <<'${tag}'`, content.endsWith("\n") ? content.slice(0, -1) : content, tag];
}

function dirname(p: string): string {
  return p.slice(0, p.lastIndexOf("/")) || "/";
}

/** Lines that write each file (through a temporary file, then `install` with its mode); `changed=1` if any differed. */
function writeFiles(files: readonly GuestFile[]): string[] {
  const lines = ["changed=0", "tmp=$(mktemp); trap 'rm -f \"$tmp\"' EXIT"];
  for (const f of files) {
    const mode = f.mode ?? "0644";
    lines.push(
      ...heredoc('"$tmp"', f.content),
      `if ! $SUDO cmp -s "$tmp" ${q(f.path)}; then`,
      `  $SUDO install -d -m 0755 ${q(dirname(f.path))}`,
      `  $SUDO install -m ${mode} "$tmp" ${q(f.path)}`,
      "  changed=1",
      "fi",
    );
  }
  return lines;
}

/** Installs a Debian package when its program (in /usr/sbin) is missing. */
function install(pkg: string, program: string): string[] {
  return [
    `if [ ! -x /usr/sbin/${program} ]; then`,
    '  $APT update || fail "apt-get update failed (exit $?)"',
    `  $APT install -y ${pkg} || fail "installing ${pkg} failed (exit $?)"`,
    "fi",
  ];
}

/** `systemctl reload` (or `restart`) the unit when it runs, else start it; enabled either way. */
function activate(unit: string, how: "reload" | "restart"): string[] {
  return [
    `$SUDO systemctl enable ${unit} >/dev/null 2>&1 || true`,
    `if $SUDO systemctl is-active --quiet ${unit}; then`,
    `  if [ "$changed" -eq 1 ]; then $SUDO systemctl ${how} ${unit} || ` +
      `fail "systemctl ${how} ${unit} failed (exit $?)"; fi`,
    `else`,
    `  $SUDO systemctl start ${unit} || fail "starting ${unit} failed (exit $?); see journalctl -u ${unit}"`,
    "fi",
  ];
}

/**
 * A server's configuration file: install the package, write the file, check it with `check` (the previous file is
 * put back when it fails, and the step fails with the checker's output), then reload or restart the unit.
 */
export function configScript(opts: {
  readonly what: string;
  readonly pkg: string;
  readonly command: string;
  readonly unit: string;
  readonly file: GuestFile;
  readonly check: string;
  readonly how: "reload" | "restart";
}): string {
  const f = opts.file;
  const done = opts.how === "reload" ? "reloaded" : "restarted";
  return (
    [
      ...PRELUDE,
      `fail() { echo ${q(`${opts.what}:`)} "$1" >&2; exit 1; }`,
      ...install(opts.pkg, opts.command),
      "backup=$(mktemp)",
      `had=0; if [ -f ${q(f.path)} ]; then $SUDO cp ${q(f.path)} "$backup"; had=1; fi`,
      ...writeFiles([f]),
      'if [ "$changed" -eq 1 ]; then',
      `  if ! out=$($SUDO ${opts.check} 2>&1); then`,
      `    if [ "$had" -eq 1 ]; then $SUDO install -m 0644 "$backup" ${q(f.path)}; else $SUDO rm -f ${q(f.path)}; fi`,
      '    rm -f "$backup"',
      `    fail "${opts.check.split(" ")[0]} refused the new configuration, the previous one is kept: $out"`,
      "  fi",
      "fi",
      'rm -f "$backup"',
      ...activate(opts.unit, opts.how),
      `if [ "$changed" -eq 1 ]; then echo ${q(`${opts.what}: ${f.path} written and ${opts.unit} ${done}`)}; ` +
        `else echo ${q(`${opts.what}: ${f.path} unchanged`)}; fi`,
    ].join("\n") + "\n"
  );
}

/** The Nginx gateway's configuration (Debian's nginx, checked with `nginx -t`, reloaded). */
export function nginxConfigScript(file: GuestFile): string {
  return configScript({
    what: "nginx gateway",
    pkg: "nginx",
    command: "nginx",
    unit: "nginx",
    file,
    check: "nginx -t",
    how: "reload",
  });
}

/** dnsmasq's configuration (Debian's dnsmasq reads `/etc/dnsmasq.d`; checked with `dnsmasq --test`, restarted). */
export function dnsmasqConfigScript(file: GuestFile): string {
  return configScript({
    what: "dnsmasq",
    pkg: "dnsmasq",
    command: "dnsmasq",
    unit: "dnsmasq",
    file,
    check: "dnsmasq --test --conf-dir=/etc/dnsmasq.d,.dpkg-dist,.dpkg-old,.dpkg-new",
    how: "restart",
  });
}

/**
 * Traefik's dynamic configuration: written next to its final name and renamed into the watched directory, so the
 * file provider never reads half a file (it loads only `.yml`, `.yaml` and `.toml` files). It was checked against
 * the schema before the program wrote this script.
 */
export function traefikConfigScript(file: GuestFile): string {
  const next = `${dirname(file.path)}/.${file.path.slice(file.path.lastIndexOf("/") + 1)}.next`;
  return (
    [
      ...NO_APT,
      `$SUDO install -d -m 0755 ${q(dirname(file.path))}`,
      "tmp=$(mktemp); trap 'rm -f \"$tmp\"' EXIT",
      ...heredoc('"$tmp"', file.content),
      `if $SUDO cmp -s "$tmp" ${q(file.path)}; then echo ${q(`traefik gateway: ${file.path} unchanged`)}; exit 0; fi`,
      `$SUDO install -m 0644 "$tmp" ${q(next)}`,
      `$SUDO mv -f ${q(next)} ${q(file.path)}`,
      `echo ${q(`traefik gateway: ${file.path} written; Traefik's file provider reloads it`)}`,
    ].join("\n") + "\n"
  );
}

/**
 * Certificates and keys for a guest: each written with its mode (keys 0600), then `after` runs when any changed
 * (e.g. reload Nginx when it is running and its configuration passes). Holds private keys: a secret.
 */
export function certificatesScript(what: string, files: readonly GuestFile[], after: readonly string[] = []): string {
  return (
    [
      ...NO_APT,
      `fail() { echo ${q(`${what}:`)} "$1" >&2; exit 1; }`,
      ...writeFiles(files),
      ...(after.length > 0 ? ['if [ "$changed" -eq 1 ]; then', ...after.map((l) => `  ${l}`), "fi"] : []),
      `if [ "$changed" -eq 1 ]; then echo ${q(`${what}: certificates written`)}; ` +
        `else echo ${q(`${what}: certificates unchanged`)}; fi`,
    ].join("\n") + "\n"
  );
}

/** After the gateway's certificates change: reload Nginx if it runs and accepts its configuration. */
export const RELOAD_NGINX_IF_RUNNING = [
  "if $SUDO systemctl is-active --quiet nginx; then",
  '  if ! $SUDO nginx -t >/dev/null 2>&1; then fail "nginx refused the new certificates"; fi',
  '  $SUDO systemctl reload nginx || fail "systemctl reload nginx failed (exit $?)"',
  "fi",
];
