# What bench/run.sh and bench/pop3.sh share: tools, the release build, the test mail servers, a
# fresh user with a generated INBOX (removed at exit), and the report's statistics. Sourced by
# them after scripts/lib.sh, from the repository root.

COUNT=${BENCH_COUNT:-10000}
SEED=${BENCH_SEED:-1}
REPS=${BENCH_REPS:-5}

# bench_tools "apt packages" "commands": installs the packages (Debian/Ubuntu) and checks the
# commands are there.
bench_tools() {
  local packages=$1 tool
  if is_linux && have_apt; then apt_install $packages; fi
  for tool in $2; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install $packages)"
  done
}

# bench_setup PREFIX: release build, servers, then a fresh user PREFIX-… whose INBOX holds $COUNT
# corpus messages. Sets bin, host, ca, work, user, password, vsize.
bench_setup() {
  tests/servers/install.sh
  log "building the benchmarks and petrel-testkit (release)"
  cargo build --release ${CI:+--locked} -p petrel-bench -p petrel-testkit
  bin="$CARGO_TARGET_DIR/release"
  tests/servers/mailservers.sh status >/dev/null 2>&1 ||
    { log "starting the test mail servers"; tests/servers/mailservers.sh start; }
  load_server_env
  host=${PETREL_TEST_HOST:-localhost}
  ca=$PETREL_TEST_CA_FILE
  work=$(mktemp -d "/tmp/petrel-$1.XXXXXX")
  user="$1-$(date +%s)-$$@${PETREL_TEST_DOMAIN:-petrel.test}"
  password="bench-$RANDOM$RANDOM"
  trap bench_cleanup EXIT
  log "filling $user's INBOX with $COUNT corpus messages (seed $SEED)"
  "$bin/petrel-testkit" fill --user "$user" --password "$password" --count "$COUNT" \
    --seed "$SEED" >"$work/fill.out" 2>"$work/fill.err" ||
    { cat "$work/fill.err" >&2; die "fill failed"; }
  vsize=$(doveadm mailbox status -u "$user" vsize INBOX | sed 's/.*vsize=//')
}

doveadm() { command doveadm -c "$PETREL_TEST_DOVECOT_CONF" "$@"; }

# The user's mail goes (BENCH_KEEP=1 keeps it), and the scratch folder.
bench_cleanup() {
  if [ -z "${BENCH_KEEP:-}" ]; then
    doveadm expunge -u "$user" mailbox INBOX all >/dev/null 2>&1 || true
    doveadm purge -u "$user" >/dev/null 2>&1 || true
  fi
  rm -rf -- "$work"
}

# --- statistics: series of values by name, medians, spreads, ratios, verdicts -------------------
declare -A series # name -> space-separated values
add() { series[$1]="${series[$1]:-} $2"; }
sorted() { tr ' ' '\n' <<<"${series[$1]}" | grep -v '^$' | sort -g; }
med() { sorted "$1" | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
spread() { sorted "$1" | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s–%s", lo, hi}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# verdict VALUE OP LIMIT: PASS when VALUE OP LIMIT holds.
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {ok = (op == "<") ? v < l : v <= l; print ok ? "PASS" : "MISS"}'; }
# per_round A B: the ratio A/B of each round, in round order.
per_round() {
  paste -d' ' <(tr ' ' '\n' <<<"${series[$1]}" | grep -v '^$') \
    <(tr ' ' '\n' <<<"${series[$2]}" | grep -v '^$') |
    awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2}'
}
