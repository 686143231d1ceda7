#!/bin/sh
# Operating a run: the --report file, stopping with SIGINT, resuming after
# kill -9 and after a stop, full disks, exit codes, the progress line and
# the info log. Runs offline checks only (--checks syntax).
. "$LISTCLEAN_TOP/tests/lib.sh"
fx="$LISTCLEAN_TOP/tests/e2e/fixtures"
lc="$LISTCLEAN"
t=$tap_tmp
mnt="$t/small-fs"

ops_cleanup() {
  umount "$mnt" 2>/dev/null
  tap_cleanup
}
trap ops_cleanup EXIT

# report_check REPORT OUTPUT: print "consistent" when REPORT parses and its
# counts add up to the data rows of OUTPUT (a CSV or zstd CSV file with a
# header), else what is wrong.
report_check() {
  python3 - "$1" "$2" <<'PY'
import csv, io, json, subprocess, sys
report = json.load(open(sys.argv[1]))
path = sys.argv[2]
if path.endswith(".zst"):
    data = subprocess.run(["zstd", "-q", "-d", "-c", path],
                          capture_output=True).stdout
else:
    data = open(path, "rb").read()
rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8", "replace"),
                                             newline=""))) - 1
r = report["rows"]
sums = {
    "in_output": r["in_output"],
    "resumed+written": r["resumed"] + r["written"],
    "status": sum(report["status"].values()),
    "reason": sum(report["reason"].values()),
    "provider": sum(report["provider"]["rows"].values())
                + report["provider"]["none"] + report["provider"]["other"],
    "mx": sum(m["rows"] for m in report["mx"]["top"])
          + report["mx"]["other"] + report["mx"]["none"],
}
bad = [k + "=" + str(v) for k, v in sums.items() if v != rows]
print("consistent" if not bad else "file has %d rows; %s" % (rows, bad))
PY
}

# report_field REPORT EXPRESSION: print a value of the report, e.g.
# report_field r.json '["rows"]["read"]'
report_field() {
  python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))$2))" "$1"
}

# Wait up to 20 s until FILE has at least BYTES bytes.
wait_for_bytes() {
  i=0
  while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$2" ] &&
    [ $i -lt 400 ]; do
    sleep 0.05
    i=$((i + 1))
  done
}

# --- the report --------------------------------------------------------

{
  echo 'id,email,note'
  echo '1,ann@example.com,a'
  echo '2,info@example.org,b'
  echo '3,bad address,c'
  echo '4,,d'
  echo '5,ANN@example.com,"two'
  echo 'lines"'
  echo '6,x"y@example.net,broken'
} >"$t/small.csv"
"$lc" --checks syntax "$t/small.csv" -o "$t/small.out" \
  --report "$t/small.json" 2>"$t/small.err"
tap_eq "report run exit status" 0 $?
tap_eq "report counts add up" consistent \
  "$(report_check "$t/small.json" "$t/small.out")"
tap_eq "report names the address column" '{"number": 2, "name": "email"}' \
  "$(report_field "$t/small.json" '["address_column"]')"
tap_eq "report rows read" 6 "$(report_field "$t/small.json" '["rows"]["read"]')"
tap_eq "report exit code" 0 "$(report_field "$t/small.json" '["exit_code"]')"
tap_eq "report not stopped" false \
  "$(report_field "$t/small.json" '["stopped_early"]')"
tap_eq "report reasons" "1 1 1 1 2" \
  "$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["reason"]
print(*(r[k] for k in ("invalid_syntax", "missing_address", "role_account",
                       "csv_error", "not_checked")))' "$t/small.json")"
tap_eq "report checks option" '["syntax"]' \
  "$(report_field "$t/small.json" '["options"]["checks"]')"
tap_eq "report version" "\"$("$lc" --version | cut -d' ' -f2)\"" \
  "$(report_field "$t/small.json" '["version"]')"

# Paths with a quote, a backslash and a byte that is not UTF-8 still give
# valid JSON; the bad byte becomes U+FFFD.
odd="$t/$(printf 'out "q" \\ \377.csv')"
"$lc" --checks syntax "$t/small.csv" -o "$odd" --report "$t/odd.json" \
  2>/dev/null
tap_eq "report escapes output path" \
  "\"$t/out \\\"q\\\" \\\\ \\ufffd.csv\"" \
  "$(report_field "$t/odd.json" '["output"]')"

# --- kill -9, then --resume ---------------------------------------------

# 1.5 million rows; every 1000th has a quoted field with a line break, and
# every address comes back 30 times, so duplicates span the cut.
awk 'BEGIN {
  print "id,name,email,notes"
  for (i = 1; i <= 1500000; i++) {
    n = (i % 1000 == 0) ? "\"two\nlines, \"\"quoted\"\"\"" : "n" i
    printf "%d,Name %d,user%d@example%d.com,%s\n", i, i, i % 50000, i % 7, n
  }
}' >"$t/big.csv"
"$lc" --checks syntax "$t/big.csv" -o "$t/clean.csv"
tap_eq "clean run exit status" 0 $?

"$lc" --checks syntax --zstd-frame 1 "$t/big.csv" -o "$t/killed.csv.zst" &
pid=$!
wait_for_bytes "$t/killed.csv.zst" 300000
kill -9 $pid
wait $pid
tap_eq "zstd run killed mid-run" 137 $?
"$lc" --checks syntax --zstd-frame 1 --resume --report "$t/killed.json" \
  "$t/big.csv" -o "$t/killed.csv.zst" 2>"$t/killed.err"
tap_eq "zstd resume exit status" 0 $?
zstd -q -d -c "$t/killed.csv.zst" >"$t/killed.csv"
tap_check "zstd resume equals clean run" cmp -s "$t/clean.csv" "$t/killed.csv"
tap_check "zstd resume kept rows" [ "$(report_field "$t/killed.json" \
  '["rows"]["resumed"]')" -gt 0 ]
tap_eq "zstd resume report adds up" consistent \
  "$(report_check "$t/killed.json" "$t/killed.csv.zst")"

"$lc" --checks syntax "$t/big.csv" -o "$t/killed-plain.csv" &
pid=$!
wait_for_bytes "$t/killed-plain.csv" 1000000
kill -9 $pid
wait $pid
tap_eq "plain run killed mid-run" 137 $?
"$lc" --checks syntax --resume "$t/big.csv" -o "$t/killed-plain.csv" \
  2>"$t/killed-plain.err"
tap_eq "plain resume exit status" 0 $?
tap_check "plain resume equals clean run" \
  cmp -s "$t/clean.csv" "$t/killed-plain.csv"

# --- SIGINT, then --resume ----------------------------------------------

"$lc" --checks syntax --zstd-frame 1 --report "$t/int.json" "$t/big.csv" \
  -o "$t/int.csv.zst" 2>"$t/int.err" &
pid=$!
wait_for_bytes "$t/int.csv.zst" 300000
kill -INT $pid
wait $pid
tap_eq "SIGINT exit status" 3 $?
tap_check "SIGINT leaves valid zstd" zstd -q -t "$t/int.csv.zst"
tap_eq "SIGINT report stopped early" true \
  "$(report_field "$t/int.json" '["stopped_early"]')"
tap_eq "SIGINT report signal" '"SIGINT"' \
  "$(report_field "$t/int.json" '["stop_signal"]')"
tap_eq "SIGINT report exit code" 3 "$(report_field "$t/int.json" '["exit_code"]')"
tap_eq "SIGINT report adds up" consistent \
  "$(report_check "$t/int.json" "$t/int.csv.zst")"
tap_check "SIGINT message" grep -q "SIGINT received: reading stopped" \
  "$t/int.err"
"$lc" --checks syntax --zstd-frame 1 --resume "$t/big.csv" \
  -o "$t/int.csv.zst"
tap_eq "resume after SIGINT exit status" 0 $?
zstd -q -d -c "$t/int.csv.zst" | cmp -s "$t/clean.csv" -
tap_eq "resume after SIGINT equals clean run" 0 $?

# --- SIGTERM while the input pipe stalls ----------------------------------
# The writer of the FIFO sends two rows and then nothing for 20 s. The
# signal must end the run at once, with the rows read so far.

mkfifo "$t/slow.fifo"
(printf 'email\na@example.com\nb@example.com\n'; sleep 20) >"$t/slow.fifo" &
writer=$!
"$lc" --checks syntax --report "$t/slow.json" "$t/slow.fifo" \
  -o "$t/slow.csv" 2>"$t/slow.err" &
pid=$!
sleep 1
start=$(date +%s)
kill -TERM $pid
wait $pid
tap_eq "stalled pipe: SIGTERM exit status" 3 $?
tap_check "stalled pipe: exits within 5 s" [ $(($(date +%s) - start)) -le 5 ]
kill $writer 2>/dev/null
wait $writer 2>/dev/null
tap_eq "stalled pipe: rows read before the signal" \
  "a@example.com,unknown,not_checked
b@example.com,unknown,not_checked" "$(tail -n +2 "$t/slow.csv" | cut -d, -f1-3)"
tap_eq "stalled pipe: report adds up" consistent \
  "$(report_check "$t/slow.json" "$t/slow.csv")"

# --- resume refusals and fresh starts -------------------------------------

"$lc" --checks syntax --resume "$t/small.csv" -o "$t/fresh.csv" 2>"$t/fresh.err"
tap_eq "resume without output exit status" 0 $?
tap_cmp "resume without output is a normal run" "$t/small.out" "$t/fresh.csv"
tap_check "resume without output says so" \
  grep -q "nothing to resume in .*fresh.csv (no such file)" "$t/fresh.err"
: >"$t/empty.csv"
"$lc" --checks syntax --resume "$t/small.csv" -o "$t/empty.csv" 2>/dev/null
tap_cmp "resume of empty output is a normal run" "$t/small.out" "$t/empty.csv"
cp "$t/small.out" "$t/other.out"
"$lc" --checks syntax --resume "$fx/quoting.csv" -o "$t/other.out" \
  2>"$t/other.err"
tap_eq "resume of another input's output exit status" 1 $?
tap_check "resume names the header column" \
  grep -q 'header differs .* at column 2 ("email" there, "name" here)' \
  "$t/other.err"
tap_cmp "refused resume leaves the file alone" "$t/small.out" "$t/other.out"
# Same header, other rows: the output's first four rows differ from the
# input's in row 2, so the resume is refused before a row is written.
head -n 5 "$t/small.out" >"$t/edited.out"
sed 's/info@example.org/info@example.com/' "$t/small.csv" >"$t/edited.csv"
"$lc" --checks syntax --resume "$t/edited.csv" -o "$t/edited.out" \
  2>"$t/edited.err"
tap_eq "resume of an edited input exit status" 1 $?
tap_eq "resume of an edited input message" \
  "listclean: error: cannot resume: the first 4 rows of the output differ from the first 4 rows of the input; it was written from another input or another version of it" \
  "$(tail -n 1 "$t/edited.err")"
tap_eq "resume of an edited input writes no row" 5 \
  "$(wc -l <"$t/edited.out")"
# A zstd output stays byte for byte the same when the resume is refused,
# and when there is nothing left to do.
"$lc" --checks syntax "$t/small.csv" -o "$t/same.csv.zst"
cp "$t/same.csv.zst" "$t/same.orig"
"$lc" --checks syntax --resume "$t/small.csv" -o "$t/same.csv.zst"
tap_cmp "complete zstd output unchanged by --resume" "$t/same.orig" \
  "$t/same.csv.zst"
"$lc" --checks syntax --resume "$t/edited.csv" -o "$t/same.csv.zst" \
  2>/dev/null
tap_cmp "refused zstd resume leaves the file alone" "$t/same.orig" \
  "$t/same.csv.zst"
"$lc" --checks syntax --resume "$t/small.csv" -o "$t/other.out" --zstd \
  2>"$t/zst.err"
tap_eq "resume plain as zstd exit status" 1 $?
tap_check "resume plain as zstd message" \
  grep -q "it is plain CSV, but this run writes zstd" "$t/zst.err"
"$lc" --checks syntax --resume "$t/small.csv" 2>"$t/stdout.err" >/dev/null
tap_eq "resume to stdout exit status" 1 $?

# A cut inside the quoted field with a line break keeps the record whole.
head -c "$(($(grep -b -m1 '^lines' "$t/small.out" | cut -d: -f1) + 3))" \
  "$t/small.out" >"$t/cut.out"
"$lc" --checks syntax --resume "$t/small.csv" -o "$t/cut.out" 2>"$t/cut.err"
tap_cmp "resume after cut inside quoted field" "$t/small.out" "$t/cut.out"

# Without a header every record is a data row.
tail -n +2 "$t/small.csv" >"$t/nohead.csv"
"$lc" --checks syntax --no-header "$t/nohead.csv" -o "$t/nohead.out" 2>/dev/null
head -n 2 "$t/nohead.out" >"$t/nohead-cut.out"
"$lc" --checks syntax --no-header --resume "$t/nohead.csv" \
  -o "$t/nohead-cut.out" 2>/dev/null
tap_cmp "resume without header" "$t/nohead.out" "$t/nohead-cut.out"

# --- full disks -----------------------------------------------------------

if [ -w /dev/full ]; then
  "$lc" --checks syntax "$t/small.csv" -o /dev/full \
    --report "$t/full.json" 2>"$t/full.err"
  tap_eq "/dev/full exit status" 2 $?
  tap_check "/dev/full message" \
    grep -q "cannot write output /dev/full: No space left on device" \
    "$t/full.err"
  tap_eq "/dev/full report error" \
    '"cannot write output /dev/full: No space left on device"' \
    "$(report_field "$t/full.json" '["error"]')"
fi
(
  ulimit -f 200
  "$lc" --checks syntax "$t/big.csv" -o "$t/limited.csv" \
    --report "$t/limited.json" 2>"$t/limited.err"
)
tap_eq "file size limit exit status" 2 $?
tap_check "file size limit message" \
  grep -q "cannot write output .*limited.csv: File too large" "$t/limited.err"
tap_eq "file size limit report exit code" 2 \
  "$(report_field "$t/limited.json" '["exit_code"]')"
mkdir -p "$mnt"
if mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
  "$lc" --checks syntax "$t/big.csv" -o "$mnt/out.csv.zst" \
    --report "$t/tmpfs.json" 2>"$t/tmpfs.err"
  tap_eq "full tmpfs exit status" 2 $?
  tap_check "full tmpfs message" grep -q "No space left on device" \
    "$t/tmpfs.err"
  tap_eq "full tmpfs report exit code" 2 \
    "$(report_field "$t/tmpfs.json" '["exit_code"]')"
  umount "$mnt"
else
  tap_ok "full tmpfs # SKIP cannot mount a tmpfs here"
fi

# --- exit codes -----------------------------------------------------------

"$lc" --checks syntax "$t/small.csv" >/dev/null 2>&1
tap_eq "exit 0 done" 0 $?
"$lc" --stop-deadline -1 "$t/small.csv" 2>/dev/null
tap_eq "exit 1 bad option value" 1 $?
"$lc" --report "$t/usage.json" --no-such-option "$t/small.csv" 2>/dev/null
tap_eq "exit 1 unknown option" 1 $?
tap_eq "usage error report exit code" 1 \
  "$(report_field "$t/usage.json" '["exit_code"]')"
"$lc" --checks syntax "$t/missing.csv" --report "$t/missing.json" 2>/dev/null
tap_eq "exit 2 missing input" 2 $?
tap_eq "missing input report error" \
  "\"cannot open input $t/missing.csv: No such file or directory\"" \
  "$(report_field "$t/missing.json" '["error"]')"
tap_check "help lists exit status 3" \
  sh -c "'$lc' --help | grep -q '3 stopped early'"

# --- progress line and logs -----------------------------------------------

"$lc" --checks syntax --progress "$t/small.csv" -o /dev/null 2>"$t/progress.err"
tap_eq "progress final line" \
  "listclean: 6 read, 6 written, 0 rows/s, 100.0% | deliverable 0, undeliverable 2, risky 1, unknown 3" \
  "$(grep -v ': warn: ' "$t/progress.err" |
    sed 's/, [0-9]* rows\/s/, 0 rows\/s/; s/, ETA [0-9a-z]*//')"
tap_check "progress ends with a newline" \
  sh -c "[ \"\$(tail -c 1 '$t/progress.err' | od -An -c | tr -d ' ')\" = '\\n' ]"
# Standard input that starts inside a file, after the header a shell read.
{
  read -r header
  "$lc" --checks syntax --no-header --progress - -o /dev/null
} <"$t/small.csv" 2>"$t/offset.err"
tap_eq "progress of stdin read from inside a file" \
  "listclean: 6 read, 6 written, 0 rows/s, 100.0% | deliverable 0, undeliverable 2, risky 1, unknown 3" \
  "$(grep -v ': warn: ' "$t/offset.err" |
    sed 's/, [0-9]* rows\/s/, 0 rows\/s/; s/, ETA [0-9a-z]*//')"
"$lc" --checks syntax --progress -q "$t/small.csv" -o /dev/null 2>"$t/quiet.err"
tap_eq "quiet silences progress" 0 "$(wc -c <"$t/quiet.err")"

"$lc" --checks syntax --log-level info "$t/small.csv" -o /dev/null \
  2>"$t/info.err"
tap_eq "info line per row" 6 "$(grep -c 'listclean: info: row=' "$t/info.err")"
tap_eq "info line of a row" \
  'listclean: info: row=3 line=4 address="bad address" status=undeliverable reason=invalid_syntax mx="" provider="" code=""' \
  "$(grep 'row=3 ' "$t/info.err")"

# Repeated warnings are counted after the first five.
{
  echo "email"
  i=0
  while [ $i -lt 8 ]; do
    echo 'a"b@example.com'
    i=$((i + 1))
  done
} >"$t/bad.csv"
"$lc" --checks syntax "$t/bad.csv" -o /dev/null 2>"$t/bad.err"
tap_eq "repeated warnings shown five times" 5 \
  "$(grep -c 'malformed CSV record at line' "$t/bad.err")"
tap_check "repeated warnings counted" \
  grep -q "8 'malformed CSV record' warnings in all (3 not shown)" "$t/bad.err"

# --- the report never replaces the input, the output or a FIFO ----------
cp "$fx/quoting.csv" "$t/rep-in.csv"
"$lc" --checks syntax -q "$t/rep-in.csv" -o "$t/rep-out.csv" \
  --report "$t/rep-in.csv" 2>"$t/rep-in.err"
tap_eq "report named like the input: usage error" 1 $?
tap_check "report named like the input: message" \
  grep -q "the report $t/rep-in.csv is the input file" "$t/rep-in.err"
cmp -s "$fx/quoting.csv" "$t/rep-in.csv"
tap_eq "report named like the input: input unchanged" 0 $?
"$lc" --checks syntax -q "$t/rep-in.csv" -o "$t/rep-out.csv" \
  --report "$t/rep-out.csv" 2>"$t/rep-out.err"
tap_eq "report named like the output: usage error" 1 $?
tap_check "report named like the output: message" \
  grep -q "the report $t/rep-out.csv is the output file" "$t/rep-out.err"
mkfifo "$t/rep.fifo"
timeout 20 cat "$t/rep.fifo" >"$t/rep.fifo.out" &
reader=$!
"$lc" --checks syntax -q "$t/rep-in.csv" -o "$t/rep-out.csv" \
  --report "$t/rep.fifo"
tap_eq "report into a FIFO: exit status" 0 $?
wait $reader
tap_check "report into a FIFO: the FIFO stays" [ -p "$t/rep.fifo" ]
tap_eq "report into a FIFO: the reader got the JSON" 1 \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exit_code"] == 0 and 1)' "$t/rep.fifo.out")"

tap_done
