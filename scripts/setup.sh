#!/usr/bin/env bash
# Idempotent set-up: system packages, node_modules (gdal-async against the
# system GDAL), a PostgreSQL/PostGIS server and database, migrations.
#   bash scripts/setup.sh           # set everything up (quick when done before)
#   bash scripts/setup.sh stop-db   # stop the private cluster in .pgdata, if any
set -euo pipefail
# shellcheck source=lib/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"

case "${1:-}" in
  "") zhanbu_setup ;;
  stop-db) stop_private_cluster ;;
  *) die "unknown argument '$1' (usage: scripts/setup.sh [stop-db])" ;;
esac
