#!/bin/sh
# `npm run bench:micro`: every bench/micro/*.bench.ts (compiled to dist/), one after
# the other, under /tmp/bench.lock so that no load benchmark runs at the same time.
cd "$(dirname "$0")/../.." || exit 1
exec flock /tmp/bench.lock sh -c '
  status=0
  for f in dist/bench/micro/*.bench.js; do
    echo "== $(basename "$f" .js)"
    node "$f" || status=1
  done
  exit $status'
