# shellcheck shell=bash
# The whole set-up as one function, so demo.sh and test.sh can run it in their
# own shell and keep the DATABASE_URL it chooses.

_ZHANBU_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$_ZHANBU_LIB/common.sh"
# shellcheck source=deps.sh
source "$_ZHANBU_LIB/deps.sh"
# shellcheck source=db.sh
source "$_ZHANBU_LIB/db.sh"

run_migrations() {
  [[ -f "$ZHANBU_ROOT/src/cli/migrate.ts" ]] \
    || die "src/cli/migrate.ts is missing; cannot apply migrations"
  log "applying migrations to $(url_db "$DATABASE_URL")"
  (cd "$ZHANBU_ROOT" && npm run -s migrate) \
    || die "npm run migrate failed (DATABASE_URL=$(url_safe "$DATABASE_URL"))"
}

zhanbu_setup() {
  local t0=$SECONDS
  check_node
  ensure_apt_packages
  ensure_node_modules
  ensure_db_server
  ensure_database "$DATABASE_URL"
  run_migrations
  log "ready in $((SECONDS - t0))s (DATABASE_URL=$(url_safe "$DATABASE_URL"))"
}
