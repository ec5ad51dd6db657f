#!/usr/bin/env bash
# Builds dist/ from src/ (tsc, executable bin, dist/.build-stamp), and only
# when the stamp is older than the sources: npm's `prepare` (run by `npm ci`,
# by a git install such as `npm install -g git+https://...` or
# `npx github:...`, and by `npm pack`/`npm publish`), `prepack` and
# scripts/setup.sh all call it, and only the first of them compiles.
# Usage: scripts/build.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=dist/.build-stamp
if [ "${1:-}" != --force ] && [ -f "$stamp" ] && [ -f dist/cli/main.js ] &&
  [ -z "$(find src templates package.json tsconfig.json tsconfig.build.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  exit 0
fi

echo "pgfleet: building dist/" >&2
# The project's own TypeScript (a devDependency), never whatever tsc is on PATH.
node_modules/.bin/tsc -p tsconfig.build.json >&2
chmod +x dist/cli/main.js
touch "$stamp"
