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
  local url="${ZHANBU_OWNER_DATABASE_URL:-$DATABASE_URL}"
  log "applying migrations to $(url_db "$url") as $(node -e 'process.stdout.write(decodeURIComponent(new URL(process.argv[1]).username) || "(default user)")' "$url")"
  (cd "$ZHANBU_ROOT" && ZHANBU_OWNER_DATABASE_URL="$url" npm run -s migrate) \
    || die "npm run migrate failed (ZHANBU_OWNER_DATABASE_URL=$(url_safe "$url"))"
}

zhanbu_setup() {
  local t0=$SECONDS
  check_node
  ensure_apt_packages
  ensure_node_modules
  ensure_web_build
  # Only a migration connection given: the server is the one it names.
  if [[ -z "${DATABASE_URL:-}" && -n "${ZHANBU_OWNER_DATABASE_URL:-}" ]]; then DATABASE_URL="$ZHANBU_OWNER_DATABASE_URL"; fi
  ensure_db_server
  resolve_db_logins
  ensure_database "${ZHANBU_OWNER_DATABASE_URL:-$DATABASE_URL}"
  run_migrations
  log "ready in $((SECONDS - t0))s; the service connects as DATABASE_URL=$(url_safe "$DATABASE_URL")"
  if [[ -n "${ZHANBU_OWNER_DATABASE_URL:-}" && "$ZHANBU_OWNER_DATABASE_URL" != "$DATABASE_URL" ]]; then
    log "(migrations as $(url_safe "$ZHANBU_OWNER_DATABASE_URL"); the service password is ZHANBU_SERVICE_PASSWORD or ${ZHANBU_SECRETS_DIR:-$ZHANBU_ROOT/.secrets}/zhanbu_service.password)"
  fi
}
