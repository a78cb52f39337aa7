#!/bin/sh
# Runs the Prisma CLI on its WebAssembly engines. Pointing the native engine
# variables at a harmless path stops the CLI from trying to download engines,
# which fails on machines without access to binaries.prisma.sh.
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-/dev/null}"
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/dev/null}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
exec node "$(dirname "$0")/../node_modules/prisma/build/index.js" "$@"
