# shellcheck shell=bash
# PostgreSQL/PostGIS for zhanbu: find or start a server, create databases,
# enable PostGIS. Source after lib/common.sh (and lib/deps.sh for ZHANBU_PG_MAJOR).

: "${ZHANBU_PG_MAJOR:=15}"
ZHANBU_PG_BIN="/usr/lib/postgresql/$ZHANBU_PG_MAJOR/bin"
# Where the "default" server is probed when DATABASE_URL is not set (overridable for testing).
ZHANBU_PG_PORT_PROBE="${ZHANBU_PG_PORT_PROBE:-5432}"
# Private cluster fallback: location and port.
ZHANBU_PG_PORT="${ZHANBU_PG_PORT:-55432}"
ZHANBU_PGDATA="${ZHANBU_PGDATA:-$ZHANBU_ROOT/.pgdata}"
[[ "$ZHANBU_PGDATA" == /* ]] || ZHANBU_PGDATA="$PWD/$ZHANBU_PGDATA"

export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}"

# psql quietly, no ~/.psqlrc, stop on first error.
zpsql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# 0 when we can log in and run a query at URL.
pg_usable() { zpsql "$1" -At -c 'select 1' >/dev/null 2>&1; }

# 0 when something speaks the PostgreSQL protocol at host:port (even if it rejects us).
pg_answers() { pg_isready -q -h "$1" -p "$2" -t 3 >/dev/null 2>&1 || [[ $? -eq 1 ]]; }

# --- Debian system cluster --------------------------------------------------

# Start a stopped Debian cluster on ZHANBU_PG_PORT_PROBE, but only if it lets
# postgres log in over TCP from 127.0.0.1 without a password (trust); a stock
# Debian cluster asks for a password, which the default URL does not have.
try_start_debian_cluster() {
  have pg_lsclusters && have pg_ctlcluster || return 1
  local ver name port status hba
  while read -r ver name port status _; do
    [[ "$port" == "$ZHANBU_PG_PORT_PROBE" && "$status" == down* ]] || continue
    hba="/etc/postgresql/$ver/$name/pg_hba.conf"
    if ! grep -Eq '^[[:space:]]*host[[:space:]]+(all|postgres)[[:space:]]+(all|postgres)[[:space:]]+(127\.0\.0\.1/32|0\.0\.0\.0/0|all|localhost|samehost)[[:space:]]+trust' "$hba" 2>/dev/null; then
      log "system cluster $ver/$name on port $port is stopped and needs a password over TCP; not using it"
      return 1
    fi
    if ! is_root && ! have sudo; then return 1; fi
    log "starting stopped system cluster $ver/$name on port $port"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || return 1
    return 0
  done < <(pg_lsclusters -h 2>/dev/null)
  return 1
}

# --- private cluster in .pgdata ----------------------------------------------

# Run a PostgreSQL server binary as the cluster owner (postgres when we are root).
# fd 9 (the set-up lock) is closed so a server started here does not hold it.
as_pg_owner() {
  # Run from / so the postgres user is not left in a directory it cannot read.
  if is_root; then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    (cd / && "$@" 9>&-)
  fi
}

# Pick the directory for the private cluster. When root, the server runs as the
# postgres system user, which must be able to reach the directory; if it cannot
# (e.g. the project is under /root), use a per-project directory under /var/tmp.
private_cluster_dir() {
  local base="$ZHANBU_PGDATA"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "system user 'postgres' not found (it comes with the postgresql-$ZHANBU_PG_MAJOR package)"
    mkdir -p "$base"
    chown postgres: "$base"
    if ! runuser -u postgres -- test -w "$base" 2>/dev/null; then
      local alt
      alt="$(alt_cluster_dir)"
      log "user postgres cannot reach $base; using $alt for the private cluster"
      rmdir "$base" 2>/dev/null || true
      base="$alt"
      mkdir -p "$base"
      chown postgres: "$base"
      chmod 700 "$base"
    fi
  else
    mkdir -p "$base"
  fi
  printf '%s' "$base"
}

# Fallback location used when the postgres user cannot reach ZHANBU_PGDATA.
alt_cluster_dir() { printf '/var/tmp/zhanbu-pgdata-%s' "$(printf '%s' "$ZHANBU_ROOT" | cksum | cut -d' ' -f1)"; }

# 0 when an earlier run created a private cluster for this project.
private_cluster_exists() {
  [[ -f "$ZHANBU_PGDATA/data/PG_VERSION" ]] || { is_root && [[ -f "$(alt_cluster_dir)/data/PG_VERSION" ]]; }
}

# Port a running private cluster listens on (line 4 of postmaster.pid).
running_port() { sed -n 4p "$1/postmaster.pid" 2>/dev/null; }

# Create (first time) and start (when stopped) the private cluster; prints its URL.
ensure_private_cluster() {
  [[ -x "$ZHANBU_PG_BIN/initdb" && -x "$ZHANBU_PG_BIN/pg_ctl" ]] \
    || die "$ZHANBU_PG_BIN/initdb not found; install postgresql-$ZHANBU_PG_MAJOR"
  local base data logf port
  base="$(private_cluster_dir)"
  data="$base/data"
  logf="$base/postgres.log"

  # Serialise concurrent set-ups (e.g. demo and test started together).
  exec 9>"$base/.lock"
  flock -w 120 9 || die "timed out waiting for the lock on $base/.lock"

  if [[ ! -f "$data/PG_VERSION" ]]; then
    log "creating private PostgreSQL $ZHANBU_PG_MAJOR cluster in $data (port $ZHANBU_PG_PORT, trust auth, 127.0.0.1 only)"
    as_pg_owner "$ZHANBU_PG_BIN/initdb" -D "$data" -U postgres --auth=trust \
      --encoding=UTF8 --no-locale >"$base/initdb.log" 2>&1 \
      || die "initdb failed; see $base/initdb.log: $(tail -n 3 "$base/initdb.log" 2>/dev/null | tr '\n' ' ')"
    as_pg_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF

# --- zhanbu private cluster (scripts/lib/db.sh) ---
listen_addresses = '127.0.0.1'
port = $ZHANBU_PG_PORT
unix_socket_directories = ''
synchronous_commit = off
max_connections = 100
CONF
  fi
  local have_ver
  have_ver="$(cat "$data/PG_VERSION")"
  [[ "$have_ver" == "$ZHANBU_PG_MAJOR" ]] \
    || die "$data holds a PostgreSQL $have_ver cluster, expected $ZHANBU_PG_MAJOR; delete $base to recreate it"

  if as_pg_owner "$ZHANBU_PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port="$(running_port "$data")"
    log "private cluster already running on 127.0.0.1:$port"
  else
    port="$ZHANBU_PG_PORT"
    if pg_answers 127.0.0.1 "$port"; then
      die "port $port is taken by another server; set ZHANBU_PG_PORT to a free port for the private cluster"
    fi
    log "starting private cluster on 127.0.0.1:$port (log: $logf)"
    as_pg_owner "$ZHANBU_PG_BIN/pg_ctl" -D "$data" -l "$logf" -w -t 60 -o "-p $port" start >/dev/null \
      || die "private cluster failed to start; last log lines: $(tail -n 5 "$logf" 2>/dev/null | tr '\n' ' ')"
  fi
  exec 9>&-
  printf 'postgres://postgres@127.0.0.1:%s/zhanbu' "$port"
}

# Stop the private cluster if it runs (used by `scripts/setup.sh stop-db`).
stop_private_cluster() {
  local base
  for base in "$ZHANBU_PGDATA" "$(alt_cluster_dir)"; do
    if [[ -f "$base/data/PG_VERSION" ]] && as_pg_owner "$ZHANBU_PG_BIN/pg_ctl" -D "$base/data" status >/dev/null 2>&1; then
      log "stopping private cluster in $base/data"
      as_pg_owner "$ZHANBU_PG_BIN/pg_ctl" -D "$base/data" -m fast -w stop >/dev/null
      return 0
    fi
  done
  log "no private cluster running"
}

# --- choose the server ------------------------------------------------------

# Sets and exports DATABASE_URL.
ensure_db_server() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    local hp safe
    hp="$(url_hostport "$DATABASE_URL")"; safe="$(url_safe "$DATABASE_URL")"
    pg_isready -q -d "$DATABASE_URL" -t 5 >/dev/null 2>&1 \
      || die "no PostgreSQL server accepting connections at $hp (DATABASE_URL=$safe); start it or unset DATABASE_URL to use a local one"
    log "using DATABASE_URL=$safe"
    export DATABASE_URL
    return 0
  fi

  # A private cluster made by an earlier run keeps holding this project's data: reuse it.
  if private_cluster_exists; then
    DATABASE_URL="$(ensure_private_cluster)"
    export DATABASE_URL
    log "using DATABASE_URL=$DATABASE_URL"
    return 0
  fi

  local probe_url="postgres://postgres@127.0.0.1:$ZHANBU_PG_PORT_PROBE/postgres"
  if pg_answers 127.0.0.1 "$ZHANBU_PG_PORT_PROBE"; then
    if pg_usable "$probe_url"; then
      export DATABASE_URL="postgres://postgres@127.0.0.1:$ZHANBU_PG_PORT_PROBE/zhanbu"
      log "using PostgreSQL at 127.0.0.1:$ZHANBU_PG_PORT_PROBE"
      return 0
    fi
    log "a server answers at 127.0.0.1:$ZHANBU_PG_PORT_PROBE but user postgres cannot log in without a password; falling back to a private cluster"
  elif try_start_debian_cluster && pg_usable "$probe_url"; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:$ZHANBU_PG_PORT_PROBE/zhanbu"
    log "using PostgreSQL at 127.0.0.1:$ZHANBU_PG_PORT_PROBE"
    return 0
  else
    log "nothing answers at 127.0.0.1:$ZHANBU_PG_PORT_PROBE; using a private cluster"
  fi
  DATABASE_URL="$(ensure_private_cluster)"
  export DATABASE_URL
  log "using DATABASE_URL=$DATABASE_URL"
}

# --- roles: migrate as a superuser (or zhanbu_owner), serve as zhanbu_service ----

# 0 when the login of URL is a superuser (tried on its database, then postgres, template1).
url_is_superuser() {
  local db r
  for db in "$(url_db "$1")" postgres template1; do
    [[ -n "$db" ]] || continue
    if r="$(zpsql "$(url_with_db "$1" "$db")" -At -c 'select rolsuper from pg_roles where rolname = current_user' 2>/dev/null)"; then
      [[ "$r" == t ]]
      return
    fi
  done
  return 1
}

# The service login's password: ZHANBU_SERVICE_PASSWORD, else the file in ZHANBU_SECRETS_DIR
# (default .secrets/, git-ignored), generated on first use. `npm run migrate` sets it on the role.
service_password() {
  if [[ -n "${ZHANBU_SERVICE_PASSWORD:-}" ]]; then printf '%s' "$ZHANBU_SERVICE_PASSWORD"; return; fi
  local dir="${ZHANBU_SECRETS_DIR:-$ZHANBU_ROOT/.secrets}" f
  f="$dir/zhanbu_service.password"
  if [[ ! -s "$f" ]]; then
    (umask 077 && mkdir -p "$dir" && node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("hex"))' >"$f") \
      || die "could not write the service password to $f"
    log "generated the zhanbu_service password in $f"
  fi
  cat "$f"
}

# URL with another user and password (keeps host, port, database, query).
url_with_login() {
  node -e '
    const u = new URL(process.argv[1]);
    u.username = process.argv[2];
    u.password = process.argv[3];
    process.stdout.write(u.toString());
  ' "$1" "$2" "$3"
}

# Splits the connection in two (README, "Security"): ZHANBU_OWNER_DATABASE_URL runs migrations,
# DATABASE_URL is the service's login. A superuser DATABASE_URL (the local default) becomes the
# migration connection and the service gets zhanbu_service on the same database; a DATABASE_URL
# that is not a superuser is taken as the service's login, as is.
resolve_db_logins() {
  local pw
  if [[ -z "${ZHANBU_OWNER_DATABASE_URL:-}" ]]; then
    url_is_superuser "$DATABASE_URL" || return 0
    ZHANBU_OWNER_DATABASE_URL="$DATABASE_URL"
  elif [[ "$DATABASE_URL" != "$ZHANBU_OWNER_DATABASE_URL" ]] && ! url_is_superuser "$DATABASE_URL"; then
    export ZHANBU_OWNER_DATABASE_URL
    return 0
  fi
  pw="$(service_password)"
  export ZHANBU_OWNER_DATABASE_URL ZHANBU_SERVICE_PASSWORD="$pw"
  DATABASE_URL="$(url_with_login "$ZHANBU_OWNER_DATABASE_URL" zhanbu_service "$pw")"
  export DATABASE_URL
}

# --- databases ----------------------------------------------------------------

# Drop the database named in URL (only ever the test database), if it exists.
drop_database() {
  local url="$1" db admin
  db="$(url_db "$url")"
  [[ -n "$db" ]] || die "no database name in $(url_safe "$url")"
  for admin_db in postgres template1; do
    admin="$(url_with_db "$url" "$admin_db")"
    pg_usable "$admin" || continue
    log "dropping database $db (rebuilt for this run)"
    zpsql "$admin" -v db="$db" <<<'DROP DATABASE IF EXISTS :"db" WITH (FORCE)' || die "could not drop database $db"
    return 0
  done
  die "cannot connect to $(url_safe "$url")'s server to drop $db"
}

# Create the database named in URL if missing and enable PostGIS in it.
ensure_database() {
  local url="$1" db hp admin ver
  db="$(url_db "$url")"; hp="$(url_hostport "$url")"
  [[ -n "$db" ]] || die "no database name in $(url_safe "$url")"

  if ! pg_usable "$url"; then
    local created=""
    for admin_db in postgres template1; do
      admin="$(url_with_db "$url" "$admin_db")"
      pg_usable "$admin" || continue
      if [[ "$(zpsql "$admin" -At -v db="$db" <<<"select 1 from pg_database where datname = :'db'")" != 1 ]]; then
        log "creating database $db on $hp"
        zpsql "$admin" -v db="$db" <<<'CREATE DATABASE :"db"' \
          || die "could not create database $db on $hp (does the user have CREATEDB?)"
      fi
      created=1
      break
    done
    [[ -n "$created" ]] || die "cannot connect to $(url_safe "$url") nor to its postgres/template1 database to create it"
    pg_usable "$url" || die "cannot connect to $(url_safe "$url") after creating it"
  fi

  if [[ "$(zpsql "$url" -At -c "select count(*) from pg_extension where extname = 'postgis'")" == 1 ]]; then
    return 0
  fi
  if [[ "$(zpsql "$url" -At -c "select count(*) from pg_available_extensions where name = 'postgis'")" != 1 ]]; then
    ver="$(zpsql "$url" -At -c "select current_setting('server_version_num')::int / 10000")"
    die "the PostgreSQL $ver server at $hp has no PostGIS available; install postgresql-$ver-postgis-3 on that server (or use the postgis/postgis image)"
  fi
  log "enabling PostGIS in $db"
  zpsql "$url" -c 'CREATE EXTENSION IF NOT EXISTS postgis' >/dev/null \
    || die "CREATE EXTENSION postgis failed in $db on $hp (needs a superuser)"
}
