#!/bin/sh
# Stopping network runs. SIGINT while SMTP probes to slow (tarpit) hosts
# are in flight leaves a valid zstd output, a report and a prefix that
# --resume completes. With --finish-on-stop every row read is written. A
# second SIGINT exits at once and still leaves a valid output.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc="$LISTCLEAN_TOP/build/listclean"
w="$tap_tmp/world"
dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)

# About one host in ten is a tarpit that sends every reply 1.5 s late, so
# a session there takes over 6 s and is still running at the stop.
"$SIMWORLD" gen --seed 20261205 --domains 150 --addresses 1000 --out "$w" \
  --profile-mix smtp:tarpit=100 >/dev/null
tap_eq "world generated" 0 $?
"$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port "$https_port" --tarpit-ms 1500 \
  --greylist-s 1 >"$w/serve.out" 2>"$w/serve.err" &
sim=$!
tap_cleanup_pid $sim
i=0
until grep -q ready "$w/serve.out" || [ $i -ge 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
tap_check "simworld ready" grep -q ready "$w/serve.out"

# run_listclean OUTPUT OPTIONS...: clean the world's input in the
# background with every check on; sets $pid.
run_listclean() {
  out=$1
  shift
  timeout --foreground 120 "$lc" --dns-server "127.0.0.1:$dns_port" --dns-timeout 0.5 \
    --smtp-port "$smtp_port" --allow-private-mx \
    --helo probe.listclean.test --from check@probe.listclean.test \
    --connect-timeout 1 --command-timeout 5 --greylist-retry 1 \
    --greylist-max-wait 10 --backoff 1 --per-mx-connections 8 \
    --connect-rate 1000 --rcpt-rate 1000000 \
    --identity-url "https://127.0.0.1:$https_port" --ca-file "$w/ca.pem" \
    --identity-rate 1000 --seed 7 "$@" "$w/input.csv" -o "$out" &
  pid=$!
}

# check_output REPORT OUTPUT: print "ROWS IN_ORDER CONSISTENT NOT_CHECKED":
# the data rows of OUTPUT, whether their ids are the first ids of the
# input in order, whether the report's counts add up to the rows, and how
# many rows are unknown/not_checked.
check_output() {
  python3 - "$1" "$2" "$w/input.csv" <<'PY'
import csv, io, json, subprocess, sys
report = json.load(open(sys.argv[1]))
text = subprocess.run(["zstd", "-q", "-d", "-c", sys.argv[2]],
                      capture_output=True).stdout.decode()
rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
with open(sys.argv[3], newline="") as f:
    ids = [r[0] for r in list(csv.reader(f))[1:]]
reason_at = 8 + 1  # eight input columns, then status, reason
in_order = [r[0] for r in rows] == ids[:len(rows)]
r = report["rows"]
sums = {r["in_output"], r["resumed"] + r["written"],
        sum(report["status"].values()), sum(report["reason"].values()),
        sum(m["rows"] for m in report["mx"]["top"]) + report["mx"]["other"]
        + report["mx"]["none"]}
not_checked = sum(1 for row in rows if row[reason_at] == "not_checked")
print(len(rows), in_order, sums == {len(rows)}, not_checked)
PY
}

report_field() {
  python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))$2))" "$1"
}

# --- SIGINT: the finished prefix, then --resume ---------------------------

run_listclean "$w/stop.csv.zst" --stop-deadline 1 --report "$w/stop.json" \
  2>"$w/stop.err"
sleep 3
kill -INT $pid
wait $pid
tap_eq "SIGINT exit status" 3 $?
tap_check "SIGINT leaves valid zstd" zstd -q -t "$w/stop.csv.zst"
tap_eq "SIGINT report stopped early" true \
  "$(report_field "$w/stop.json" '["stopped_early"]')"
tap_eq "SIGINT report signal" '"SIGINT"' \
  "$(report_field "$w/stop.json" '["stop_signal"]')"
tap_check "SIGINT cut rows in flight" \
  [ "$(report_field "$w/stop.json" '["rows"]["cut_by_stop"]')" -gt 0 ]
set -- $(check_output "$w/stop.json" "$w/stop.csv.zst")
echo "# stopped after $1 rows"
tap_eq "SIGINT prefix in input order" True "$2"
tap_eq "SIGINT report adds up" True "$3"
tap_check "SIGINT deadline message" \
  grep -q "stop deadline reached with [0-9]* rows\{0,1\} unfinished" "$w/stop.err"
zstd -q -d -c "$w/stop.csv.zst" >"$w/prefix.csv"

run_listclean "$w/stop.csv.zst" --resume --report "$w/resume.json" \
  2>"$w/resume.err"
wait $pid
tap_eq "resume exit status" 0 $?
set -- $(check_output "$w/resume.json" "$w/stop.csv.zst")
tap_eq "resume writes every row" 1000 "$1"
tap_eq "resume rows in input order" True "$2"
tap_eq "resume report adds up" True "$3"
zstd -q -d -c "$w/stop.csv.zst" | head -c "$(wc -c <"$w/prefix.csv")" |
  cmp -s "$w/prefix.csv" -
tap_eq "resume keeps the stopped prefix" 0 $?

# --- --finish-on-stop: every row read is written ------------------------

run_listclean "$w/finish.csv.zst" --stop-deadline 1 --finish-on-stop \
  --report "$w/finish.json" 2>"$w/finish.err"
sleep 3
kill -INT $pid
wait $pid
tap_eq "finish-on-stop exit status" 3 $?
tap_check "finish-on-stop leaves valid zstd" zstd -q -t "$w/finish.csv.zst"
set -- $(check_output "$w/finish.json" "$w/finish.csv.zst")
tap_eq "finish-on-stop writes every row" 1000 "$1"
tap_eq "finish-on-stop rows in input order" True "$2"
tap_eq "finish-on-stop report adds up" True "$3"
cut=$(report_field "$w/finish.json" '["rows"]["cut_by_stop"]')
tap_check "finish-on-stop cut rows ($cut) are not_checked ($4)" \
  [ "$cut" -gt 0 ] && [ "$4" -ge "$cut" ]

# --- a second SIGINT exits at once ----------------------------------------

run_listclean "$w/twice.csv.zst" --stop-deadline 60 \
  --report "$w/twice.json" 2>"$w/twice.err"
sleep 3
kill -INT $pid
sleep 0.5
start=$(date +%s)
kill -INT $pid
wait $pid
tap_eq "second SIGINT exit status" 3 $?
tap_check "second SIGINT exits at once" [ $(($(date +%s) - start)) -le 2 ]
tap_check "second SIGINT leaves valid zstd" zstd -q -t "$w/twice.csv.zst"
tap_eq "second SIGINT report stopped early" true \
  "$(report_field "$w/twice.json" '["stopped_early"]')"
set -- $(check_output "$w/twice.json" "$w/twice.csv.zst")
tap_eq "second SIGINT report adds up" True "$3"
tap_check "second SIGINT message" grep -q "SIGINT received again" \
  "$w/twice.err"

tap_done
