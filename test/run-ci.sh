#!/bin/sh
# `npm run test:ci`, what CI runs (.ci/run) after .ci/install: a clean build,
# then the Node tests on every supported Node line (20, 22, 24), the Python
# host's unit tests and a smoke test on every CPython 3.8-3.13, and the
# shared conformance suite on the newest Node. A missing Node line, CPython
# or conformance suite fails the run. Every step runs even after a failure,
# so one run shows everything that is broken; the summary lists them.
#
# Node binaries: $YIMMO_TEST_NODES (space-separated), else node on PATH plus
# the node@22 and node@24 npm packages that .ci/install puts in .ci/node22
# and .ci/node24.
set -u
cd "$(dirname "$0")/.."
NODES=${YIMMO_TEST_NODES:-"$(command -v node || echo node) .ci/node22/node_modules/.bin/node .ci/node24/node_modules/.bin/node"}
REQUIRED_LINES="20 22 24"
failed=""
started=$(date +%s)

step() { # name command...: runs a step, records a failure
  name=$1; shift
  t0=$(date +%s)
  echo "=== $name"
  if "$@"; then echo "=== $name: ok ($(( $(date +%s) - t0 )) s)"
  else echo "=== $name: FAILED ($(( $(date +%s) - t0 )) s)"; failed="$failed
  - $name"; fi
}

npm run build || { echo "run-ci: the build failed"; exit 1; }

newest="" newest_major=0
for line in $REQUIRED_LINES; do
  found=""
  for n in $NODES; do
    [ -x "$n" ] || continue
    major=$("$n" -p 'process.versions.node.split(".")[0]' 2>/dev/null) || continue
    if [ "$major" = "$line" ]; then found=$n; break; fi
  done
  if [ -z "$found" ]; then
    echo "run-ci: FAILED: no Node $line among: $NODES (.ci/install puts node@22 and node@24 in .ci/)"
    failed="$failed
  - Node $line: not installed"
    continue
  fi
  step "Node tests on Node $("$found" --version)" sh test/run-node-tests.sh "$found"
  if [ "$line" -gt "$newest_major" ]; then newest=$found newest_major=$line; fi
done

step "Python host on CPython 3.8-3.13" /usr/bin/python3 test/python_matrix.py

if [ -n "$newest" ]; then
  # bin/yimmo-wsgi runs on the first node on PATH.
  step "conformance suite on Node $("$newest" --version)" \
    env PATH="$(dirname "$newest"):$PATH" /usr/bin/python3 test/conformance.py
fi

echo "run-ci: $(( $(date +%s) - started )) s"
if [ -n "$failed" ]; then
  echo "run-ci: FAILED:$failed"
  exit 1
fi
echo "run-ci: all passed"
