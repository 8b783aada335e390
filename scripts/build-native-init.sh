#!/usr/bin/env bash
# Compiles the netns sandbox's native init (shared-core/src/main/c/taskbound-init.c) into
# OUT_DIR/dev/taskbound/core/sandbox/taskbound-init-<arch>, a static executable the jar carries as a
# resource (NativeInit). Run by the Maven build (generate-resources). Static, so a jar built here runs
# on hosts with another C library; no build id and source paths mapped, so the same compiler gives
# the same bytes. It builds the terminal relay (taskbound-tty.c) the same way, into
# OUT_DIR/dev/taskbound/core/cli/taskbound-tty-<arch> (TerminalRelay: `run`'s prompt on its terminal).
# Without a C compiler (or a static C library) it says so and the jar goes without:
# the sandbox then starts the JVM init instead (slower, and dumpable; the evidence records which).
#
# A build that cannot make one also removes the earlier build's copy from OUT_DIR and from
# CLASSES_DIR (where Maven's resources step copied it, and where the jar is packed from): an older
# init may speak an older protocol than the JVM side, and every native start would then fail
# instead of falling back to the JVM init.
#
#   scripts/build-native-init.sh OUT_DIR [CLASSES_DIR]
set -euo pipefail
out=${1:?usage: build-native-init.sh OUT_DIR [CLASSES_DIR]}
classes=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
src=$here/shared-core/src/main/c/taskbound-init.c
arch=$(uname -m)
case $arch in
  x86_64|aarch64) ;;
  *) echo "[WARNING] native init: no build for $arch (x86_64 and aarch64 only); the sandbox uses the JVM init" >&2; exit 0 ;;
esac
# without REL: the jar goes without REL, built now or copied into CLASSES_DIR by an earlier build
without() {
  rm -f "$out/$1"
  if [ -n "$classes" ]; then rm -f "$classes/$1"; fi
}
# build SOURCE REL NOTE: compiles one static executable into OUT_DIR/REL, unless it is newer than
# SOURCE and this script
build() {
  local src=$1 rel=$2 target=$out/$2 name
  name=$(basename "$src" .c)
  if [ -f "$target" ] && [ "$target" -nt "$src" ] && [ "$target" -nt "$0" ]; then
    return 0
  fi
  mkdir -p "$(dirname "$target")"
  tmp=$(mktemp "$(dirname "$target")/.$name.XXXXXX")
  if ! LC_ALL=C "$cc" -std=c11 -Os -Wall -Wextra -Werror -static -s -ffile-prefix-map="$here"=. \
      -Wl,--build-id=none -o "$tmp" "$src"; then
    rm -f "$tmp"
    tmp=
    without "$rel"
    echo "[WARNING] native $name: '$cc' could not build it (a static C library is needed: libc6-dev);" \
      "the jar goes without it (${3})" >&2
    return 0
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$target"
  tmp=
}
tmp=
trap 'if [ -n "$tmp" ]; then rm -f "$tmp"; fi' EXIT # a build interrupted midway leaves no temporary file
init=dev/taskbound/core/sandbox/taskbound-init-$arch
relay=dev/taskbound/core/cli/taskbound-tty-$arch
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[WARNING] native init: no C compiler ('$cc'); the jar goes without it and the sandbox uses the JVM init" \
    "(install gcc and libc6-dev for the fast, non-dumpable one), and run prompts for no approval on its terminal" >&2
  without "$init"
  without "$relay"
  exit 0
fi
build "$src" "$init" "the sandbox uses the JVM init"
build "$here/shared-core/src/main/c/taskbound-tty.c" "$relay" "run prompts for no approval on its terminal"
