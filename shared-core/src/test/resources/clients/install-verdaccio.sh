#!/bin/sh
# Installs the verdaccio npm registry (used by the clients tests) into a cache directory, once.
# Idempotent: exits at once when the installed version is already there.
# verdaccio 6.10+ wants Node 22; 6.8.0 runs on Node 20 once node-fetch is pinned to 2.7.0.
# Usage: install-verdaccio.sh [DIR]   (default /var/cache/taskbound/verdaccio)
set -eu
dir=${1:-/var/cache/taskbound/verdaccio}
version=6.8.0
bin="$dir/node_modules/.bin/verdaccio"
if [ -x "$bin" ] && [ -f "$dir/.installed-$version" ]; then
  exit 0
fi
mkdir -p "$dir"
cat > "$dir/package.json" <<JSON
{
  "name": "taskbound-test-verdaccio",
  "private": true,
  "dependencies": { "verdaccio": "$version" },
  "overrides": { "node-fetch": "2.7.0" }
}
JSON
cd "$dir"
npm install --no-audit --no-fund --loglevel=error >install.log 2>&1 || { cat install.log >&2; exit 1; }
touch "$dir/.installed-$version"
