#!/bin/sh
# --resume keeps the evidence of the rows it takes from the earlier
# output. A gateway that validates recipients rejects a made-up address
# with the same 550 as any unknown sender, so the rejection means "not
# found" only once a real recipient of the domain was accepted. When the
# accepted rows are all before the resume point, the resumed run must
# still call the later rejected rows mailbox_not_found, as one run does.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc="$LISTCLEAN_TOP/build/listclean"
w="$tap_tmp/world"
dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)

cat >"$tap_tmp/extra" <<'XTRA'
domain tidewater.test gw_validate
mailbox anna@tidewater.test
mailbox ben@tidewater.test
mailbox info@tidewater.test
XTRA
"$SIMWORLD" gen --seed 3 --domains 14 --addresses 20 --extra "$tap_tmp/extra" \
  --out "$w" >/dev/null
tap_eq "world generated" 0 $?
# Two real recipients and three made-up ones. The last two come after the
# resume point.
printf '%s\n' email anna@tidewater.test zed.nobody@tidewater.test \
  ben@tidewater.test yuri.none@tidewater.test xena.void@tidewater.test \
  >"$w/input.csv"

timeout 60 "$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port "$https_port" --greylist-s 1 \
  --throttle-pct 0 >"$w/serve.out" 2>"$w/serve.err" &
sim=$!
tap_cleanup_pid $sim
tap_wait_ready "simworld ready" $sim "$w/serve.out"

# clean OUTPUT OPTION...: listclean on the input with the options of
# accuracy.sh.
clean() {
  out=$1
  shift
  timeout 60 "$lc" --dns-server "127.0.0.1:$dns_port" --dns-timeout 2 \
    --smtp-port "$smtp_port" --allow-private-mx \
    --helo probe.listclean.test --from check@probe.listclean.test \
    --connect-timeout 1 --command-timeout 2 --greylist-retry 1 \
    --greylist-max-wait 20 --backoff 1 --connect-rate 1000 \
    --rcpt-rate 1000000 --identity-url "https://127.0.0.1:$https_port" \
    --ca-file "$w/ca.pem" --identity-rate 1000 --seed 7 "$@" \
    "$w/input.csv" -o "$out" 2>>"$w/err"
}

# verdicts FILE: "address status/reason" per data row.
verdicts() {
  python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
for r in rows[1:]:
    print(r[0], r[1] + "/" + r[2])' "$1"
}

clean "$w/whole.csv"
tap_eq "one run: exit status" 0 $?
tap_eq "one run: verdicts" "anna@tidewater.test deliverable/accepted
zed.nobody@tidewater.test undeliverable/mailbox_not_found
ben@tidewater.test deliverable/accepted
yuri.none@tidewater.test undeliverable/mailbox_not_found
xena.void@tidewater.test undeliverable/mailbox_not_found" \
  "$(verdicts "$w/whole.csv")"

# The earlier output: the header and the first three rows.
head -n 4 "$w/whole.csv" >"$w/resumed.csv"
clean "$w/resumed.csv" --resume --report "$w/resumed.json"
tap_eq "resume: exit status" 0 $?
tap_eq "resume: three rows kept" 3 "$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["rows"]["resumed"])' "$w/resumed.json")"
tap_eq "resume: rows after the cut are not found" \
  "yuri.none@tidewater.test undeliverable/mailbox_not_found
xena.void@tidewater.test undeliverable/mailbox_not_found" \
  "$(verdicts "$w/resumed.csv" | tail -n 2)"
tap_cmp "resume: same output as one run" "$w/whole.csv" "$w/resumed.csv"

# A role address that the gateway accepts is evidence too, although its
# verdict is risky/role_account.
printf '%s\n' email info@tidewater.test yuri.none@tidewater.test \
  xena.void@tidewater.test >"$w/input.csv"
clean "$w/role-whole.csv"
tap_eq "role, one run: verdicts" "info@tidewater.test risky/role_account
yuri.none@tidewater.test undeliverable/mailbox_not_found
xena.void@tidewater.test undeliverable/mailbox_not_found" \
  "$(verdicts "$w/role-whole.csv")"
head -n 2 "$w/role-whole.csv" >"$w/role-resumed.csv"
clean "$w/role-resumed.csv" --resume
tap_eq "role, resume: exit status" 0 $?
tap_cmp "role, resume: same output as one run" "$w/role-whole.csv" \
  "$w/role-resumed.csv"

kill -TERM $sim
wait $sim 2>/dev/null
tap_done
