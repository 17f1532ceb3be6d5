#!/usr/bin/env bash
# `make bench`, second part: the POP3 benchmark of issue 5 (see bench/README.md). Starts the test
# mail servers, creates a fresh user with a generated INBOX, then runs, interleaved,
# $BENCH_REPS times each, over POP3S on loopback with TLS verified against the test CA and the
# mail left on the server:
#   F  fetchmail (Debian's package; keep, fetchall, certificate checked) appending every message
#      to one BSMTP file: no parsing and no per-message files, the fastest honest download,
#   G  getmail6 (Debian's package; SimplePOP3SSLRetriever, read_all, delete = false) into an
#      empty Maildir (a process per delivery: slow, shown for reference),
#   P  Petrel's engine (bench/src/pop3.rs, release build): the first check of a new POP3 account
#      into a fresh data folder (downloaded, parsed, committed to the local Inbox).
# Both are timed as whole processes (start-up, TLS and login included). Prints a report and
# saves it to bench/results/<timestamp>-pop3.md. A missed target never fails the script.
#
# Knobs: BENCH_COUNT (messages, default 10000), BENCH_SEED (1), BENCH_REPS (5),
# BENCH_GETMAIL_REPS (rounds that include getmail, default 1: it takes minutes).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$PETREL_ROOT"

# shellcheck source=bench/lib.sh
. bench/lib.sh
GETMAIL_REPS=${BENCH_GETMAIL_REPS:-1}

bench_tools "time getmail6 fetchmail" "/usr/bin/time getmail fetchmail"
bench_setup pop3bench

run_fetchmail() {
  local dir=$work/fetchmail
  rm -rf -- "$dir"; mkdir -p "$dir"
  cat >"$dir/fetchmailrc" <<CONF
set no syslog
poll $host service $PETREL_TEST_POP3S_PORT protocol POP3 uidl:
  user "$user" password "$password" ssl sslcertck sslcertfile "$ca" keep fetchall
CONF
  chmod 600 "$dir/fetchmailrc"
  HOME=$dir /usr/bin/time -f '%e %M' -o "$dir/time" \
    fetchmail -f "$dir/fetchmailrc" --idfile "$dir/ids" --bsmtp "$dir/out.bsmtp" --silent \
    >"$dir/log" 2>&1 || { cat "$dir/log" >&2; die "fetchmail failed"; }
  local n; n=$(grep -c '^MAIL FROM' "$dir/out.bsmtp")
  [ "$n" -eq "$COUNT" ] || die "fetchmail stored $n messages, not $COUNT"
  read -r secs kb <"$dir/time"
  add fetchmail_s "$secs"; add fetchmail_rss_mb "$((kb / 1024))"
  rm -rf -- "$dir"
}

run_getmail() {
  local dir=$work/getmail
  rm -rf -- "$dir"; mkdir -p "$dir/state" "$dir/Maildir/cur" "$dir/Maildir/new" "$dir/Maildir/tmp"
  # getmail refuses to deliver as root (CI runs as root): it then runs as nobody.
  local as_user=()
  if [ "$(id -u)" = 0 ]; then
    as_user=(runuser -u nobody --); chmod 755 "$work"; chown -R nobody "$dir"
  fi
  cat >"$dir/getmailrc" <<CONF
[retriever]
type = SimplePOP3SSLRetriever
server = $host
port = $PETREL_TEST_POP3S_PORT
username = $user
password = $password
ca_certs = $ca

[destination]
type = Maildir
path = $dir/Maildir/

[options]
read_all = true
delete = false
verbose = 0
message_log_syslog = false
CONF
  chmod 600 "$dir/getmailrc"; [ "$(id -u)" != 0 ] || chown nobody "$dir/getmailrc"
  # getmail forks a delivery process per message and can miss its exit signal (it then gives
  # up with "waiting child pid … timed out"): a failed getmail run is reported, not fatal.
  if ! /usr/bin/time -f '%e %M' -o "$dir/time" "${as_user[@]}" \
    getmail --getmaildir="$dir/state" --rcfile="$dir/getmailrc" >"$dir/log" 2>&1; then
    local n; n=$(find "$dir/Maildir/new" "$dir/Maildir/cur" -type f | wc -l)
    getmail_failures="${getmail_failures:-}getmail stopped after $n of $COUNT messages: $(grep -m1 -i error "$dir/log"). "
    rm -rf -- "$dir"; return 0
  fi
  local n; n=$(find "$dir/Maildir/new" "$dir/Maildir/cur" -type f | wc -l)
  [ "$n" -eq "$COUNT" ] || die "getmail stored $n messages, not $COUNT"
  read -r secs kb <"$dir/time"
  add getmail_s "$secs"; add getmail_rss_mb "$((kb / 1024))"
  rm -rf -- "$dir"
}

run_petrel() {
  local dir=$work/petrel
  rm -rf -- "$dir"
  PETREL_SECRETS=file SSL_CERT_FILE=$ca \
    /usr/bin/time -f '%e %M' -o "$work/petrel.time" "$bin/petrel-bench-pop3" --data-dir "$dir" \
    --host "$host" --pop3s-port "$PETREL_TEST_POP3S_PORT" \
    --smtps-port "$PETREL_TEST_SUBMISSIONS_PORT" --user "$user" --password "$password" \
    >"$work/petrel.out" 2>"$work/petrel.err" ||
    { cat "$work/petrel.err" >&2; die "petrel-bench-pop3 failed"; }
  local k v
  while read -r k v; do add "petrel_$k" "$v"; done <"$work/petrel.out"
  [ "$(awk '$1 == "stored" {print $2}' "$work/petrel.out")" = "$COUNT" ] ||
    die "Petrel stored fewer than $COUNT messages: $(cat "$work/petrel.out")"
  read -r secs kb <"$work/petrel.time"
  add petrel_s "$secs"; add petrel_rss_mb "$((kb / 1024))"
  rm -rf -- "$dir"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$REPS"); do
  log "round $r/$REPS: fetchmail"; run_fetchmail
  if [ "$r" -le "$GETMAIL_REPS" ]; then log "round $r/$REPS: getmail"; run_getmail; fi
  log "round $r/$REPS: Petrel"; run_petrel
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

f=$(med fetchmail_s); g=$( [ -n "${series[getmail_s]:-}" ] && med getmail_s || echo nan); p=$(med petrel_s); r=$(ratio "$p" "$f")
mb=$(awk -v b="$vsize" 'BEGIN {printf "%.1f", b / 1e6}')
mkdir -p bench/results
result="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-pop3.md"
{
  echo "# POP3 benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "INBOX: $COUNT messages, $mb MB; corpus seed $SEED. POP3S on loopback (Dovecot" \
    "$(command dovecot --version | cut -d' ' -f1)), mail left on the server."
  echo "$REPS rounds, interleaved (fetchmail, getmail in the first $GETMAIL_REPS, Petrel); median and min–max. Machine: $(nproc) cores," \
    "load average $load_start at start, $load_end at end. Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')."
  echo
  echo "| measure | median | spread | ratio | target | |"
  echo "|---|---|---|---|---|---|"
  echo "| F fetchmail to one BSMTP file, whole process | $f s | $(spread fetchmail_s) s | 1 | | |"
  [ "$g" = nan ] || echo "| G getmail6 to Maildir, whole process | $g s | $(spread getmail_s) s | $(ratio "$g" "$f") × F | | |"
  echo "| P Petrel first check, whole process | $p s | $(spread petrel_s) s | $r × F | ≤ 1 × F | $(verdict "$r" '<=' 1) |"
  [ "$g" = nan ] || echo "| … against getmail6 | | | $(ratio "$p" "$g") × G | ≤ 1 × G | $(verdict "$(ratio "$p" "$g")" '<=' 1) |"
  echo "| … the download alone (in process) | $(med petrel_download) s | $(spread petrel_download) s | $(ratio "$(med petrel_download)" "$f") × F | | |"
  echo "| Petrel peak memory | $(med petrel_rss_mb) MB | $(spread petrel_rss_mb) MB | | | |"
  echo "| fetchmail peak memory | $(med fetchmail_rss_mb) MB | $(spread fetchmail_rss_mb) MB | | | |"
  [ "$g" = nan ] || echo "| getmail peak memory | $(med getmail_rss_mb) MB | $(spread getmail_rss_mb) MB | | | |"
  echo
  echo "Petrel's database: $(med petrel_db_mb) MB. Per round (in order), P ÷ F: $(per_round petrel_s fetchmail_s)." \
    "getmail ran in $GETMAIL_REPS round(s). ${getmail_failures:-}"
} >"$result"
echo
cat "$result"
echo
log "saved to $result"
