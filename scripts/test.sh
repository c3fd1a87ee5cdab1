#!/usr/bin/env bash
# shellcheck disable=SC2034
# Set up, prepare the test database, typecheck, lint (ESLint, knip), run the whole vitest suite.
# Extra arguments go to vitest, e.g. `npm test -- tests/unit`.
set -euo pipefail
ZHANBU_TAG="test" # read by lib/common.sh
# shellcheck source=lib/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"

ZHANBU_TAG=setup zhanbu_setup

# Tests need a privileged connection (they create and empty the test database); the app under test
# connects as zhanbu_service (tests/helpers/db.ts), with the password set-up gave it.
admin_url="${ZHANBU_OWNER_DATABASE_URL:-$DATABASE_URL}"
if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
  TEST_DATABASE_URL="$(url_with_db "$admin_url" zhanbu_test)"
fi
if [[ -z "${TEST_SERVICE_DATABASE_URL:-}" && "$DATABASE_URL" != "$admin_url" ]]; then
  TEST_SERVICE_DATABASE_URL="$(url_with_db "$DATABASE_URL" "$(url_db "$TEST_DATABASE_URL")")"
  export TEST_SERVICE_DATABASE_URL
fi
[[ "$(url_db "$TEST_DATABASE_URL")" != "$(url_db "$admin_url")" || "$(url_hostport "$TEST_DATABASE_URL")" != "$(url_hostport "$admin_url")" ]] \
  || die "TEST_DATABASE_URL points at the main database $(url_db "$admin_url"); tests would wipe it"
export TEST_DATABASE_URL
# The test database is rebuilt from nothing on every run, so state left by an earlier run (or by
# migrations that changed while being written) can never make the suite pass or fail.
drop_database "$TEST_DATABASE_URL"
ensure_database "$TEST_DATABASE_URL"
log "test database: $(url_safe "$TEST_DATABASE_URL")"

cd "$ZHANBU_ROOT"
log "typecheck"
npm run -s typecheck || die "typecheck failed"
log "lint (eslint)"
npm run -s lint || die "eslint found problems (listed above); fix them, or see one folder with: npm run lint -- src/<folder>"
log "knip (unused files, exports, dependencies)"
npm run -s knip || die "knip found unused code or dependencies (listed above); remove them or, if knip is wrong, configure knip.json"

log "vitest"
DATABASE_URL="$TEST_DATABASE_URL" exec npx vitest run "$@"
