#!/usr/bin/env bash
# Installs what `make test` needs on top of scripts/deps-build.sh: a virtual X server, WebKit's
# WebDriver, a D-Bus session with GNOME Keyring, a notification daemon, screenshot tools, the test
# mail servers (Dovecot + Postfix, through tests/servers/install.sh), tauri-driver, and the
# end-to-end suite's npm packages. Takes a few seconds when everything is already there.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$PETREL_ROOT/scripts/deps-build.sh"

is_linux || die "the test suite runs on Linux only (tauri-driver has no macOS support)"

# dbus-daemon: crates/engine/tests/notifications.rs starts its own private bus and answers as the
# notification service there; dunst + libnotify-bin are a real daemon for trying it by hand.
if have_apt; then
  apt_install xvfb xauth webkit2gtk-driver dbus-daemon dbus-bin dbus-x11 imagemagick xdotool \
    dunst libnotify-bin gnome-keyring libsecret-tools curl
else
  warn "not a Debian/Ubuntu system: install Xvfb, WebKitWebDriver, dbus, gnome-keyring, curl by hand"
fi

if [ -x "$PETREL_ROOT/tests/servers/install.sh" ]; then
  "$PETREL_ROOT/tests/servers/install.sh"
elif [ -f "$PETREL_ROOT/tests/servers/install.sh" ]; then
  bash "$PETREL_ROOT/tests/servers/install.sh"
else
  die "tests/servers/install.sh is missing"
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  log "installing tauri-driver (cargo install, about a minute and a half)"
  cargo install tauri-driver --version '^2' --locked
fi

# --ignore-scripts: WebdriverIO's optional browser-driver packages would try to download drivers;
# the suite uses WebKitWebDriver from apt through tauri-driver instead.
npm_ci_if_stale "$PETREL_ROOT/tests/e2e" --ignore-scripts
