#!/usr/bin/env bash
# Runs pgfleet's tests with node's test runner: unit tests (pure logic) and
# integration tests (real etcd, Patroni and PostgreSQL on loopback).
# Usage: scripts/test.sh [unit|integration|all] [extra test files...]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
shift || true

files=()
if [ $# -gt 0 ]; then
  files=("$@")
else
  case "$which" in
    unit) mapfile -t files < <(find test/unit -name '*.test.ts' | sort) ;;
    integration) mapfile -t files < <(find test/integration -name '*.test.ts' | sort) ;;
    all) mapfile -t files < <(find test/unit test/integration -name '*.test.ts' | sort) ;;
    *) echo "usage: scripts/test.sh [unit|integration|all] [files...]" >&2; exit 2 ;;
  esac
fi

# Sources, tests and benchmarks are type-checked and format-checked first (tsx runs tests without checking types).
# The layer rules (.dependency-cruiser.cjs) run as test/unit/architecture/layer-rules.test.ts.
if [ $# -eq 0 ] && [ "$which" = all ]; then
  npx --no-install tsc -p tsconfig.json --noEmit
  npx --no-install prettier --check --log-level warn "src/**/*.ts" "test/**/*.ts" "bench/**/*.ts" "scripts/**/*.ts" .dependency-cruiser.cjs
fi

# Two files at a time: integration files spend most of their time waiting on
# Patroni's loops and etcd, each in its own lab (own ports, own directory).
concurrency=2

exec node --import tsx --test --test-concurrency="$concurrency" --test-timeout=600000 \
  --test-reporter=spec "${files[@]}"
