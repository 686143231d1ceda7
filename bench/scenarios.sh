# Scenarios of bench/run.sh. Each prints its figures with fig().

# Data rows of a world's export.
truth_rows() {
  echo $(($(wc -l <"$1/truth.csv") - 1))
}

file_size() {
  stat -c %s "$1"
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

per_second() {
  awk -v n="$1" -v w="$2" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }'
}

# --- network runs ----------------------------------------------------------

net_throughput() {
  local scenario=$1 dir=$2 latency=$3
  rm -f "$dir/out.csv.zst" "$dir/series.csv"
  measure_begin
  start_world "$dir" "$latency"
  cmd "$scenario world" simworld "${sim_args[@]}"
  start_sampler "$dir"
  run_lc 0 "$scenario throughput" "${net_args[@]}" "${window_args[@]}" \
    "$dir/input.csv" -o "$dir/out.csv.zst"
  stop_sampler
  stop_world
  measure_end
}

net_latency() {
  local scenario=$1 dir=$2 latency=$3
  measure_begin
  start_world "$dir" "$latency"
  cmd "$scenario latency" "taskset -c 1 compare.py feed input.csv |" \
    taskset -c 0 listclean "${net_args[@]}" --no-zstd - \
    "| taskset -c 1 compare.py drain"
  taskset -c 1 python3 "$compare" feed "$dir/input.csv" "$dir/feed.bin" |
    taskset -c 0 "$lc" "${net_args[@]}" --no-zstd - 2>"$BENCH_DIR/listclean.err" |
    taskset -c 1 python3 "$compare" drain "$dir/out.plain.csv" "$dir/drain.bin"
  stop_world
  measure_end
}

# net_scenario NAME DIR LATENCY_MS: throughput, traffic, accuracy and
# latency figures of listclean on a served world.
net_scenario() {
  local scenario=$1 dir=$2 latency=$3 rows plain
  rows=$(truth_rows "$dir")
  net_options "$dir"
  say "# $scenario: $rows rows, SMTP reply latency $latency ms"
  attempt net_throughput "$scenario" "$dir" "$latency"
  lc_figures "$scenario" "$rows"
  python3 "$compare" stats "$dir/stats.json" >"$dir/stats.txt"
  load_values "$dir/stats.txt"
  fig "$scenario" smtp_sessions_per_s "$(per_second "$cv_sessions" "$lc_wall")" 1/s \
    "$cv_sessions sessions, end to end"
  fig "$scenario" smtp_rcpts_per_s "$(per_second "$cv_rcpts" "$lc_wall")" 1/s \
    "$cv_rcpts RCPTs, end to end"
  fig "$scenario" peak_conns_per_mx "$cv_peak_per_mx" conns \
    "busiest: $cv_busiest_mx (limit --per-mx-connections $BENCH_PER_MX)"
  python3 "$compare" series "$dir/series.csv" "$tcp_baseline" >"$dir/series.txt"
  load_values "$dir/series.txt"
  fig "$scenario" peak_open_sessions "$cv_peak_open_sessions" conns \
    "sampled every 0.1 s"
  fig "$scenario" peak_rcpts_per_s "$cv_peak_rcpts_per_s" 1/s "best 5 s window"
  fig "$scenario" peak_sessions_per_s "$cv_peak_sessions_per_s" 1/s "best 5 s window"
  plain="$dir/out.csv"
  zstd -q -d -f "$dir/out.csv.zst" -o "$plain"
  fig "$scenario" zstd_ratio "$(ratio "$(file_size "$plain")" "$(file_size "$dir/out.csv.zst")")" x \
    "$(file_size "$plain") bytes of CSV"
  python3 "$compare" accuracy "$plain" "$dir/truth.csv" >"$dir/accuracy.txt"
  load_values "$dir/accuracy.txt"
  fig "$scenario" exact_accuracy "$cv_exact_accuracy" "" "status and reason equal truth"
  fig "$scenario" three_class_accuracy "$cv_three_class_accuracy" "" \
    "wrong definite $cv_wrong_definite, unknown $cv_unknown_share"
  grep '^miss' "$dir/accuracy.txt" | sed "s/^/# $scenario /" | tee -a "$results"
  if [ "$latency" != 0 ]; then
    bound_figures "$scenario" "$dir" "$latency" "$rows"
  fi
  attempt net_latency "$scenario" "$dir" "$latency"
  python3 "$compare" latency "$dir/input.csv" "$dir/feed.bin" \
    "$dir/out.plain.csv" "$dir/drain.bin" >"$dir/latency.txt"
  load_values "$dir/latency.txt"
  fig "$scenario" row_latency_p50 "$cv_p50_s" s "read to written $noise"
  fig "$scenario" row_latency_p99 "$cv_p99_s" s "max $cv_p100_s s, $cv_rows rows"
  fig "$scenario" latency_run_rows_per_s "$(per_second "$cv_rows" "$cv_run_s")" rows/s \
    "pipes, plain CSV, default --max-rows-in-flight"
  [ "$BENCH_KEEP" = 1 ] || rm -f "$dir/out.plain.csv" "$dir/feed.bin" "$dir/drain.bin"
}

bound_figures() {
  local scenario=$1 dir=$2 latency=$3 rows=$4 measured
  python3 "$compare" bound "$dir" "$dir/truth.csv" "$latency" \
    "$BENCH_PER_MX" "$BENCH_MAX_CONNECTIONS" "$BENCH_RCPT_PER_SESSION" \
    "$BENCH_GREYLIST_S" "$BENCH_TARPIT_MS" 3 >"$dir/bound.txt"
  load_values "$dir/bound.txt"
  measured=$(per_second "$rows" "$lc_wall")
  fig "$scenario" world_bound_rows_per_s "$cv_bound_rows_per_s" rows/s \
    "best possible: $cv_t_best_s s; busiest key $cv_busiest_key"
  fig "$scenario" ratio_to_bound "$(ratio "$measured" "$cv_bound_rows_per_s")" x \
    "measured rows/s over the bound"
  fig "$scenario" flat_bound_rcpts_per_s "$cv_flat_bound_rcpts_per_s" 1/s \
    "C*k/((k+4)*latency), C=$cv_flat_concurrency k=$BENCH_RCPT_PER_SESSION"
}

# The CPU-bound worlds also answer every identity request at once: a
# throttled answer makes listclean wait 10 s before it asks again.
scenario_net0() {
  local dir="$BENCH_DIR/world-fast" throttle_pct=0
  make_world "$dir" "$BENCH_FAST_MIX" "$BENCH_DOMAINS" "$BENCH_ADDRESSES"
  net_scenario net0 "$dir" 0
}

scenario_net50() {
  local dir="$BENCH_DIR/world"
  make_world "$dir" "$BENCH_MIX" "$BENCH_DOMAINS" "$BENCH_ADDRESSES"
  net_scenario "net$BENCH_LATENCY_MS" "$dir" "$BENCH_LATENCY_MS"
  net50_out="$dir/out.csv"
}

scenario_net1m() {
  local dir="$BENCH_DIR/world1m" rows throttle_pct=0
  make_world "$dir" "$BENCH_FAST_MIX" $((BENCH_NET1M_ADDRESSES / 5)) \
    "$BENCH_NET1M_ADDRESSES"
  rows=$(truth_rows "$dir")
  net_options "$dir"
  say "# net1m: $rows rows, SMTP reply latency 0 ms"
  attempt net_throughput net1m "$dir" 0
  lc_figures net1m "$rows"
  zstd -q -d -f "$dir/out.csv.zst" -o "$dir/out.csv"
  python3 "$compare" accuracy "$dir/out.csv" "$dir/truth.csv" >"$dir/accuracy.txt"
  load_values "$dir/accuracy.txt"
  fig net1m exact_accuracy "$cv_exact_accuracy" "" "status and reason equal truth"
  [ "$BENCH_KEEP" = 1 ] || rm -f "$dir/out.csv"
}

# --- peers -----------------------------------------------------------------

# peer_run LABEL TOOL TSV PARALLEL: one peer run on a fresh server.
peer_run() {
  local label=$1 tool=$2 tsv=$3 parallel=$4 dir="$BENCH_DIR/world"
  local out="$BENCH_DIR/peer-$label.csv" timefile="$BENCH_DIR/.time"
  local run
  case $tool in
  email-verify)
    run=(node -r ./preload.js email-verify.js "$tsv" "$out" "$parallel" 2000) ;;
  checkuser) run=(perl checkuser.pl "$tsv" "$out" "$parallel" 3) ;;
  esac
  measure_begin
  start_world "$dir" "$BENCH_LATENCY_MS"
  cmd "peers $label" "cd bench/peers &&" PEER_DNS=127.0.0.1:$dns_port \
    PEER_SMTP_PORT=$smtp_port taskset -c 0 "${run[@]}"
  (cd "$peers" && PEER_DNS="127.0.0.1:$dns_port" PEER_SMTP_PORT=$smtp_port \
    /usr/bin/time -o "$timefile" -f '%e %U %S %M %x' \
    taskset -c 0 "${run[@]}" 2>"$BENCH_DIR/peer.err")
  read -r lc_wall lc_user lc_sys lc_rss_kb lc_status < <(tail -n 1 "$timefile")
  [ "$lc_status" = 0 ] ||
    say "# peers $label: exited with status $lc_status: $(tail -n 3 "$BENCH_DIR/peer.err")"
  stop_world
  measure_end
}

peer_figures() {
  local label=$1 tool=$2 rows=$3 out="$BENCH_DIR/peer-$1.csv"
  python3 "$compare" peer "$tool" "$out" "$BENCH_DIR/world/truth.csv" \
    >"$BENCH_DIR/peer-$label.txt"
  load_values "$BENCH_DIR/peer-$label.txt"
  python3 "$compare" stats "$BENCH_DIR/world/stats.json" >"$BENCH_DIR/peer-$label.stats"
  load_values "$BENCH_DIR/peer-$label.stats"
  fig "$label" rows_per_s "$(per_second "$rows" "$lc_wall")" rows/s \
    "$rows rows in $lc_wall s, sample $noise"
  fig "$label" three_class_accuracy "$cv_three_class_accuracy" "" \
    "wrong definite $cv_wrong_definite, unknown $cv_unknown_share"
  fig "$label" peak_conns_per_mx "$cv_peak_per_mx" conns "busiest: $cv_busiest_mx"
  say "# $label matrix (truth>verdict): $cv_matrix"
}

lc_sample_run() {
  local dir="$BENCH_DIR/world"
  measure_begin
  start_world "$dir" "$BENCH_LATENCY_MS"
  run_lc 0 "peers listclean" "${net_args[@]}" "${window_args[@]}" \
    "$BENCH_DIR/sample.csv" \
    -o "$BENCH_DIR/sample-out.csv"
  stop_world
  measure_end
}

scenario_peers() {
  local dir="$BENCH_DIR/world" n=$BENCH_PEER_ROWS s=$BENCH_PEER_SERIAL_ROWS
  make_world "$dir" "$BENCH_MIX" "$BENCH_DOMAINS" "$BENCH_ADDRESSES"
  say "# peers: first $n rows (first $s for one-at-a-time runs) of the" \
    "world's export, SMTP reply latency $BENCH_LATENCY_MS ms"
  python3 "$compare" sample "$dir/input.csv" "$n" "$BENCH_DIR/sample.tsv"
  head -n "$s" "$BENCH_DIR/sample.tsv" >"$BENCH_DIR/sample-serial.tsv"
  head_csv "$dir/input.csv" "$n" "$BENCH_DIR/sample.csv"
  net_options "$dir"
  attempt lc_sample_run
  python3 "$compare" accuracy "$BENCH_DIR/sample-out.csv" "$dir/truth.csv" \
    "$BENCH_DIR/sample.tsv" >"$BENCH_DIR/peer-listclean.txt"
  load_values "$BENCH_DIR/peer-listclean.txt"
  fig listclean rows_per_s "$(per_second "$n" "$lc_wall")" rows/s \
    "$n rows in $lc_wall s, sample $noise"
  fig listclean three_class_accuracy "$cv_three_class_accuracy" "" \
    "wrong definite $cv_wrong_definite, unknown $cv_unknown_share"
  say "# listclean matrix (truth>verdict): $cv_matrix"
  if [ -n "${net50_out:-}" ] && [ -f "$net50_out" ]; then
    python3 "$compare" accuracy "$net50_out" "$dir/truth.csv" \
      "$BENCH_DIR/sample.tsv" >"$BENCH_DIR/peer-listclean-full.txt"
    load_values "$BENCH_DIR/peer-listclean-full.txt"
    fig listclean three_class_in_full "$cv_three_class_accuracy" "" \
      "the same rows in the full net$BENCH_LATENCY_MS run"
  fi
  attempt peer_run ev-c1 email-verify "$BENCH_DIR/sample-serial.tsv" 1
  peer_figures ev-c1 email-verify "$s"
  attempt peer_run "ev-c$BENCH_NODE_CONCURRENCY" email-verify \
    "$BENCH_DIR/sample.tsv" "$BENCH_NODE_CONCURRENCY"
  peer_figures "ev-c$BENCH_NODE_CONCURRENCY" email-verify "$n"
  attempt peer_run cu-w1 checkuser "$BENCH_DIR/sample-serial.tsv" 1
  peer_figures cu-w1 checkuser "$s"
  attempt peer_run "cu-w$BENCH_PERL_WORKERS" checkuser "$BENCH_DIR/sample.tsv" \
    "$BENCH_PERL_WORKERS"
  peer_figures "cu-w$BENCH_PERL_WORKERS" checkuser "$n"
}

# --- syntax mode -----------------------------------------------------------

make_syntax_input() {
  local dir="$BENCH_DIR/syntax" rows=$BENCH_SYNTAX_ROWS
  local addresses=$((rows / 10 > 1000 ? rows / 10 : 1000))
  syntax_input="$dir/input.csv"
  make_world "$dir" "" $((addresses / 10)) "$addresses" "$rows"
  syntax_rows=$(truth_rows "$dir")
}

syntax_run() {
  local cpus=$1 label=$2 input=$3
  shift 3
  measure_begin
  run_lc "$cpus" "$label" --checks syntax "$input" "$@"
  measure_end
}

scenario_syntax() {
  local dir="$BENCH_DIR/syntax" zsize psize
  make_syntax_input
  say "# syntax: $syntax_rows rows of $(file_size "$syntax_input") bytes," \
    "--checks syntax"
  attempt syntax_run 0 "syntax zstd" "$syntax_input" -o "$dir/out.csv.zst"
  lc_figures syntax-zst "$syntax_rows"
  syntax_rss_kb=$lc_rss_kb
  zsize=$(file_size "$dir/out.csv.zst")
  rm -f "$dir/out.csv.zst"
  attempt syntax_run 0,1 "syntax zstd workers" "$syntax_input" \
    --zstd-workers 1 -o "$dir/out.csv.zst"
  lc_figures syntax-w1 "$syntax_rows"
  rm -f "$dir/out.csv.zst"
  attempt syntax_run 0 "syntax plain" "$syntax_input" -o "$dir/out.csv"
  lc_figures syntax-csv "$syntax_rows"
  psize=$(file_size "$dir/out.csv")
  rm -f "$dir/out.csv"
  fig syntax zstd_ratio "$(ratio "$psize" "$zsize")" x "$psize bytes of CSV, level 3"
  fig syntax input_rate "$(awk -v b="$(file_size "$syntax_input")" -v w="$lc_wall" 'BEGIN { printf "%.0f", b / w / 1048576 }')" MiB/s \
    "plain CSV run"
}

scenario_rss() {
  local dir="$BENCH_DIR/syntax" n
  make_syntax_input
  for n in 100000 1000000; do
    [ "$n" -lt "$syntax_rows" ] || continue
    head_csv "$syntax_input" "$n" "$dir/head.csv"
    attempt syntax_run 0 "rss $n rows" "$dir/head.csv" -o "$dir/head.csv.zst"
    fig rss "syntax_${n}_rows" "$(awk -v k="$lc_rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')" MiB "$noise"
    rm -f "$dir/head.csv" "$dir/head.csv.zst"
  done
  if [ -z "${syntax_rss_kb:-}" ]; then
    attempt syntax_run 0 "rss $syntax_rows rows" "$syntax_input" -o "$dir/out.csv.zst"
    syntax_rss_kb=$lc_rss_kb
    rm -f "$dir/out.csv.zst"
  fi
  fig rss "syntax_${syntax_rows}_rows" "$(awk -v k="$syntax_rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')" MiB
}
