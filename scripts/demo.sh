#!/usr/bin/env bash
# shellcheck disable=SC2034
# Set up, import the demo county (361123) from fixtures/, start the HTTP service
# on HOST:PORT (default 127.0.0.1:3000). Safe to run again: re-importing the same
# file is a no-op.
set -euo pipefail
ZHANBU_TAG="demo" # read by lib/common.sh
# shellcheck source=lib/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"

ZHANBU_TAG=setup zhanbu_setup

county=361123
dir="$ZHANBU_ROOT/fixtures/$county"
cd "$ZHANBU_ROOT"

import_layer() { # layer year file
  local layer="$1" year="$2" file="$3"
  [[ -f "$file" ]] || die "fixture $file is missing"
  log "importing $layer $year for county $county from ${file#"$ZHANBU_ROOT"/}"
  npm run -s import -- --layer "$layer" --county "$county" --year "$year" --file "$file" \
    || die "import of $layer $year from $file failed"
}

import_layer xzq 2023 "$dir/xzq.shp.zip"
import_layer dltb 2019 "$dir/dltb-2019.shp.zip"
import_layer dltb 2023 "$dir/dltb-2023.shp.zip"
import_layer ldxb 2023 "$dir/ldxb-2023.shp.zip"

log "demo users for county $county, one per role (tokens and passwords shown once):"
npm run -s users -- demo --county "$county" || die "creating the demo users failed"

export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-3000}"
log "工作台（web workspace）: http://$HOST:$PORT/ — sign in with a demo login and password printed above (e.g. demo-county-forestry)"
log "starting the service on http://$HOST:$PORT (Ctrl-C to stop)"
# Same as `exec npm start`, but runs package.json's start command in place of
# this shell: npm and its `sh -c` do not pass SIGTERM on, so a `kill` or
# `docker stop` would leave the server running or skip its graceful shutdown.
start_cmd="$(node -p 'require("./package.json").scripts.start')"
export PATH="$ZHANBU_ROOT/node_modules/.bin:$PATH"
exec bash -c "exec $start_cmd"
