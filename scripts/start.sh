#!/bin/sh
# npm start: build the Remix app, then start the server (which starts the
# embedded database when DATABASE_URL is unset and applies migrations).
# Images that ship a prebuilt app set DOKODO_SKIP_BUILD=1.
set -e
cd "$(dirname "$0")/.."
if [ "${DOKODO_SKIP_BUILD:-0}" != "1" ]; then
  npx remix build
fi
exec node --import tsx server/main.ts
