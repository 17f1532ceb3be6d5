#!/usr/bin/env bash
# `make bench`: the sync benchmark of issue 4 (see bench/README.md for what it measures and how to
# read it). Starts the test mail servers, creates a fresh user with a generated INBOX, then runs,
# interleaved, $BENCH_REPS times each:
#   A  a raw single `UID FETCH 1:* BODY.PEEK[]` over IMAPS read to nowhere (openssl s_client),
#   B  mbsync (Debian's isync, default configuration) syncing the INBOX to an empty Maildir,
#   P  Petrel's engine (bench/src/sync.rs, release build) syncing into a fresh data folder.
# Prints a report (medians, spreads, ratios to A and B, targets PASS/MISS) and saves it to
# bench/results/<timestamp>.md. A missed target never fails the script; a broken run does.
#
# Knobs: BENCH_COUNT (messages, default 10000), BENCH_SEED (corpus seed, 1), BENCH_REPS (5),
# BENCH_RESYNCS (no-change resyncs per Petrel run, 5), BENCH_KEEP=1 keeps the user's mail.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$PETREL_ROOT"

# shellcheck source=bench/lib.sh
. bench/lib.sh
RESYNCS=${BENCH_RESYNCS:-5}

bench_tools "time isync openssl" "/usr/bin/time mbsync openssl"
bench_setup bench
cat "$work/fill.err" >&2
exists=$(doveadm mailbox status -u "$user" messages INBOX | sed 's/.*messages=//')
[ "$exists" -eq "$COUNT" ] || die "the INBOX holds $exists messages, not $COUNT"
attachments=$(doveadm search -u "$user" mailbox INBOX header Content-Type multipart/mixed | wc -l)
log "INBOX: $exists messages, $vsize bytes (RFC822 sizes), $attachments multipart/mixed"

# --- the three contenders -----------------------------------------------------------------------

# A: the whole INBOX in one command, read to nowhere (bytes counted, the tagged OK checked).
run_raw() {
  local out=$work/raw
  printf 'a LOGIN "%s" "%s"\r\nb EXAMINE INBOX\r\nc UID FETCH 1:* BODY.PEEK[]\r\nd LOGOUT\r\n' \
    "$user" "$password" |
    /usr/bin/time -f '%e %M' -o "$out.time" \
      openssl s_client -quiet -verify_return_error -CAfile "$ca" -servername "$host" \
      -connect "$host:$PETREL_TEST_IMAPS_PORT" 2>"$out.err" |
    tee >(tail -c 2000 >"$out.tail") | wc -c >"$out.bytes"
  sleep 0.2 # the tail's process substitution
  grep -q '^c OK' "$out.tail" || { cat "$out.err" "$out.tail" >&2; die "raw fetch did not complete"; }
  local bytes; bytes=$(cat "$out.bytes")
  [ "$bytes" -ge "$vsize" ] || die "raw fetch read $bytes bytes, less than the mailbox's $vsize"
  read -r secs kb <"$out.time"
  add raw_s "$secs"; add raw_mb "$((bytes / 1000000))"; add raw_rss_mb "$((kb / 1024))"
}

# B: mbsync, default configuration, TLS verified against the test CA, into an empty Maildir.
run_mbsync() {
  local dir=$work/mbsync
  rm -rf -- "$dir"; mkdir -p "$dir/mail" "$dir/.mbsync"
  cat >"$dir/mbsyncrc" <<CONF
IMAPAccount bench
Host $host
Port $PETREL_TEST_IMAPS_PORT
User $user
Pass $password
SSLType IMAPS
CertificateFile $ca

IMAPStore remote
Account bench

MaildirStore local
Path $dir/mail/
Inbox $dir/mail/INBOX

Channel bench
Far :remote:
Near :local:
Create Near
CONF
  chmod 600 "$dir/mbsyncrc"
  # HOME: its default sync state folder (~/.mbsync) starts empty, and not in the user's home.
  HOME=$dir /usr/bin/time -f '%e %M' -o "$dir/time" mbsync -q -c "$dir/mbsyncrc" -a >"$dir/log" 2>&1 ||
    { cat "$dir/log" >&2; die "mbsync failed"; }
  local n; n=$(find "$dir/mail/INBOX" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
  [ "$n" -eq "$COUNT" ] || die "mbsync stored $n messages, not $COUNT"
  read -r secs kb <"$dir/time"
  add mbsync_s "$secs"; add mbsync_rss_mb "$((kb / 1024))"
  rm -rf -- "$dir"
}

# P: Petrel's engine, fresh data folder, passwords in a file, TLS verified against the test CA.
run_petrel() {
  local dir=$work/petrel
  rm -rf -- "$dir"
  PETREL_SECRETS=file SSL_CERT_FILE=$ca \
    /usr/bin/time -f '%e %M' -o "$work/petrel.time" "$bin/petrel-bench-sync" --data-dir "$dir" \
    --host "$host" --imaps-port "$PETREL_TEST_IMAPS_PORT" \
    --smtps-port "$PETREL_TEST_SUBMISSIONS_PORT" --user "$user" --password "$password" \
    --resyncs "$RESYNCS" >"$work/petrel.out" 2>"$work/petrel.err" ||
    { cat "$work/petrel.err" >&2; die "petrel-bench-sync failed"; }
  local k v
  while read -r k v; do add "petrel_$k" "$v"; done <"$work/petrel.out"
  [ "$(awk '$1 == "bodies_missing" {print $2}' "$work/petrel.out")" = 0 ] ||
    die "Petrel left bodies undownloaded: $(cat "$work/petrel.out")"
  read -r _ kb <"$work/petrel.time"
  add petrel_time_rss_mb "$((kb / 1024))"
  rm -rf -- "$dir"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# Each contender starts with nothing of the one before still being written back to the disk
# (mbsync's 10,000 files, Petrel's database): `sync` before each.
for r in $(seq "$REPS"); do
  log "round $r/$REPS: raw fetch"; sync; run_raw
  log "round $r/$REPS: mbsync"; sync; run_mbsync
  log "round $r/$REPS: Petrel"; sync; run_petrel
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------------------------
ms() { awk -v s="$1" 'BEGIN {printf "%.1f ms", s * 1000}'; }

raw=$(med raw_s); mbs=$(med mbsync_s); bodies=$(med petrel_bodies_all)
r_raw=$(ratio "$bodies" "$raw"); r_mbs=$(ratio "$bodies" "$mbs")
h500=$(med petrel_headers_500); hall=$(med petrel_headers_all)
resync=$(med petrel_resync_open); rss=$(med petrel_peak_rss_mb)
mb=$(awk -v b="$vsize" 'BEGIN {printf "%.1f", b / 1e6}')

mkdir -p bench/results
result="bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# Sync benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "INBOX: $exists messages, $mb MB (sum of RFC822.SIZE), $attachments multipart/mixed;" \
    "corpus seed $SEED. IMAPS on loopback (Dovecot $(command dovecot --version | cut -d' ' -f1))."
  echo "$REPS rounds, interleaved (raw, mbsync, Petrel); median and min–max. Machine: $(nproc) cores," \
    "load average $load_start at start, $load_end at end. Commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')."
  echo
  echo "| measure | median | spread | ratio | target | |"
  echo "|---|---|---|---|---|---|"
  echo "| A raw \`UID FETCH 1:* BODY.PEEK[]\` (openssl s_client) | $raw s | $(spread raw_s) s | 1 | | |"
  echo "| B mbsync from scratch to Maildir | $mbs s | $(spread mbsync_s) s | $(ratio "$mbs" "$raw") × A | | |"
  echo "| Petrel: newest 500 headers stored | $h500 s | $(spread petrel_headers_500) s | | < 0.5 s | $(verdict "$h500" '<' 0.5) |"
  echo "| Petrel: all headers stored | $hall s | $(spread petrel_headers_all) s | $(ratio "$hall" "$raw") × A | | |"
  echo "| Petrel: first sync (all folders; keep all mail offline: every body within the size limit) | $(med petrel_first_sync) s | $(spread petrel_first_sync) s | | | |"
  echo "| Petrel: all bodies stored and parsed | $bodies s | $(spread petrel_bodies_all) s | $r_raw × A | ≤ 2 × A | $(verdict "$r_raw" '<=' 2) |"
  echo "| … against mbsync | | | $r_mbs × B | ≤ 0.5 × B | $(verdict "$r_mbs" '<=' 0.5) |"
  echo "| Petrel: no-change INBOX resync, open connection (QRESYNC) | $(ms "$resync") | $(spread petrel_resync_open) s | | < 50 ms | $(verdict "$resync" '<' 0.05) |"
  echo "| … with connect, TLS and login | $(ms "$(med petrel_resync_connect)") | $(spread petrel_resync_connect) s | | | |"
  echo "| … whole account (LIST + every folder), with connect | $(ms "$(med petrel_resync_account)") | $(spread petrel_resync_account) s | | | |"
  echo "| Petrel: peak memory (VmHWM) | $rss MB | $(spread petrel_peak_rss_mb) MB | | < 200 MB | $(verdict "$rss" '<' 200) |"
  echo "| mbsync peak memory | $(med mbsync_rss_mb) MB | $(spread mbsync_rss_mb) MB | | | |"
  echo
  echo "Details: the raw fetch read $(med raw_mb) MB (response included);" \
    "Petrel stored $(med petrel_bodies_downloaded) bodies in $(med petrel_body_batches) FETCH batches" \
    "(of which $(med petrel_first_sync_bodies) by the first sync), database $(med petrel_db_mb) MB (+ WAL $(med petrel_wal_mb) MB at the end);" \
    "no-change resync mode $(tr ' ' '\n' <<<"${series[petrel_resync_open_mode]}" | sort -u | xargs)," \
    "changes seen $(sorted petrel_resync_open_changes | sort -u | xargs)."
  echo
  echo "Per round (in order), all bodies ÷ A: $(per_round petrel_bodies_all raw_s);" \
    "÷ B: $(per_round petrel_bodies_all mbsync_s)."
} >"$result"
echo
cat "$result"
echo
log "saved to $result"
