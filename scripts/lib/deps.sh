# shellcheck shell=bash
# System packages (apt) and node_modules (npm) for zhanbu. Source after lib/common.sh.

ZHANBU_PG_MAJOR="${ZHANBU_PG_MAJOR:-15}"

# Node 20+ and npm must already be there; we do not install Node.
check_node() {
  have node || die "node is not installed; install Node.js 20 (e.g. from https://nodejs.org or NodeSource) and retry"
  have npm || die "npm is not installed; install Node.js 20 with npm and retry"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [[ "$major" -ge 20 ]] || die "Node.js >= 20 is required, found $(node -v)"
}

# 0 when the database server is (or will be) on this machine: DATABASE_URL unset
# or pointing at localhost. A remote server (e.g. the `db` service in
# docker-compose) needs only the client tools here.
db_is_local() {
  [[ -z "${DATABASE_URL:-}" ]] && return 0
  local host
  host="$(node -e 'process.stdout.write(new URL(process.argv[1]).hostname)' "$DATABASE_URL")"
  [[ -z "$host" || "$host" == 127.* || "$host" == localhost || "$host" == "[::1]" || "$host" == "::1" ]]
}

# Debian packages that are missing, detected by a file or command each provides.
missing_apt_packages() {
  local pg="/usr/lib/postgresql/$ZHANBU_PG_MAJOR/bin"
  local -a missing=()
  if db_is_local; then
    [[ -f "/usr/share/postgresql/$ZHANBU_PG_MAJOR/extension/postgis.control" ]] \
      || missing+=("postgresql-$ZHANBU_PG_MAJOR-postgis-3")
    [[ -x "$pg/initdb" && -x "$pg/pg_ctl" ]] || missing+=("postgresql-$ZHANBU_PG_MAJOR")
  fi
  { have psql && have pg_isready && have createdb; } || missing+=("postgresql-client-$ZHANBU_PG_MAJOR")
  have gdal-config || missing+=(libgdal-dev)
  have ogr2ogr || missing+=(gdal-bin)
  have zip || missing+=(zip)
  have unzip || missing+=(unzip)
  { have make && have g++; } || missing+=(build-essential)
  have python3 || missing+=(python3)
  # The browser tests of the web workspace: Debian's Chromium, and a CJK font (without one every
  # Chinese label renders as empty boxes). ZHANBU_SKIP_BROWSER=1 leaves them out (a server-only install).
  if [[ "${ZHANBU_SKIP_BROWSER:-}" != 1 ]]; then
    have chromium || missing+=(chromium)
    if ! ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; then missing+=(fonts-noto-cjk); fi
  fi
  printf '%s\n' "${missing[@]}"
}

ensure_apt_packages() {
  local -a missing
  mapfile -t missing < <(missing_apt_packages | sed '/^$/d')
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "system packages present"
    return 0
  fi
  have apt-get || die "missing system packages (${missing[*]}) and apt-get is not available; install them by hand (Debian/Ubuntu package names given)"
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed (if this distribution has no postgresql-$ZHANBU_PG_MAJOR, set ZHANBU_PG_MAJOR to the PostgreSQL version it ships, e.g. 16, or point DATABASE_URL at an existing PostGIS server)"
  mapfile -t missing < <(missing_apt_packages | sed '/^$/d')
  [[ ${#missing[@]} -eq 0 ]] || die "still missing after apt-get install: ${missing[*]}"
}

# Environment that makes gdal-async compile against the system GDAL (libgdal-dev)
# instead of downloading a prebuilt binary (unreachable) or building its bundled
# GDAL (hours). node-pre-gyp reads npm_config_build_from_source; node-gyp turns
# npm_config_shared_gdal into the gyp variable shared_gdal.
gdal_build_env() {
  export npm_config_build_from_source=true
  export npm_config_shared_gdal=true
  # node-gyp needs the Node headers; use the locally installed ones instead of
  # downloading them from nodejs.org when nothing else is configured.
  if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then
    local configured
    configured="$(cd / && { npm config get nodedir 2>/dev/null || true; })"
    if [[ -z "$configured" || "$configured" == "undefined" || "$configured" == "null" ]]; then
      export npm_config_nodedir=/usr
    fi
  fi
}

# 0 when gdal-async loads in the project.
gdal_binding_ok() {
  (cd "$ZHANBU_ROOT" && node -e 'require("gdal-async")' >/dev/null 2>&1)
}

node_modules_stale() {
  local nm="$ZHANBU_ROOT/node_modules"
  [[ -d "$nm" ]] || return 0
  [[ -f "$nm/.package-lock.json" ]] || return 0
  if [[ -f "$ZHANBU_ROOT/package-lock.json" ]]; then
    [[ "$ZHANBU_ROOT/package-lock.json" -nt "$nm/.package-lock.json" ]] && return 0
  fi
  return 1
}

ensure_node_modules() {
  if node_modules_stale; then
    (
      gdal_build_env
      cd "$ZHANBU_ROOT"
      if [[ -f package-lock.json ]]; then
        log "npm ci (builds gdal-async against the system GDAL, takes a few minutes)"
        npm ci --no-audit --no-fund
      else
        log "npm install (no package-lock.json; builds gdal-async against the system GDAL)"
        npm install --no-audit --no-fund
      fi
    ) || die "npm install failed (see the npm output above)"
  else
    log "node_modules up to date"
  fi

  if ! gdal_binding_ok; then
    log "gdal-async binding does not load; rebuilding it against the system GDAL"
    (
      gdal_build_env
      cd "$ZHANBU_ROOT"
      npm rebuild gdal-async
    ) || die "npm rebuild gdal-async failed (is libgdal-dev installed? gdal-config --version: $(gdal-config --version 2>/dev/null || echo none))"
    gdal_binding_ok || die "gdal-async still does not load after rebuild; run: node -e \"require('gdal-async')\" in $ZHANBU_ROOT to see why"
  fi
  local info
  info="$(cd "$ZHANBU_ROOT" && node -e 'const g=require("gdal-async");process.stdout.write("GDAL "+g.version+(g.bundled?" (bundled)":" (system)"))')"
  log "gdal-async ok: $info"
}

# The web workspace (web/) built into web/dist, which the service serves at `/`: rebuilt when
# missing or older than its sources or the lock file.
web_build_stale() {
  local dist="$ZHANBU_ROOT/web/dist/index.html"
  [[ -f "$dist" ]] || return 0
  [[ -n "$(find "$ZHANBU_ROOT/web" -path "$ZHANBU_ROOT/web/dist" -prune -o -type f -newer "$dist" -print -quit)" ]] && return 0
  [[ "$ZHANBU_ROOT/package-lock.json" -nt "$dist" ]] && return 0
  return 1
}

ensure_web_build() {
  if web_build_stale; then
    log "building the web workspace (web/ -> web/dist)"
    (cd "$ZHANBU_ROOT" && npm run -s build:web) || die "npm run build:web failed (see the output above)"
  else
    log "web workspace built (web/dist)"
  fi
}
