#!/bin/sh
# Spilling finished rows to disk: with a window of 60 rows and many
# greylisting hosts, rows finished behind a greylisted one go to the spill
# file so that reading goes on. The output must be byte for byte the one a
# window holding the whole input writes. A spill directory that does not
# exist turns spilling off with a warning, and a stop followed by --resume
# still gives the same file.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc="$LISTCLEAN_TOP/build/listclean"
w="$tap_tmp/world"
dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)

# Greylisting hosts and no profile that depends on timing (silent hosts,
# tarpits, gateways whose verdict waits for evidence).
"$SIMWORLD" gen --seed 5 --domains 150 --addresses 600 --out "$w" \
  --profile-mix smtp:greylist=500,smtp:silent=0,smtp:tarpit=0,smtp:gw_reject=0,smtp:gw_validate=0,dns:silent=0 \
  >/dev/null
tap_eq "world generated" 0 $?

# serve LABEL [OPTION...]: start simworld afresh (greylisting starts over)
# for at most 120 s with --greylist-s 1 or OPTION..., and wait for its
# ready line.
serve() {
  label=$1
  shift
  [ $# -gt 0 ] || set -- --greylist-s 1
  timeout 120 "$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" \
    --smtp-port "$smtp_port" --https-port "$https_port" \
    --throttle-pct 0 "$@" >"$w/$label.serve.out" 2>"$w/$label.serve.err" &
  sim=$!
  tap_cleanup_pid $sim
  tap_wait_ready "$label: simworld ready" $sim "$w/$label.serve.out"
}

stop_world() {
  kill -TERM $sim
  wait $sim 2>/dev/null
}

# clean LABEL OPTION...: listclean on the world's export, the options of
# accuracy.sh plus OPTION..., output WORLD/LABEL.csv and report
# WORLD/LABEL.json. With background=1 it runs in the background and its
# process ID goes to lc_pid.
clean() {
  label=$1
  shift
  if [ "${background:-0}" = 1 ]; then
    lc_run "$@" &
    lc_pid=$!
  else
    (lc_run "$@")
  fi
}

lc_run() {
  exec timeout 120 "$lc" --dns-server "127.0.0.1:$dns_port" --dns-timeout 2 \
    --smtp-port "$smtp_port" --allow-private-mx \
    --helo probe.listclean.test --from check@probe.listclean.test \
    --connect-timeout 1 --command-timeout 2 --greylist-retry 1 \
    --greylist-max-wait 20 --backoff 1 --connect-rate 1000 \
    --rcpt-rate 1000000 --identity-url "https://127.0.0.1:$https_port" \
    --ca-file "$w/ca.pem" --identity-rate 1000 --seed 7 \
    --report "$w/$label.json" "$@" "$w/input.csv" -o "$w/$label.csv" \
    2>"$w/$label.err"
}

# rows FILE: data rows of a CSV file.
rows() {
  python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))) - 1)' "$1"
}

# report LABEL KEY: rows.KEY of WORLD/LABEL.json.
report() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["rows"][sys.argv[2]])' \
    "$w/$1.json" "$2"
}

# --- spilling with a small window ---------------------------------------
serve spill
clean spill --max-rows-in-flight 60 --spill-dir "$tap_tmp"
tap_eq "spill: exit status" 0 $?
stop_world
python3 "$LISTCLEAN_TOP/tests/accuracy.py" "$w/spill.csv" "$w/truth.csv" \
  >"$w/spill.accuracy"
sed 's/^/# /' "$w/spill.accuracy" | head -n 10
tap_eq "spill: every row written" "rows 600" \
  "$(grep '^rows' "$w/spill.accuracy")"
tap_eq "spill: verdicts match truth" "mismatches 0" \
  "$(grep '^mismatches' "$w/spill.accuracy")"
spilled=$(report spill spilled)
echo "# rows spilled: $spilled, peak $(report spill spill_peak_bytes) bytes"
tap_check "spill: rows went to the spill file" [ "$spilled" -gt 50 ]
tap_check "spill: the spill file held bytes" \
  [ "$(report spill spill_peak_bytes)" -gt 1000 ]
tap_eq "spill: no spill file left behind" "" \
  "$(ls "$tap_tmp" | grep listclean-spill)"

# --- the reference: a window that holds the whole input -----------------
serve whole
clean whole --max-rows-in-flight 5000
tap_eq "whole: exit status" 0 $?
stop_world
tap_eq "whole: nothing spilled" 0 "$(report whole spilled)"
cmp -s "$w/spill.csv" "$w/whole.csv"
tap_eq "spilled output equals the whole-window output" 0 $?

# --- a spill directory that does not exist ------------------------------
# Given with --spill-dir, it is refused before anything is written. Taken
# from $TMPDIR, it turns spilling off with a warning at the first spill.
clean baddir --max-rows-in-flight 60 --spill-dir "$tap_tmp/missing"
tap_eq "missing --spill-dir: exit status 1" 1 $?
tap_eq "missing --spill-dir: the message names it" \
  "listclean: error: invalid --spill-dir $tap_tmp/missing: No such file or directory; give a directory this user can write to, or --max-spill 0 to keep every row in memory" \
  "$(cat "$w/baddir.err")"
tap_check "missing --spill-dir: no output written" [ ! -e "$w/baddir.csv" ]
tap_eq "missing --spill-dir: the report has the error" 1 \
  "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["exit_code"])' \
    "$w/baddir.json")"
serve nodir
TMPDIR="$tap_tmp/missing" clean nodir --max-rows-in-flight 60
tap_eq "missing TMPDIR: exit status" 0 $?
stop_world
tap_check "missing TMPDIR: the warning names it" \
  grep -q "cannot create a spill file in $tap_tmp/missing" "$w/nodir.err"
tap_eq "missing TMPDIR: nothing spilled" 0 "$(report nodir spilled)"
cmp -s "$w/nodir.csv" "$w/whole.csv"
tap_eq "missing TMPDIR: same output" 0 $?

# --- stop while rows are spilled, then --resume ----------------------------
serve stop
background=1 clean stop --max-rows-in-flight 60 --stop-deadline 0.2
sleep 1.5
kill -TERM $lc_pid
wait $lc_pid
tap_eq "stop: exit status 3" 3 $?
cut_rows=$(rows "$w/stop.csv")
echo "# rows written before the stop: $cut_rows"
tap_check "stop: a proper prefix" [ "$cut_rows" -lt 600 ]
tap_check "stop: some rows spilled" [ "$(report stop spilled)" -gt 0 ]
head -c "$(stat -c %s "$w/stop.csv")" "$w/whole.csv" | cmp -s - "$w/stop.csv"
tap_eq "stop: the output is a prefix of the whole output" 0 $?
clean stop --max-rows-in-flight 60 --resume
tap_eq "resume: exit status" 0 $?
stop_world
cmp -s "$w/stop.csv" "$w/whole.csv"
tap_eq "resume: same output as one run" 0 $?

# --- one row held while the rest finish out of order --------------------
# Only the mail host of one early row greylists, for 8 s. Replies come
# after 0 to 10 ms, so the other rows finish in no particular order. Rows
# that finish after rows behind them still join one run of spilled rows.
# Reading then goes on to the end of the input while that row waits, and
# when it is written, the rest of the input is in the spill file.
w="$tap_tmp/held"
"$SIMWORLD" gen --seed 9 --domains 400 --addresses 2000 --out "$w" \
  --profile-mix smtp:greylist=0,smtp:silent=0,smtp:tarpit=0,smtp:gw_reject=0,smtp:gw_validate=0,dns:silent=0 \
  >/dev/null
tap_eq "held: world generated" 0 $?
# Find the first of the first 50 rows whose domain has a mail host of its
# own and whose mailbox exists. Give that host the greylist modifier and
# print the row's number.
held=$(python3 - "$w" <<'PY'
import csv, sys
world = sys.argv[1]
lines = open(world + "/world").read().split("\n")
hosts, domains, domain = {}, {}, None
for line in lines:
    f = line.split()
    if f and f[0] == "H":
        hosts[f[4]] = f
    elif f and f[0] == "D":
        domain = domains.setdefault(f[1], {"mx": [], "box": {}})
    elif f and f[0] == "X":
        domain["mx"].append(f[2])
    elif f and f[0] == "M":
        domain["box"][f[1]] = f[2]
users = {}
for name, d in domains.items():
    for mx in d["mx"]:
        users.setdefault(mx, set()).add(name)
rows = list(csv.DictReader(open(world + "/input.csv", newline="")))
for number, row in enumerate(rows[:50], 1):
    local, _, name = row["email"].strip().lower().rpartition("@")
    d = domains.get(name)
    if (d is None or not d["mx"] or d["box"].get(local) != "ok"
            or any(hosts.get(mx, [])[2:4] != ["normal", "generic"]
                   or users[mx] != {name} for mx in d["mx"])):
        continue
    with open(world + "/world", "w") as out:
        for line in lines:
            f = line.split()
            if f and f[0] == "H" and f[4] in d["mx"]:
                f[2] = "normal+greylist"
                line = " ".join(f)
            out.write(line + "\n" if line else "")
    print(number)
    break
PY
)
tap_check "held: a row to hold was found" [ -n "$held" ]
echo "# row $held waits 8 s for its greylisting host"
serve held --greylist-s 8 --latency-ms 5,5
clean held --max-rows-in-flight 60 --greylist-retry 9
tap_eq "held: exit status" 0 $?
stop_world
python3 "$LISTCLEAN_TOP/tests/accuracy.py" "$w/held.csv" "$w/truth.csv" \
  >"$w/held.accuracy"
tap_eq "held: every row written" "rows 2000" \
  "$(grep '^rows' "$w/held.accuracy")"
tap_eq "held: verdicts match truth" "mismatches 0" \
  "$(grep '^mismatches' "$w/held.accuracy")"
peak=$(report held spill_peak_rows)
echo "# most rows in the spill file at once: $peak"
# Every row after the held one, except up to two windows of rows.
tap_check "held: reading went on to the end" [ "$peak" -ge $((2000 - held - 120)) ]

tap_done
