# shellcheck shell=bash
# Helpers shared by the scripts in this folder. Source it; do not run it.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PETREL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/petrel/target}"
export PETREL_TESTKIT_DIR="${PETREL_TESTKIT_DIR:-/tmp/petrel-mail}"
# cargo installs into ~/.cargo/bin; a fresh shell may not have it on PATH yet.
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) [ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH" ;; esac
export PATH

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_linux() { [ "$(uname -s)" = Linux ]; }
have_apt() { command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; }

# Run as root, through sudo when we are not root.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"; fi
}

# Prints the packages among "$@" that dpkg does not have installed.
apt_missing() {
  local p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || printf '%s\n' "$p"
  done
}

# Installs the Debian packages among "$@" that are missing; does nothing (fast) when none are.
# `apt-get update` runs once per process tree, before the first install.
apt_install() {
  local missing
  missing=$(apt_missing "$@" | tr '\n' ' ')
  [ -n "${missing// /}" ] || return 0
  have_apt || die "missing packages ($missing) and no apt-get here: install them by hand"
  log "installing with apt: $missing"
  # Postfix asks a question at install time unless it is preseeded.
  printf '%s\n' 'postfix postfix/main_mailer_type select No configuration' \
    'postfix postfix/mailname string localhost' | as_root debconf-set-selections 2>/dev/null || true
  if [ -z "${PETREL_APT_UPDATED:-}" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    export PETREL_APT_UPDATED=1
  fi
  # shellcheck disable=SC2086 # word splitting of the package list is wanted
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing </dev/null
}

# `npm ci` in DIR (extra arguments go to npm), only when its node_modules does not match its
# package.json and package-lock.json.
npm_ci_if_stale() {
  local dir=$1 stamp sum
  shift
  [ -f "$dir/package.json" ] || die "$dir/package.json is missing"
  stamp="$dir/node_modules/.petrel-lock.sha256"
  if [ -f "$dir/package-lock.json" ]; then
    sum=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
    log "npm ci in ${dir#"$PETREL_ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error "$@")
  else
    warn "$dir has no package-lock.json: running npm install (commit the lock file)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$@")
    sum=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
  fi
  printf '%s\n' "$sum" >"$stamp"
}

# Loads the mail servers' settings (PETREL_TEST_*) into the environment.
load_server_env() {
  local f="$PETREL_TESTKIT_DIR/env"
  [ -f "$f" ] || die "$f is missing: are the test mail servers running? (tests/servers/mailservers.sh start)"
  set -a
  # shellcheck disable=SC1090
  . "$f"
  set +a
}

# A TCP port on 127.0.0.1 that nothing listens on, starting the search at $1.
free_port() {
  local p=${1:-4444}
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  printf '%s\n' "$p"
}

# Waits until something listens on 127.0.0.1:$1 (at most $2 seconds, default 20).
wait_port() {
  local port=$1 limit=${2:-20} i=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    i=$((i + 1)); [ "$i" -le $((limit * 10)) ] || return 1
    sleep 0.1
  done
}
