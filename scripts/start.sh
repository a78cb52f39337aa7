#!/bin/sh
# npm start: build the Remix app, then start the server (which starts the
# embedded database when DATABASE_URL is unset and applies migrations).
# Images that ship a prebuilt app set DOKODO_SKIP_BUILD=1. package.json runs
# this script with exec, so that npm's own "sh -c" does not stand between
# npm and this shell: on SIGINT that shell would exit before node stops.
set -e
cd "$(dirname "$0")/.."
if [ "${DOKODO_SKIP_BUILD:-0}" != "1" ]; then
  npx remix build
fi

if ! command -v setsid >/dev/null 2>&1; then
  echo "scripts/start.sh: setsid (util-linux) not found; Ctrl-C may stop the embedded database before the server." >&2
  exec node --import tsx server/main.ts
fi

# A terminal's Ctrl-C sends SIGINT to the whole foreground process group.
# The embedded PostgreSQL server is a child of node in node's group, so it
# would shut down at once while node still finishes in-flight requests.
# setsid therefore starts node in a session and process group of its own,
# out of the terminal's reach. This shell turns SIGINT, SIGTERM and SIGHUP
# (from the terminal, from npm, which forwards SIGINT and SIGTERM, or from a
# process manager) into SIGTERM for node, which drains requests and then
# stops the database. setsid execs node without forking, because a
# background job of a non-interactive shell is never a process group
# leader, so $! is node's PID.
server_pid=
stop_requested=0
stop_server() {
  stop_requested=1
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server INT TERM HUP
setsid node --import tsx server/main.ts &
server_pid=$!
# A signal that arrived before node started is forwarded now.
if [ "$stop_requested" = 1 ]; then
  stop_server
fi

# A trapped signal interrupts wait with a status above 128 while node is
# still running, so wait again until node has exited, then exit with its
# status.
set +e
while :; do
  wait "$server_pid"
  status=$?
  kill -0 "$server_pid" 2>/dev/null || break
done
exit "$status"
