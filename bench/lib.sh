# Helpers of bench/run.sh: figures, noise accounting, worlds and runs.
# Sourced by run.sh inside the benchmark's network namespace.

results="$BENCH_DIR/results.txt"
commands="$BENCH_DIR/commands.txt"
mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
: >"$results"
: >"$commands"
dns_port=5300
smtp_port=2525
https_port=8443
sim_pid=""
sampler_pid=""

# Stop what this script started, also when it is interrupted.
bench_cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
  wait 2>/dev/null
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

say() {
  echo "$*" | tee -a "$results"
}

# fig SCENARIO NAME VALUE UNIT [NOTE...]: one figure line.
fig() {
  local scenario=$1 name=$2 value=$3 unit=$4
  shift 4
  printf '%-8s %-26s %12s %-9s %s\n' "$scenario" "$name" "$value" "$unit" \
    "$*" | tee -a "$results"
}

# cmd LABEL COMMAND...: log the exact command of a run.
cmd() {
  local label=$1
  shift
  printf '# %s: %s\n' "$label" "$*" | tee -a "$results" >>"$commands"
}

bench_header() {
  local model cores commit dirty=""
  model=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
  cores=$(nproc)
  commit=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)
  git -C "$top" diff --quiet HEAD 2>/dev/null || dirty=" (work tree modified)"
  say "# listclean benchmark $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  say "# machine: $cores cores, $model, $(uname -sr)"
  say "# commit: $commit$dirty"
  say "# network: $network"
  say "# load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  say "# columns: scenario, figure, value, unit, notes; [others N] is the"
  say "# CPU (in cores) that processes outside the benchmark used meanwhile"
}

bench_footer() {
  say "# done $(date -u '+%Y-%m-%d %H:%M:%S UTC'); results in $results"
}

# --- noise: CPU used by other processes during a run ---------------------

# Busy jiffies of the whole machine (USER_HZ, 100 per second).
cpu_busy() {
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}

# Set $children to the CPU of this shell's waited-for children, in
# hundredths of a second. `times` must run in this shell, not in a
# command substitution, whose own children are none.
children_cpu() {
  local file="$BENCH_DIR/.times"
  times >"$file"
  # "0m1.230s 0m0.450s": user and system time of the children.
  children=$(tail -n 1 "$file" | awk '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] }
    printf "%d\n", int(t * 100 + 0.5) }')
}

measure_begin() {
  m_wall=$EPOCHREALTIME
  m_busy=$(cpu_busy)
  children_cpu
  m_ours=$children
}

# Set $others (cores used by other processes) and $load (1-minute load
# average) for the run since measure_begin. Call it after waiting for
# every process the run started.
measure_end() {
  local wall busy ours
  wall=$(echo "$EPOCHREALTIME $m_wall" | awk '{ print $1 - $2 }')
  busy=$(($(cpu_busy) - m_busy))
  children_cpu
  ours=$((children - m_ours))
  others=$(echo "$busy $ours $wall" |
    awk '{ o = ($1 - $2) / 100 / $3; if (o < 0) o = 0; printf "%.2f", o }')
  load=$(cut -d' ' -f1 /proc/loadavg)
  noise="[others $others, load $load]"
}

# attempt FUNCTION ARGS...: run FUNCTION until the other processes used at
# most BENCH_NOISE cores meanwhile, at most BENCH_TRIES times. The last
# attempt's figures stand; a noisy one is marked.
attempt() {
  local try=1
  while :; do
    "$@"
    if awk -v o="$others" -v n="$BENCH_NOISE" 'BEGIN { exit !(o <= n) }'; then
      return 0
    fi
    if [ "$try" -ge "$BENCH_TRIES" ]; then
      noise="[others $others, load $load, NOISY]"
      return 0
    fi
    say "# $1: other processes used $others cores, running again"
    try=$((try + 1))
  done
}

# --- worlds --------------------------------------------------------------

# make_world DIR MIX DOMAINS ADDRESSES [ROWS]: generate once per
# parameters. MIX is a --profile-mix value, empty for simworld's default.
make_world() {
  local dir=$1 mix=$2 domains=$3 addresses=$4 rows=${5:-$4}
  local params="seed=$BENCH_SEED domains=$domains addresses=$addresses"
  params="$params rows=$rows mx=$BENCH_MX_HOSTS mix=$mix"
  if [ -f "$dir/input.csv" ] && [ "$(cat "$dir/params" 2>/dev/null)" = "$params" ]; then
    return 0
  fi
  rm -rf "$dir"
  local args=(gen --seed "$BENCH_SEED" --domains "$domains"
    --addresses "$addresses" --rows "$rows" --mx-hosts "$BENCH_MX_HOSTS"
    --out "$dir")
  [ -n "$mix" ] && args+=(--profile-mix "$mix")
  cmd "world $(basename "$dir")" simworld "${args[@]}"
  "$sim" "${args[@]}" >/dev/null || die "simworld gen failed"
  echo "$params" >"$dir/params"
}

# start_world DIR LATENCY_MS: serve DIR on simworld's core (CPU 1). The
# share of throttled identity answers is $throttle_pct (simworld's default
# 10 when empty).
start_world() {
  local dir=$1 latency=$2 i=0
  rm -f "$dir/serve.out" "$dir/stats.json"
  sim_args=(serve --world "$dir" --dns "127.0.0.1:$dns_port"
    --smtp-port "$smtp_port" --https-port "$https_port"
    --latency-ms "$latency" --tarpit-ms "$BENCH_TARPIT_MS"
    --greylist-s "$BENCH_GREYLIST_S" --stats "$dir/stats.json")
  [ -n "${throttle_pct:-}" ] && sim_args+=(--throttle-pct "$throttle_pct")
  taskset -c 1 "$sim" "${sim_args[@]}" >"$dir/serve.out" 2>"$dir/serve.err" &
  sim_pid=$!
  until grep -q ready "$dir/serve.out" 2>/dev/null; do
    kill -0 "$sim_pid" 2>/dev/null || die "simworld serve failed: $(cat "$dir/serve.err")"
    [ $i -ge 300 ] && die "simworld serve not ready after 30 s"
    sleep 0.1
    i=$((i + 1))
  done
  tcp_baseline=$(awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "inuse") print $(i + 1) }' /proc/net/sockstat)
}

stop_world() {
  kill -TERM "$sim_pid" 2>/dev/null
  wait "$sim_pid" 2>/dev/null
  sim_pid=""
}

# The sampler creates SERIES.csv.ready once its SIGTERM handler is set.
start_sampler() {
  local i=0
  rm -f "$1/series.csv.ready"
  python3 "$compare" sampler "$sim_pid" "$1/stats.json" "$1/series.csv" &
  sampler_pid=$!
  until [ -f "$1/series.csv.ready" ] || [ $i -ge 100 ]; do
    sleep 0.05
    i=$((i + 1))
  done
}

stop_sampler() {
  kill -TERM "$sampler_pid" 2>/dev/null
  wait "$sampler_pid" 2>/dev/null
  sampler_pid=""
}

# --- listclean runs ------------------------------------------------------

# Options of every network run against a served world.
net_options() {
  local dir=$1
  net_args=(--dns-server "127.0.0.1:$dns_port" --dns-timeout 2
    --smtp-port "$smtp_port" --allow-private-mx
    --helo probe.listclean.test --from check@probe.listclean.test
    --connect-timeout 1 --command-timeout 2 --greylist-retry 1
    --greylist-max-wait 20 --backoff 1
    --max-connections "$BENCH_MAX_CONNECTIONS"
    --per-mx-connections "$BENCH_PER_MX"
    --rcpt-per-session "$BENCH_RCPT_PER_SESSION"
    --connect-rate 100000 --rcpt-rate 100000000
    --identity-url "https://127.0.0.1:$https_port" --ca-file "$dir/ca.pem"
    --identity-rate 10000 --seed 7)
  window_args=(--max-rows-in-flight "$BENCH_WINDOW")
}

# run_lc CPUS LABEL ARGS...: run listclean pinned to CPUS under
# /usr/bin/time; sets lc_wall lc_user lc_sys lc_rss_kb lc_status.
run_lc() {
  local cpus=$1 label=$2 timefile="$BENCH_DIR/.time"
  shift 2
  cmd "$label" taskset -c "$cpus" listclean "$@"
  /usr/bin/time -o "$timefile" -f '%e %U %S %M %x' \
    taskset -c "$cpus" "$lc" "$@" 2>"$BENCH_DIR/listclean.err"
  # /usr/bin/time puts a line before the figures when the status is not 0.
  read -r lc_wall lc_user lc_sys lc_rss_kb lc_status < <(tail -n 1 "$timefile")
  [ "$lc_status" = 0 ] ||
    say "# $label: listclean exited with status $lc_status:" \
      "$(tail -n 3 "$BENCH_DIR/listclean.err")"
}

# Figures every listclean run has: rows/s, CPU per row, peak RSS.
lc_figures() {
  local scenario=$1 rows=$2
  fig "$scenario" rows_per_s "$(awk -v r="$rows" -v w="$lc_wall" 'BEGIN { printf "%.0f", r / w }')" rows/s \
    "$rows rows in $lc_wall s $noise"
  fig "$scenario" cpu_per_row "$(awk -v r="$rows" -v u="$lc_user" -v s="$lc_sys" 'BEGIN { printf "%.2f", (u + s) * 1e6 / r }')" us \
    "user $lc_user s + sys $lc_sys s"
  fig "$scenario" peak_rss "$(awk -v k="$lc_rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')" MiB
}

# key value lines of compare.py as shell variables: cv_NAME=VALUE.
load_values() {
  local key value
  while read -r key value; do
    case $key in
    *[!a-z0-9_]* | "") ;;
    *) printf -v "cv_$key" '%s' "$value" ;;
    esac
  done <"$1"
}

# head_csv IN N OUT: header and first N records of IN.
head_csv() {
  python3 "$compare" head "$1" "$2" "$3"
}
