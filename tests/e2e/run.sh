#!/usr/bin/env bash
# Runs the end-to-end suite against a built Petrel app:
#
#   tests/e2e/run.sh [APP_BINARY] [SPEC_FILE...]
#
# APP_BINARY defaults to $PETREL_APP, then $CARGO_TARGET_DIR/debug/petrel-app. It must be built
# with the UI embedded (`make app`); a plain `cargo build` shows a blank window.
# SPEC_FILEs default to tests/e2e/specs/*.test.mjs.
#
# It starts, and stops again on exit: the test mail servers (only when they are not already
# running), a DNS server on loopback with the test domain's SRV records (`petrel-testkit dns`,
# built with cargo when needed), Xvfb on a free display, a private D-Bus session with an unlocked
# GNOME Keyring (scripts/with-keyring.sh), and tauri-driver in front of WebKitWebDriver. The app
# gets a fresh PETREL_DATA_DIR, trusts the test CA through SSL_CERT_FILE, asks only that DNS
# server (PETREL_DNS_SERVER) and probes the test servers' ports when guessing
# (PETREL_PROBE_PORTS). Screenshots, page sources and logs go to tests/e2e/artifacts/ (or
# $PETREL_E2E_ARTIFACTS).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$HERE/../../scripts/lib.sh"

# ------------------------------------------------------------------------------------------------
# Inside the private D-Bus session (the script calls itself through with-keyring.sh).
if [ "${1:-}" = --inside-session ]; then
  shift
  driver_log="$PETREL_E2E_ARTIFACTS/tauri-driver.log"
  # The app inherits tauri-driver's environment; its own output lands in this log too.
  tauri-driver --port "$PETREL_E2E_DRIVER_PORT" --native-port "$PETREL_E2E_NATIVE_PORT" \
    --native-driver "$(command -v WebKitWebDriver)" >"$driver_log" 2>&1 &
  driver_pid=$!
  trap 'kill "$driver_pid" 2>/dev/null || true; wait "$driver_pid" 2>/dev/null || true' EXIT
  if ! wait_port "$PETREL_E2E_DRIVER_PORT" 20; then
    cat "$driver_log" >&2
    die "tauri-driver did not start listening on port $PETREL_E2E_DRIVER_PORT"
  fi
  cd "$HERE"
  set +e
  node --test --test-concurrency=1 --test-reporter=spec "$@"
  status=$?
  set -e
  exit "$status"
fi

# ------------------------------------------------------------------------------------------------
# Outside: check inputs, start the servers and the X server, then enter the session.
app=${1:-${PETREL_APP:-$CARGO_TARGET_DIR/debug/petrel-app}}
if [ $# -gt 0 ]; then shift; fi
[ -x "$app" ] || die "the app binary $app does not exist: build it with 'make app' (UI embedded)"
app=$(cd "$(dirname "$app")" && pwd)/$(basename "$app")

specs=()
if [ $# -gt 0 ]; then
  for s in "$@"; do specs+=("$(cd "$(dirname "$s")" && pwd)/$(basename "$s")"); done
else
  specs=("$HERE"/specs/*.test.mjs)
fi

for tool in node Xvfb WebKitWebDriver tauri-driver curl dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/deps-test.sh (or make test)"
done
[ -d "$HERE/node_modules/webdriverio" ] || die "tests/e2e/node_modules is missing: run scripts/deps-test.sh"

export PETREL_E2E_ARTIFACTS=${PETREL_E2E_ARTIFACTS:-$HERE/artifacts}
rm -rf "$PETREL_E2E_ARTIFACTS"
mkdir -p "$PETREL_E2E_ARTIFACTS"
work=$(mktemp -d "${TMPDIR:-/tmp}/petrel-e2e.XXXXXX")

servers="$PETREL_ROOT/tests/servers/mailservers.sh"
started_servers=
xvfb_pid=
dns_pid=
status=1
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  set +e
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; fi
  if [ -n "$dns_pid" ]; then kill "$dns_pid" 2>/dev/null; wait "$dns_pid" 2>/dev/null; fi
  if [ -n "$started_servers" ]; then "$servers" stop >/dev/null 2>&1; fi
  if [ "$status" -ne 0 ] && [ -d "$work/data" ]; then
    # Keep the app's data folder (database, config; no passwords) to look at.
    cp -r "$work/data" "$PETREL_E2E_ARTIFACTS/app-data" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$servers" status >/dev/null 2>&1; then
  log "starting the test mail servers"
  "$servers" start
  started_servers=1
fi
load_server_env

# The test domain's DNS: SRV records (RFC 6186/8314) pointing at the test servers, so the app finds
# them by itself. Implicit TLS and STARTTLS are both offered; discovery should prefer the first.
testkit=${PETREL_TESTKIT_BIN:-$CARGO_TARGET_DIR/debug/petrel-testkit}
if [ -z "${PETREL_TESTKIT_BIN:-}" ] && command -v cargo >/dev/null 2>&1; then
  # Quick when it is up to date; the binary must know the `dns` command.
  cargo build --quiet -p petrel-testkit --bin petrel-testkit || die "building petrel-testkit failed"
fi
[ -x "$testkit" ] || die "$testkit does not exist: cargo build -p petrel-testkit --bin petrel-testkit"
domain=$PETREL_TEST_DOMAIN
cat >"$work/zone" <<ZONE
A localhost 127.0.0.1
SRV _imaps._tcp.$domain 0 1 $PETREL_TEST_IMAPS_PORT localhost
SRV _imap._tcp.$domain 10 1 $PETREL_TEST_IMAP_PORT localhost
SRV _pop3s._tcp.$domain 0 1 $PETREL_TEST_POP3S_PORT localhost
SRV _submissions._tcp.$domain 0 1 $PETREL_TEST_SUBMISSIONS_PORT localhost
SRV _submission._tcp.$domain 10 1 $PETREL_TEST_SUBMISSION_PORT localhost
ZONE
"$testkit" dns --file "$work/zone" >"$work/dns.addr" 2>"$PETREL_E2E_ARTIFACTS/dns.log" &
dns_pid=$!
for _ in $(seq 100); do [ -s "$work/dns.addr" ] && break; kill -0 "$dns_pid" 2>/dev/null || break; sleep 0.1; done
PETREL_DNS_SERVER=$(head -n 1 "$work/dns.addr" 2>/dev/null || true)
[ -n "$PETREL_DNS_SERVER" ] || { cat "$PETREL_E2E_ARTIFACTS/dns.log" >&2; die "the test DNS server did not start"; }
export PETREL_DNS_SERVER
export PETREL_E2E_DNS_ZONE="$work/zone"
# Guesses probe the usual ports; here those of the test servers.
export PETREL_PROBE_PORTS="993=$PETREL_TEST_IMAPS_PORT,143=$PETREL_TEST_IMAP_PORT,995=$PETREL_TEST_POP3S_PORT,\
110=$PETREL_TEST_POP3_PORT,465=$PETREL_TEST_SUBMISSIONS_PORT,587=$PETREL_TEST_SUBMISSION_PORT"
log "test DNS server on $PETREL_DNS_SERVER (SRV records for $domain)"

# A display nobody uses, from :99 up.
display=99
while [ -e "/tmp/.X$display-lock" ] || [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1440x900x24 -nolisten tcp >"$PETREL_E2E_ARTIFACTS/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
[ -e "/tmp/.X11-unix/X$display" ] || { cat "$PETREL_E2E_ARTIFACTS/xvfb.log" >&2; die "Xvfb did not start on :$display"; }
export DISPLAY=":$display"
unset WAYLAND_DISPLAY

PETREL_E2E_DRIVER_PORT=$(free_port 4444)
PETREL_E2E_NATIVE_PORT=$(free_port $((PETREL_E2E_DRIVER_PORT + 1)))
export PETREL_E2E_DRIVER_PORT PETREL_E2E_NATIVE_PORT
export PETREL_APP="$app"
# What the app sees: its own data folder, the test CA as the trust store, a keyring.
export PETREL_DATA_DIR="$work/data"
export SSL_CERT_FILE="$PETREL_TEST_CA_FILE"
export PETREL_KEYRING_DIR="$work/keyring"
unset PETREL_SECRETS # passwords go to the (private) keyring, as on a desktop
# The app's log filter is PETREL_LOG (e.g. PETREL_LOG=debug tests/e2e/run.sh); it is passed on.
export RUST_BACKTRACE=1
mkdir -p "$PETREL_DATA_DIR"

log "end-to-end: app $app on display $DISPLAY, tauri-driver on port $PETREL_E2E_DRIVER_PORT"
set +e
"$PETREL_ROOT/scripts/with-keyring.sh" "$HERE/run.sh" --inside-session "${specs[@]}"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  log "end-to-end tests failed; artifacts (screenshots, page source, tauri-driver.log) in $PETREL_E2E_ARTIFACTS"
fi
exit "$status"
