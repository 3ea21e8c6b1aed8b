#!/usr/bin/env bash
# Starts or stops the local AWS emulator (moto server) that the AWS adapters' tests run against.
#   infra/local-aws.sh start   -> installs moto[server] into ./.venv if needed, starts it on
#                                 127.0.0.1:$POLLHOOK_MOTO_PORT (default 5055), prints the endpoint
#   infra/local-aws.sh stop    -> stops the server this script started
# Only ever listens on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
port=${POLLHOOK_MOTO_PORT:-5055}
pidfile=$venv/moto.pid
logfile=$venv/moto.log

install() {
  if [ ! -x "$venv/bin/moto_server" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]'
  fi
}

start() {
  install
  stop_quietly
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if python3 - "$port" <<'PY' 2>/dev/null; then
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
PY
      echo "http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "moto server did not start on 127.0.0.1:$port; see $logfile" >&2
  cat "$logfile" >&2 || true
  return 1
}

stop_quietly() {
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
