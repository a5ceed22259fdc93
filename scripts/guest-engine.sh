#!/usr/bin/env bash
# The real-guest test environment (../shared/docker/ENGINE.md): a private Docker engine on its own socket and
# the Debian 12 guest image (systemd, sshd, apt) that `npm run test:guests` boots guests from.
#
#   scripts/guest-engine.sh start   install docker.io and debootstrap when missing, start the engine, build
#                                   the image (its rootfs cached outside the clone by a hash of the recipe),
#                                   create the guests' network; writes $STATE_DIR/env.json for the tests
#   scripts/guest-engine.sh stop    stop the engine this script started (by its pid file), nothing else
#
# Needs root (apt, dockerd). Settings: PHOENIX_GUEST_ENGINE_DIR (default /var/tmp/phoenix-guest-engine),
# PHOENIX_GUEST_CACHE (default /var/cache/phoenix-guests), PHOENIX_GUEST_SUBNET (default 10.77.0.0/24; its
# addresses exist only on this machine, on the engine's bridge).
set -euo pipefail

STATE_DIR="${PHOENIX_GUEST_ENGINE_DIR:-/var/tmp/phoenix-guest-engine}"
CACHE_DIR="${PHOENIX_GUEST_CACHE:-/var/cache/phoenix-guests}"
SOCK="$STATE_DIR/docker.sock"
NETWORK=phoenix-guests
SUBNET="${PHOENIX_GUEST_SUBNET:-10.77.0.0/24}"
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
PACKAGES=openssh-server,systemd,systemd-sysv,dbus,iproute2,ca-certificates,curl,gnupg,sudo,procps
# The rootfs is cached by a hash of the debootstrap recipe; the image by that and the customisation below.
ROOTFS_RECIPE="debootstrap --variant=minbase --include=$PACKAGES $SUITE $MIRROR; / 0755"
# What the image holds besides the packages: host keys made at each guest's first boot (every guest its
# own), an empty machine id, and vfs for a Docker engine inside the guest (overlay does not nest here).
CUSTOMISE='set -e
chmod 755 /
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/systemd/system/ssh.service.d /etc/docker /root/.ssh
printf "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n" > /etc/systemd/system/ssh.service.d/host-keys.conf
echo "{\"storage-driver\": \"vfs\"}" > /etc/docker/daemon.json
chmod 700 /root/.ssh
: > /etc/machine-id'
ROOTFS_HASH=$(printf '%s' "$ROOTFS_RECIPE" | sha256sum | cut -c1-12)
HASH=$(printf '%s\n%s' "$ROOTFS_RECIPE" "$CUSTOMISE" | sha256sum | cut -c1-12)
IMAGE="phoenix-guest:$SUITE-$HASH"

log() { printf 'guest-engine: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

docker_() { docker -H "unix://$SOCK" "$@"; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages with apt and starts dockerd); run it with sudo"
}

install_missing() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

engine_running() {
  [ -f "$STATE_DIR/pid" ] && kill -0 "$(cat "$STATE_DIR/pid")" 2>/dev/null && docker_ info >/dev/null 2>&1
}

start_engine() {
  mkdir -p "$STATE_DIR"
  if engine_running; then
    log "engine already running (pid $(cat "$STATE_DIR/pid"))"
    return
  fi
  local started=$SECONDS
  # No default bridge (docker0): guests use their own network, and two engines must not both claim docker0.
  setsid /usr/sbin/dockerd --data-root "$STATE_DIR/root" --exec-root "$STATE_DIR/exec" -H "unix://$SOCK" \
    --pidfile "$STATE_DIR/pid" --storage-driver vfs --bridge none >"$STATE_DIR/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    if docker_ info >/dev/null 2>&1; then
      log "engine up in $((SECONDS - started)) s (pid $(cat "$STATE_DIR/pid"), socket $SOCK)"
      return
    fi
    sleep 0.5
  done
  tail -n 20 "$STATE_DIR/dockerd.log" >&2 || true
  die "dockerd did not answer within 30 s; its log is $STATE_DIR/dockerd.log"
}

build_image() {
  if docker_ image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present"
    return
  fi
  mkdir -p "$CACHE_DIR"
  local tarball="$CACHE_DIR/debian12-$ROOTFS_HASH.tar" started=$SECONDS
  if [ ! -s "$tarball" ]; then
    local root
    root=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
    log "debootstrap $SUITE into $root (about 40 s)"
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
      || { tail -n 20 "$CACHE_DIR/debootstrap.log" >&2; rm -rf "$root"; die "debootstrap failed; its log is $CACHE_DIR/debootstrap.log"; }
    # mktemp made the folder 0700: the guest's / must be 0755, or no user but root can log in.
    chmod 755 "$root"
    tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$root"
    log "rootfs cached as $tarball in $((SECONDS - started)) s"
  else
    log "rootfs cached: $tarball"
  fi
  started=$SECONDS
  local base="phoenix-guest-rootfs:$ROOTFS_HASH"
  docker_ image inspect "$base" >/dev/null 2>&1 || docker_ import "$tarball" "$base" >/dev/null
  local c
  c=$(docker_ create --network none "$base" /bin/sh -c "$CUSTOMISE")
  docker_ start -a "$c" >/dev/null
  docker_ commit -c 'CMD ["/sbin/init"]' "$c" "$IMAGE" >/dev/null
  docker_ rm "$c" >/dev/null
  log "image $IMAGE built in $((SECONDS - started)) s"
}

create_network() {
  docker_ network inspect "$NETWORK" >/dev/null 2>&1 || docker_ network create --subnet "$SUBNET" "$NETWORK" >/dev/null
}

write_env() {
  printf '{"dockerHost": "unix://%s", "image": "%s", "network": "%s", "subnet": "%s", "pid": %s}\n' \
    "$SOCK" "$IMAGE" "$NETWORK" "$SUBNET" "$(cat "$STATE_DIR/pid")" > "$STATE_DIR/env.json"
  log "ready: $STATE_DIR/env.json"
}

stop_engine() {
  [ -f "$STATE_DIR/pid" ] || { log "no engine started here ($STATE_DIR/pid missing)"; return; }
  local pid
  pid=$(cat "$STATE_DIR/pid")
  if kill -0 "$pid" 2>/dev/null; then
    # Guests first, so that the engine stops promptly.
    docker_ ps -aq --filter label=phoenix.guest | xargs -r docker -H "unix://$SOCK" rm -f >/dev/null 2>&1 || true
    # The network's bridge would outlive the engine and clash with the next engine's.
    docker_ network rm "$NETWORK" >/dev/null 2>&1 || true
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    log "engine (pid $pid) stopped"
  fi
  rm -f "$STATE_DIR/pid" "$STATE_DIR/env.json"
}

case "${1:-}" in
  start) need_root; install_missing; start_engine; build_image; create_network; write_env ;;
  stop) need_root; stop_engine ;;
  *) die "usage: scripts/guest-engine.sh start|stop" ;;
esac
