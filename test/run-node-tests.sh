#!/bin/sh
# Runs the compiled Node tests (dist/test, which `npm run build` rebuilds from
# scratch, so a deleted test file cannot keep running) with the node given as
# $1, else node on PATH. That node's directory goes first on PATH, so the
# servers the tests start (bin/yimmo-wsgi: `#!/usr/bin/env node`) and the npm
# they call run on it too.
#
# Most files run in parallel: every test server listens on 127.0.0.1 port 0,
# keeps its files in its own mkdtemp directory and is found by its own pid, so
# files do not see each other. The SERIAL files assert tight upper bounds on
# latencies (a fast request under 300-700 ms next to stuck ones, a shutdown
# within 2 s, 10 x 0.5 s gevent sleeps within 2 s); a second file busy on one
# of CI's 2 cores can break those, so they run one at a time, after the rest.
set -eu
cd "$(dirname "$0")/.."
NODE_BIN=$(command -v "${1:-node}") || { echo "run-node-tests: node '${1:-node}' not found" >&2; exit 1; }
PATH="$(dirname "$NODE_BIN"):$PATH"
export PATH
[ -d dist/test ] || { echo "run-node-tests: dist/test is missing: run 'npm run build' first" >&2; exit 1; }

SERIAL="dist/test/server/timeouts.test.js dist/test/server/gevent.test.js dist/test/server/supervision.test.js"
for f in $SERIAL; do
  [ -f "$f" ] || { echo "run-node-tests: $f is listed as serial but does not exist (update SERIAL)" >&2; exit 1; }
done
PARALLEL=$(find dist/test -name '*.test.js' | sort | while read -r f; do
  case " $SERIAL " in *" $f "*) ;; *) echo "$f" ;; esac
done)

echo "run-node-tests: Node $("$NODE_BIN" --version) ($NODE_BIN)"
status=0
# shellcheck disable=SC2086 # word splitting of the file lists is intended
"$NODE_BIN" --test --test-concurrency="${YIMMO_TEST_CONCURRENCY:-3}" $PARALLEL || status=1
# shellcheck disable=SC2086
"$NODE_BIN" --test --test-concurrency=1 $SERIAL || status=1
exit $status
