#!/usr/bin/env bash
# Installs the Debian packages that the Petrel test mail servers need (Dovecot, Postfix and the
# tools the tests drive them with). Idempotent: returns at once when everything is present.
# Needs root (or sudo) and Debian's package registry.
set -euo pipefail

PACKAGES=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl swaks
  libnet-ssleay-perl isync curl ca-certificates)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install.sh: must run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO=(sudo)
fi

echo "install.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix would otherwise ask how to configure the system instance; we run our own instance.
echo "postfix postfix/main_mailer_type select No configuration" | "${SUDO[@]}" debconf-set-selections
echo "postfix postfix/mailname string localhost" | "${SUDO[@]}" debconf-set-selections
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
