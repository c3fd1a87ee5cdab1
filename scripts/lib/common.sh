# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source this file; do not execute it.
# Expects the caller to have `set -euo pipefail`.

if [[ -n "${ZHANBU_COMMON_LOADED:-}" ]]; then return 0; fi
ZHANBU_COMMON_LOADED=1

# Let `set -e` apply inside $(...) too, so helpers called there fail loudly.
shopt -s inherit_errexit

# Project root = parent of scripts/.
ZHANBU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ZHANBU_ROOT

# Tag for progress lines; callers may override (e.g. ZHANBU_TAG=demo).
: "${ZHANBU_TAG:=setup}"

log() { printf '[%s] %s\n' "$ZHANBU_TAG" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$ZHANBU_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$ZHANBU_TAG" "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as root: directly when root, else through sudo.
as_root() {
  if is_root; then
    "$@"
  elif have sudo; then
    sudo "$@"
  else
    die "need root to run '$*' but not root and sudo is not installed"
  fi
}

# Replace the database name in a postgres:// URL (keeps user, password, host, port, query).
# usage: url_with_db URL DBNAME
url_with_db() {
  node -e '
    const u = new URL(process.argv[1]);
    u.pathname = "/" + encodeURIComponent(process.argv[2]);
    process.stdout.write(u.toString());
  ' "$1" "$2"
}

# Database name of a postgres:// URL (empty when none).
url_db() {
  node -e '
    const u = new URL(process.argv[1]);
    process.stdout.write(decodeURIComponent(u.pathname.replace(/^\//, "")));
  ' "$1"
}

# "host:port" of a postgres:// URL, for messages.
url_hostport() {
  node -e '
    const u = new URL(process.argv[1]);
    process.stdout.write((u.hostname || "localhost") + ":" + (u.port || "5432"));
  ' "$1"
}

# The URL with any password masked, for messages.
url_safe() {
  node -e '
    const u = new URL(process.argv[1]);
    if (u.password) u.password = "***";
    process.stdout.write(u.toString());
  ' "$1"
}
