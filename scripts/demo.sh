#!/usr/bin/env bash
# `make demo`: local mail servers with a filled mailbox, and Petrel opened on it.
#
#  1. installs what it needs, starts the test mail servers (Dovecot + Postfix on loopback);
#  2. creates the user demo@petrel.test and, when its INBOX is empty, fills it with ~300 messages
#     from the corpus maker (petrel-testkit fill);
#  3. makes a fresh app data folder, adds the account there with the `petrel` CLI;
#  4. starts the app with SSL_CERT_FILE set to the test CA (so TLS is verified, not switched off).
#
# Passwords go to a private GNOME Keyring in a private D-Bus session (scripts/with-keyring.sh), so
# the demo never writes into your own keyring; set PETREL_SECRETS=file to use the app's file-based
# secret store instead. Without a display (no DISPLAY/WAYLAND_DISPLAY) the app runs under Xvfb and
# a screenshot is saved after $PETREL_DEMO_SECONDS seconds (default 20).
# The servers keep running afterwards: `make stop-servers` stops them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PETREL_ROOT"

DEMO_USER=demo@petrel.test
DEMO_PASSWORD=${PETREL_DEMO_PASSWORD:-petrel-demo-password}
DEMO_COUNT=${PETREL_DEMO_COUNT:-300}
DEMO_DIR=${PETREL_DEMO_DIR:-/tmp/petrel-demo}
servers=tests/servers/mailservers.sh
cargo_flags=()
[ -n "${CI:-}" ] && cargo_flags=(--locked)

scripts/deps-build.sh
if is_linux && have_apt; then apt_install gnome-keyring dbus-daemon dbus-bin curl xvfb xauth imagemagick; fi
tests/servers/install.sh

log "building the app (UI embedded), the petrel CLI and petrel-testkit"
make --no-print-directory app
cargo build "${cargo_flags[@]}" -p petrel-cli -p petrel-testkit --bins
bin="$CARGO_TARGET_DIR/debug"

if ! "$servers" status >/dev/null 2>&1; then
  log "starting the test mail servers"
  "$servers" start
fi
load_server_env
host=${PETREL_TEST_HOST:-localhost}

imap() { # imap COMMAND: runs one IMAP command as the demo user, TLS verified against the test CA
  curl --silent --show-error --max-time 30 --cacert "$PETREL_TEST_CA_FILE" \
    --user "$DEMO_USER:$DEMO_PASSWORD" "imaps://$host:$PETREL_TEST_IMAPS_PORT/" --request "$1"
}
if ! imap NOOP >/dev/null 2>&1; then
  log "creating the user $DEMO_USER"
  "$servers" add-user "$DEMO_USER" "$DEMO_PASSWORD"
fi
exists=$(imap 'EXAMINE INBOX' | sed -n 's/^\* \([0-9]*\) EXISTS.*/\1/p' | tr -d '\r')
if [ "${exists:-0}" -eq 0 ]; then
  log "filling $DEMO_USER's INBOX with $DEMO_COUNT messages"
  "$bin/petrel-testkit" fill --user "$DEMO_USER" --count "$DEMO_COUNT" --seed 1
else
  log "$DEMO_USER's INBOX already holds $exists messages"
fi

# A fresh data folder (and keyring) each time: the servers' ports may differ between runs.
case "$DEMO_DIR" in /|"") die "refusing to use '$DEMO_DIR' as the demo folder" ;; esac
rm -rf -- "$DEMO_DIR"
mkdir -p "$DEMO_DIR/data"
export PETREL_DATA_DIR="$DEMO_DIR/data"
export PETREL_KEYRING_DIR="$DEMO_DIR/keyring"
export SSL_CERT_FILE="$PETREL_TEST_CA_FILE"
export PETREL_DEMO_USER=$DEMO_USER PETREL_DEMO_PASSWORD=$DEMO_PASSWORD PETREL_DEMO_HOST=$host
export PETREL_BIN_DIR=$bin PETREL_DEMO_DIR=$DEMO_DIR

# What runs inside the keyring session: add the account, then the app.
# shellcheck disable=SC2016 # expanded by the inner shell
inner='
set -euo pipefail
printf "%s" "$PETREL_DEMO_PASSWORD" | "$PETREL_BIN_DIR/petrel" account add --name "Demo User" \
  --email "$PETREL_DEMO_USER" \
  --imap-host "$PETREL_DEMO_HOST" --imap-port "$PETREL_TEST_IMAPS_PORT" --imap-security tls \
  --smtp-host "$PETREL_DEMO_HOST" --smtp-port "$PETREL_TEST_SUBMISSIONS_PORT" --smtp-security tls \
  --password-stdin
echo "Petrel: data in $PETREL_DATA_DIR; close the window to end the demo."
if [ -n "${PETREL_DEMO_HEADLESS:-}" ]; then
  "$PETREL_BIN_DIR/petrel-app" >"$PETREL_DEMO_DIR/app.log" 2>&1 &
  app=$!
  sleep "${PETREL_DEMO_SECONDS:-20}"
  import -display "$DISPLAY" -window root "$PETREL_DEMO_DIR/demo.png"
  echo "screenshot: $PETREL_DEMO_DIR/demo.png (app log: $PETREL_DEMO_DIR/app.log)"
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
else
  exec "$PETREL_BIN_DIR/petrel-app"
fi
'

xvfb_pid=
if is_linux && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  display=99
  while [ -e "/tmp/.X$display-lock" ] || [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
  log "no display: running the app under Xvfb :$display and taking a screenshot"
  Xvfb ":$display" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb_pid=$!
  trap 'kill "$xvfb_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
  export DISPLAY=":$display" PETREL_DEMO_HEADLESS=1
fi

log "starting Petrel on $DEMO_USER (password: $DEMO_PASSWORD)"
if [ -n "${PETREL_SECRETS:-}" ] || ! is_linux; then
  bash -c "$inner"
else
  scripts/with-keyring.sh bash -c "$inner"
fi
echo "The test mail servers are still running: 'make stop-servers' stops them."
