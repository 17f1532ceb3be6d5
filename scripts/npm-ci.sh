#!/usr/bin/env bash
# `npm ci` in a folder, only when its node_modules is missing or older than its lock file:
#   scripts/npm-ci.sh DIR [NPM_ARGS...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 1 ] || die "usage: $0 DIR [NPM_ARGS...]"
npm_ci_if_stale "$@"
