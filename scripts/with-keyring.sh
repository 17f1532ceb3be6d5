#!/usr/bin/env bash
# Runs a command inside a private D-Bus session bus with an unlocked GNOME Keyring answering as the
# Secret Service, so that Petrel can store passwords the way it does on a desktop, without touching
# the user's own keyring:
#
#   scripts/with-keyring.sh COMMAND [ARGS...]
#
# The keyring's files live in $PETREL_KEYRING_DIR (default: a new temporary folder, removed at
# the end). XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR point into it.
# On systems other than Linux the command runs as it is (macOS and Windows have their own keychain).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -gt 0 ] || die "usage: $0 COMMAND [ARGS...]"
is_linux || exec "$@"

if [ "${1:-}" != --inside-session ]; then
  for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/deps-test.sh"
  done
  exec dbus-run-session -- "$0" --inside-session "$@"
fi
shift

owned_dir=
if [ -z "${PETREL_KEYRING_DIR:-}" ]; then
  PETREL_KEYRING_DIR=$(mktemp -d "${TMPDIR:-/tmp}/petrel-keyring.XXXXXX")
  owned_dir=$PETREL_KEYRING_DIR
fi
mkdir -p "$PETREL_KEYRING_DIR"/{data,config,cache,runtime}
chmod 700 "$PETREL_KEYRING_DIR" "$PETREL_KEYRING_DIR/runtime"
export XDG_DATA_HOME="$PETREL_KEYRING_DIR/data" XDG_CONFIG_HOME="$PETREL_KEYRING_DIR/config" \
  XDG_CACHE_HOME="$PETREL_KEYRING_DIR/cache" XDG_RUNTIME_DIR="$PETREL_KEYRING_DIR/runtime"

# An empty unlock password creates no login keyring (then every store fails): use a real one.
printf '%s' "${PETREL_KEYRING_PASSWORD:-petrel-test-keyring}" |
  gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$PETREL_KEYRING_DIR/gnome-keyring.log" 2>&1 &
keyring_pid=$!
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  kill "$keyring_pid" 2>/dev/null || true
  wait "$keyring_pid" 2>/dev/null || true
  if [ -n "$owned_dir" ]; then rm -rf "$owned_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

has_secret_service() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
for _ in $(seq 100); do
  has_secret_service && break
  kill -0 "$keyring_pid" 2>/dev/null || break
  sleep 0.1
done
if ! has_secret_service; then
  cat "$PETREL_KEYRING_DIR/gnome-keyring.log" >&2 || true
  die "gnome-keyring did not come up on the private session bus"
fi

# Run the command as a child (not exec) so that the keyring is stopped when it ends.
set +e
"$@"
status=$?
set -e
exit "$status"
