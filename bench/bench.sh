#!/bin/sh
# `npm run bench`: the harness (bench/run.py) is Python standard library, run by
# Debian's /usr/bin/python3, the interpreter the peers and the apps use too.
PKGS="python3 wrk util-linux gunicorn uwsgi-core uwsgi-plugin-python3 python3-waitress python3-flask python3-django openssl"
if [ ! -x /usr/bin/python3 ]; then
  case " $* " in
    *" --install "*) if [ "$(id -u)" = 0 ]; then apt-get update && apt-get install -y $PKGS || exit 2; fi ;;
  esac
fi
if [ ! -x /usr/bin/python3 ]; then
  echo "bench: /usr/bin/python3 is missing; install the benchmark's dependencies (Debian 12, as root) with:" >&2
  echo "  apt-get install -y $PKGS" >&2
  exit 2
fi
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
