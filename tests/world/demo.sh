#!/bin/sh
# The demo pipeline end to end, as `make demo` runs it, on a smaller world:
# simworld gen with demo/world.extra, simworld serve, the real Postfix of
# scripts/demo-postfix.sh on the world's external hosts, and listclean with
# every check on.
#
# Checks the exact status and reason of every row of both exports in
# examples/ against demo/expected/. Checks that Postfix replied for its
# domains: its log has the rejections, and simworld took no connection on
# its addresses. Checks every row of the world's generated input.csv,
# some of them on the Postfix domains, against its truth.csv. Stops every
# server, also on failure. Skips (plan 1..0) only when Postfix cannot run,
# for instance without root.
set -u
top=${LISTCLEAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! reason=$(sh "$top/scripts/demo-postfix.sh" check); then
  echo "1..0 # SKIP $reason"
  exit 0
fi
. "$top/tests/lib.sh"
demo_top=$top
. "$top/scripts/demo-lib.sh"
demo_simworld=${SIMWORLD:-$demo_simworld}
w="$tap_tmp/world"
pf="$tap_tmp/postfix"
logs="$tap_tmp/logs"
mkdir -p "$logs"
# The Postfix daemons (user postfix) must reach the instance under tap_tmp.
chmod 755 "$tap_tmp"

cleanup() {
  sh "$top/scripts/demo-postfix.sh" stop "$pf"
  tap_cleanup
}
trap cleanup EXIT

# Print "ok" when nothing accepts a TCP connection at $1:$2.
closed() {
  python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()
    print("listening")
except OSError:
    print("ok")' "$1" "$2"
}

show() {
  sed 's/^/#   /' "$1" | tail -n "${2:-20}"
}

demo_gen "$w" 4 40 300 40 --rows 200 \
  --profile-mix smtp:silent=0,smtp:tarpit=0,dns:silent=0 >"$logs/gen.out" 2>&1
tap_eq "world generated" 0 $?
tap_eq "world has both external hosts" \
  "H 127.0.25.1 normal+external generic mx.postfix.test
H 127.0.25.2 catchall+external generic catchall.postfix.test" \
  "$(grep '+external' "$w/world")"

demo_ports
if ! demo_serve "$w" "$logs"; then
  tap_not_ok "simworld ready"
  show "$logs/simworld.err"
  tap_done
  exit 1
fi
tap_cleanup_pid "$demo_sim_pid"
tap_ok "simworld ready"
if ! sh "$top/scripts/demo-postfix.sh" start "$pf" "$w/world" \
  "$demo_smtp_port" 2>"$logs/postfix.err"; then
  tap_not_ok "postfix starts"
  show "$logs/postfix.err"
  tap_done
  exit 1
fi
tap_ok "postfix starts"

# Print "rows N M" (rows of the output and of the expected file), then
# "ROW<TAB>EMAIL<TAB>EXPECTED<TAB>ACTUAL" (status/reason) for every row.
# An empty email prints as "(empty)" because read(1) merges adjacent tabs.
cat >"$tap_tmp/compare.py" <<'EOF'
import csv, io, sys
text = open(sys.argv[1], encoding="utf-8-sig", newline="").read()
first = text.split("\n", 1)[0]
delimiter = ";" if first.count(";") > first.count(",") else ","
out = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
expected = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
status, reason = out[0].index("status"), out[0].index("reason")
print("rows", len(out) - 1, len(expected))
for want, row in zip(expected, out[1:]):
    print("\t".join((want["row"], want["email"] or "(empty)",
                     want["status"] + "/" + want["reason"],
                     row[status] + "/" + row[reason])))
EOF

tab=$(printf '\t')
for name in crm-contacts newsletter; do
  demo_clean "$w" "$top/examples/$name.csv" "$tap_tmp/$name.csv.zst" \
    2>"$logs/$name.err"
  rc=$?
  tap_eq "$name: listclean exit status" 0 $rc
  [ $rc -eq 0 ] || show "$logs/$name.err"
  zstd -dcq "$tap_tmp/$name.csv.zst" >"$tap_tmp/$name.csv"
  python3 "$tap_tmp/compare.py" "$tap_tmp/$name.csv" \
    "$top/demo/expected/$name.csv" >"$tap_tmp/$name.cmp"
  expected_rows=$(($(wc -l <"$top/demo/expected/$name.csv") - 1))
  tap_eq "$name: every row written" "rows $expected_rows $expected_rows" \
    "$(sed -n 1p "$tap_tmp/$name.cmp")"
  sed 1d "$tap_tmp/$name.cmp" >"$tap_tmp/$name.rows"
  while IFS="$tab" read -r row email want got; do
    tap_eq "$name row $row $email" "$want" "$got"
  done <"$tap_tmp/$name.rows"
done

# The generated export of the same world against its ground truth; with
# seed 4 it has 8 rows on the Postfix domains.
tap_eq "input.csv has rows on the Postfix domains" 8 \
  "$(grep -c -E '@(northbay-robotics\.com|orchidhealth\.net|kulturhaus-linden\.de)' \
    "$w/truth.csv")"
demo_clean "$w" "$w/input.csv" "$tap_tmp/input.out.csv" 2>"$logs/input.err"
tap_eq "input.csv: listclean exit status" 0 $?
python3 "$top/tests/accuracy.py" "$tap_tmp/input.out.csv" "$w/truth.csv" \
  >"$tap_tmp/accuracy.txt"
tap_eq "input.csv: every row checked" "rows 200" \
  "$(grep '^rows' "$tap_tmp/accuracy.txt")"
tap_eq "input.csv: verdicts match truth" "mismatches 0" \
  "$(grep '^mismatches' "$tap_tmp/accuracy.txt")"
grep -q '^mismatches 0' "$tap_tmp/accuracy.txt" || show "$tap_tmp/accuracy.txt"

# Postfix, not simworld, replied on the external addresses.
maillog="$pf/maillog"
for reply in "550 5.1.1 <elena.brennan@northbay-robotics.com>" \
  "450 4.7.1 <jonas@northbay-robotics.com>" \
  "552 5.2.2 <yuki.delgado@northbay-robotics.com>" \
  "550 5.2.1 <priya.whitfield@northbay-robotics.com>"; do
  tap_check "postfix log: $reply" grep -q "reject: RCPT .*$reply" "$maillog"
done
kill -TERM "$demo_sim_pid"
wait "$demo_sim_pid" 2>/dev/null
python3 - "$logs/simworld-stats.json" >"$tap_tmp/external.txt" <<'EOF'
import json, sys
stats = json.load(open(sys.argv[1]))
for mx in stats["mx"]:
    if mx["addr"].startswith("127.0.25."):
        print(mx["addr"], mx["connections"])
EOF
tap_eq "simworld took no connection on the external hosts" \
  "127.0.25.1 0
127.0.25.2 0" "$(cat "$tap_tmp/external.txt")"

sh "$top/scripts/demo-postfix.sh" stop "$pf"
tap_eq "postfix stopped (127.0.25.1)" ok "$(closed 127.0.25.1 "$demo_smtp_port")"
tap_eq "postfix stopped (127.0.25.2)" ok "$(closed 127.0.25.2 "$demo_smtp_port")"
tap_done
