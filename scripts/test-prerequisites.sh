#!/usr/bin/env bash
# Makes sure the programs the tests drive for real are installed: namespaces (util-linux, iproute2,
# bubblewrap: the netns sandbox's runtime requirement),
# clients (curl, git), and a headless browser for the HTML report test. Run by the Maven build
# before the tests (skipped with -DskipTests); installs with apt-get when run as root, otherwise
# says exactly what to install.
set -euo pipefail

declare -A package_of=(
  [unshare]=util-linux
  [setpriv]=util-linux
  [bwrap]=bubblewrap
  [ip]=iproute2
  [curl]=curl
  [git]=git
  [ssh]=openssh-client
  [chromium]=chromium
  [keytool]=openjdk-17-jdk-headless
  [socat]=socat
  [openssl]=openssl
  [node]=nodejs
  [npm]=npm
  [python3]=python3
)

here=$(cd "$(dirname "$0")" && pwd)
docker_env() {
  # The container backend's tests need a Docker engine and local images (made with debootstrap).
  if [ "$(id -u)" -eq 0 ]; then
    bash "$here/docker-test-env.sh"
  elif ! docker info >/dev/null 2>&1; then
    echo "test prerequisites: no Docker engine; as root run scripts/docker-test-env.sh" >&2
    exit 1
  fi
}

missing=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  docker_env
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test prerequisites: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  docker_env
  exit 0
fi
echo "test prerequisites missing: ${missing[*]}; install them (e.g. sudo apt-get install ${missing[*]}) and run again" >&2
exit 1
