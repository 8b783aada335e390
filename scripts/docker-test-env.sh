#!/usr/bin/env bash
# Prepares a Docker engine and the local images the container-backend tests use, with no image
# registry: no registry is reachable on CI machines, so every image is built from a Debian base made
# here with debootstrap.
#
#   1. dockerd: installs Debian's docker.io when no dockerd exists (root, apt-get), starts it when
#      no engine answers, with --bridge=none --iptables=false --ip6tables=false (containers get
#      --network none or container:<id> only), and waits (bounded) for 'docker info'.
#   2. taskbound/debian-base:bookworm: debootstrap --variant=minbase from the mirror apt already
#      uses, imported with 'docker import'. The rootfs tarball is cached in
#      /var/cache/taskbound/, so a second run skips debootstrap.
#   3. taskbound/forwarder:17: the base plus this host's Java runtime (copied from the host: the
#      build needs no network), for the container backend's forwarder.
#
# Idempotent: each step is skipped when its result exists. Prints what it does and how long it took.
# Must run as root (it starts a daemon and installs packages).
#
# Overridable, so a check can run it from an empty state without touching the suite's images
# (.ci/run does, with a scratch cache and a tag prefix of its own): TASKBOUND_CACHE_DIR (the rootfs
# cache), TASKBOUND_BASE_IMAGE, TASKBOUND_FORWARDER_IMAGE (the two image names, with their tags).
#
# No pipeline here may end in (or contain) a reader that exits before its input ends (head, grep -q,
# ...): under pipefail the writer's SIGPIPE fails the script (exit 141), on the first run only.
set -euo pipefail

CACHE_DIR=${TASKBOUND_CACHE_DIR:-/var/cache/taskbound}
SUITE=bookworm
BASE_IMAGE=${TASKBOUND_BASE_IMAGE:-taskbound/debian-base:$SUITE}
FORWARDER_IMAGE=${TASKBOUND_FORWARDER_IMAGE:-taskbound/forwarder:17}
ROOTFS_TAR=$CACHE_DIR/debian-$SUITE-minbase.tar
DOCKERD_LOG=/var/log/taskbound-dockerd.log
DATA_ROOT=/var/lib/docker
START_WAIT_SECONDS=60

started=$SECONDS
say() { echo "docker-test-env: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (starts dockerd, installs packages)"
export DEBIAN_FRONTEND=noninteractive

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- 1. the engine ---------------------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1; then
  apt_install docker.io
fi
command -v docker >/dev/null 2>&1 || die "no docker CLI after installing docker.io"

if docker info >/dev/null 2>&1; then
  say "a Docker engine already answers; not starting another"
else
  say "starting dockerd (--bridge=none --iptables=false --ip6tables=false, data root $DATA_ROOT, log $DOCKERD_LOG)"
  mkdir -p "$DATA_ROOT"
  # A dockerd that was killed (e.g. at the end of an earlier CI run) leaves its pid file behind,
  # and a new one refuses to start while it exists.
  pidfile=/var/run/docker.pid
  if [ -f "$pidfile" ]; then
    old=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$old" ] && [ "$(cat /proc/"$old"/comm 2>/dev/null || true)" = dockerd ]; then
      die "dockerd (pid $old) is running but does not answer; see $DOCKERD_LOG"
    fi
    say "removing the stale $pidfile (pid ${old:-none} is not a running dockerd)"
    rm -f "$pidfile"
  fi
  # setsid: the daemon outlives this script (and the CI step that ran it) in its own session.
  setsid dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --data-root "$DATA_ROOT" --host unix:///var/run/docker.sock >>"$DOCKERD_LOG" 2>&1 </dev/null &
  for ((i = 0; i < START_WAIT_SECONDS * 2; i++)); do
    docker info >/dev/null 2>&1 && break
    kill -0 $! 2>/dev/null || { tail -n 20 "$DOCKERD_LOG" >&2; die "dockerd exited; see $DOCKERD_LOG"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -n 20 "$DOCKERD_LOG" >&2; die "dockerd did not answer within ${START_WAIT_SECONDS}s; see $DOCKERD_LOG"; }
  say "dockerd is up ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}'))"
fi

# --- 2. the base image -----------------------------------------------------------------------
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  say "$BASE_IMAGE exists"
else
  if [ ! -s "$ROOTFS_TAR" ]; then
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    # The first deb URI apt uses for Debian (deb822 sources or the classic sources.list). One awk
    # reads the files itself and stops at the first match: no pipe for an early exit to break.
    first_uri() { # KEY FILE...: the first URI on a KEY line that is not the security archive
      local key=$1; shift
      [ $# -gt 0 ] || return 0 # awk with no file would read stdin
      awk -v key="$key" '$1 == key { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\// && $i !~ /-security/) { print $i; exit } }' \
        "$@" 2>/dev/null || true
    }
    shopt -s nullglob
    mirror=$(first_uri URIs: /etc/apt/sources.list.d/*.sources)
    [ -n "$mirror" ] || mirror=$(first_uri deb /etc/apt/sources.list)
    shopt -u nullglob
    [ -n "$mirror" ] || die "cannot find apt's Debian mirror in /etc/apt/sources.list{,.d}"
    rootfs=$(mktemp -d /var/tmp/taskbound-rootfs.XXXXXX)
    trap 'rm -rf "$rootfs"' EXIT
    say "debootstrap --variant=minbase $SUITE from $mirror (first run only; cached in $ROOTFS_TAR)"
    t0=$SECONDS
    debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
      || { tail -n 20 "$rootfs.log" >&2; die "debootstrap failed; see $rootfs.log"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    mkdir -p "$CACHE_DIR"
    tar --numeric-owner -C "$rootfs" -cf "$ROOTFS_TAR.part" .
    mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
    rm -rf "$rootfs" "$rootfs.log"
    trap - EXIT
    say "debootstrap took $((SECONDS - t0))s"
  else
    say "using the cached rootfs $ROOTFS_TAR"
  fi
  say "docker import $ROOTFS_TAR as $BASE_IMAGE"
  docker import --change 'CMD ["/bin/bash"]' "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
fi

# --- 3. the forwarder image --------------------------------------------------------------------
if docker image inspect "$FORWARDER_IMAGE" >/dev/null 2>&1; then
  say "$FORWARDER_IMAGE exists"
else
  java_bin=$(readlink -f "$(command -v java)") || die "no java on PATH to copy into $FORWARDER_IMAGE"
  java_home=$(dirname "$(dirname "$java_bin")")
  ctx=$(mktemp -d /var/tmp/taskbound-forwarder.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  # Debian's JDK keeps its configuration in /etc/java-N-openjdk behind symlinks: copy both.
  extra=()
  for d in /etc/java-*-openjdk; do [ -d "$d" ] && extra+=("${d#/}"); done
  say "building $FORWARDER_IMAGE from $BASE_IMAGE + the host's Java runtime $java_home (no network)"
  tar -C / --exclude='jmods' --exclude='src.zip' --exclude='*/man' -cf "$ctx/jre.tar" "${java_home#/}" "${extra[@]}"
  cat >"$ctx/Dockerfile" <<EOF
FROM $BASE_IMAGE
ADD jre.tar /
ENV JAVA_HOME=$java_home PATH=$java_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL dev.taskbound.image=forwarder
EOF
  # The legacy builder: no buildx plugin is needed, and --network none works with it.
  DOCKER_BUILDKIT=0 docker build --network none -q -t "$FORWARDER_IMAGE" "$ctx" >"$ctx.log" 2>&1 \
    || { cat "$ctx.log" >&2; die "building $FORWARDER_IMAGE failed"; }
  rm -f "$ctx.log"
  rm -rf "$ctx"
  trap - EXIT
  # Captured whole, then cut: `| head -n 1` here killed the script with SIGPIPE (exit 141).
  version=$(docker run --rm --network none "$FORWARDER_IMAGE" java -version 2>&1) \
    || { echo "$version" >&2; die "$FORWARDER_IMAGE does not run java"; }
  say "forwarder image runs: ${version%%$'\n'*}"
fi

say "ready in $((SECONDS - started))s: $BASE_IMAGE, $FORWARDER_IMAGE"
