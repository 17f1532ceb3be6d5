#!/usr/bin/env bash
# Installs what building Petrel needs: the system libraries Tauri links against (Debian/Ubuntu),
# and checks Node.js >= 20 with npm, and Rust (cargo, rustfmt, clippy).
# Takes a second or two when everything is already there.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_PACKAGES=(
  build-essential pkg-config file curl ca-certificates git
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libssl-dev libxdo-dev
  libayatana-appindicator3-dev
  fonts-dejavu-core
)

case "$(uname -s)" in
  Linux)
    if have_apt; then
      apt_install "${BUILD_PACKAGES[@]}"
    else
      warn "not a Debian/Ubuntu system: install by hand the equivalents of: ${BUILD_PACKAGES[*]}"
      warn "(see https://v2.tauri.app/start/prerequisites/)"
    fi
    ;;
  Darwin)
    xcode-select -p >/dev/null 2>&1 ||
      die "the Xcode command line tools are missing: run 'xcode-select --install', then try again"
    ;;
  *) warn "untested system $(uname -s): see README.md for what to install" ;;
esac

# Node.js 20 or newer, with npm.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if is_linux && have_apt; then apt_install nodejs npm; fi
fi
command -v node >/dev/null 2>&1 || die "Node.js is missing: install Node.js 20 or newer (https://nodejs.org)"
command -v npm >/dev/null 2>&1 || die "npm is missing: install it with Node.js 20 or newer (https://nodejs.org)"
if [ "$(node_major)" -lt 20 ]; then
  die "Node.js $(node --version) is too old: Petrel's UI tools need Node.js 20 or newer.
  Your distribution's package may be older; install a current one from https://nodejs.org
  (or NodeSource's packages, or nvm), then try again."
fi

# Rust.
if ! command -v cargo >/dev/null 2>&1; then
  die "Rust is missing: install it with rustup (https://rustup.rs):
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh
  then open a new shell (or run: . \"\$HOME/.cargo/env\") and try again."
fi
for tool in fmt clippy; do
  if ! cargo "$tool" --version >/dev/null 2>&1; then
    die "cargo $tool is missing: run 'rustup component add $( [ $tool = fmt ] && echo rustfmt || echo clippy )'"
  fi
done
