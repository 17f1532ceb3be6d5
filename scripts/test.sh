#!/usr/bin/env bash
# `make test`: every check the project has, in order, with a summary at the end.
#
#   deps → fmt → clippy → bindings → UI check → UI tests → mail servers → cargo test
#   → app build (UI embedded) → end-to-end → servers stopped
#
# A failing step does not stop the later ones (so one run shows every problem), except that
# nothing runs without its dependencies, the end-to-end suite needs the app build, and the Rust
# tests and the end-to-end suite need the servers. Exits non-zero when any step failed.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PETREL_ROOT" || exit 1

# In CI, Cargo.lock must already be up to date.
locked=()
[ -n "${CI:-}" ] && locked=(--locked)

names=() results=() durations=()
failed=()
started_all=$(date +%s)

# step NAME COMMAND...: runs the command, records PASS/FAIL and its time.
step() {
  local name=$1 t0 rc
  shift
  printf '\n\033[1m━━ %s\033[0m  (%s)\n' "$name" "$*"
  t0=$(date +%s)
  "$@"
  rc=$?
  names+=("$name"); durations+=($(($(date +%s) - t0)))
  if [ "$rc" -eq 0 ]; then results+=(PASS); else results+=(FAIL); failed+=("$name"); fi
  return "$rc"
}
skip() { names+=("$1"); results+=(SKIP); durations+=(0); printf '\n━━ %s: skipped (%s)\n' "$1" "$2"; }

servers="$PETREL_ROOT/tests/servers/mailservers.sh"
# The testkit finds its script through this, whichever checkout built the shared build folder.
export PETREL_TESTKIT_SCRIPT="$servers"
started_servers=
stop_servers() {
  if [ -n "$started_servers" ]; then
    printf '\n━━ stopping the test mail servers\n'
    "$servers" stop || warn "stopping the mail servers failed"
    started_servers=
  fi
}
start_servers() {
  if "$servers" status >/dev/null 2>&1; then
    echo "the test mail servers are already running: using them (and leaving them running)"
  else
    "$servers" start || return 1
    started_servers=1
  fi
  [ -f "$PETREL_TESTKIT_DIR/env" ] || { warn "$PETREL_TESTKIT_DIR/env is missing"; return 1; }
  load_server_env
}

summary() {
  local i total=$(($(date +%s) - started_all))
  printf '\n\033[1m━━ make test: summary\033[0m\n'
  for i in "${!names[@]}"; do
    printf '  %-4s  %-12s %4ds\n' "${results[$i]}" "${names[$i]}" "${durations[$i]}"
  done
  if [ ${#failed[@]} -eq 0 ]; then
    printf 'make test: every step passed in %dm%02ds\n' $((total / 60)) $((total % 60))
  else
    printf 'make test: FAILED step(s): %s (after %dm%02ds)\n' "${failed[*]}" $((total / 60)) $((total % 60))
  fi
}
on_exit() { stop_servers; summary; }
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! step deps scripts/deps-test.sh; then
  echo "installing the dependencies failed: nothing else can run" >&2
  exit 1
fi
printf 'versions: %s; %s; node %s; npm %s; tauri-driver %s\n' "$(rustc --version)" "$(cargo --version)" \
  "$(node --version)" "$(npm --version)" "$(cargo install --list 2>/dev/null | sed -n 's/^tauri-driver v\([^:]*\):/\1/p')"
step fmt cargo fmt --all -- --check
step clippy cargo clippy "${locked[@]}" --workspace --all-targets -- -D warnings
step bindings scripts/check-bindings.sh
if step ui-deps scripts/npm-ci.sh ui; then
  step ui-check npm --prefix ui run check
  step ui-test npm --prefix ui test
else
  skip ui-check "npm ci in ui failed"
  skip ui-test "npm ci in ui failed"
fi
servers_ok=
step servers start_servers && servers_ok=1
if [ -n "$servers_ok" ]; then
  # Inside a private D-Bus session with GNOME Keyring, so the keychain tests use a real one.
  step cargo-test env PETREL_TEST_KEYRING=1 scripts/with-keyring.sh \
    cargo test "${locked[@]}" --workspace --no-fail-fast
else
  skip cargo-test "the mail servers did not start"
fi
app_ok=
step app-build make --no-print-directory app && app_ok=1
if [ -n "$servers_ok" ] && [ -n "$app_ok" ]; then
  step e2e tests/e2e/run.sh "$CARGO_TARGET_DIR/debug/petrel-app"
else
  skip e2e "needs the servers and the app build"
fi

[ ${#failed[@]} -eq 0 ]
