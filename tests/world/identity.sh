#!/bin/sh
# Identity checks fail closed: with the identity server presenting an
# expired certificate, or one from a CA listclean was not given, no row
# gets an identity answer, rows that only identity could decide keep their
# SMTP verdict, and every other row still matches the world's truth.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc="$LISTCLEAN_TOP/build/listclean"
w="$tap_tmp/world"
dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)

"$SIMWORLD" gen --seed 11 --domains 600 --addresses 3000 \
  --profile-mix smtp:silent=0,smtp:tarpit=0,dns:silent=0 --out "$w" >/dev/null

# serve CERT: start simworld with the given identity certificate.
serve() {
  "$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" \
    --smtp-port "$smtp_port" --https-port "$https_port" --greylist-s 1 \
    --https-cert "$1" >"$w/serve.out" 2>"$w/serve.err" &
  sim=$!
  tap_cleanup_pid $sim
  i=0
  until grep -q ready "$w/serve.out" 2>/dev/null || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
}

# clean NAME [OPTIONS]: run listclean with every check on.
clean() {
  name=$1
  shift
  timeout 120 "$lc" --dns-server "127.0.0.1:$dns_port" --dns-timeout 0.5 \
    --smtp-port "$smtp_port" --allow-private-mx --helo probe.listclean.test \
    --from check@probe.listclean.test --connect-timeout 3 \
    --command-timeout 2 --greylist-retry 1 --greylist-max-wait 20 \
    --backoff 1 --connect-rate 1000 --rcpt-rate 1000000 --seed 3 \
    --identity-url "https://127.0.0.1:$https_port" --identity-rate 1000 \
    "$@" "$w/input.csv" -o "$w/$name.csv" 2>"$w/$name.err"
}

# verify NAME: identity never decided, the rest matches truth.
verify() {
  python3 - "$w/$1.csv" "$w/truth.csv" <<'PY'
import csv, sys
out = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8",
                                errors="replace")))
truth = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8")))
fallback = {"identity_confirmed", "identity_absent"}
answers = wrong = decided_by_identity = 0
for row, t in zip(out, truth):
    answers += row["identity"] in ("exists", "absent")
    if t["reason"] in fallback:
        decided_by_identity += 1
        wrong += row["reason"] not in ("accept_all", "gateway_rejected")
    else:
        wrong += (row["status"], row["reason"]) != (t["status"], t["reason"])
print("rows", len(out), "identity_answers", answers, "wrong", wrong,
      "fallback_rows", decided_by_identity > 0)
PY
}

serve expired
clean expired --ca-file "$w/ca.pem"
tap_eq "expired certificate run exit status" 0 $?
tap_eq "expired certificate fails closed" \
  "rows 3000 identity_answers 0 wrong 0 fallback_rows True" "$(verify expired)"
kill $sim
wait $sim 2>/dev/null

serve good
clean untrusted
tap_eq "unknown CA run exit status" 0 $?
tap_eq "unknown CA fails closed" \
  "rows 3000 identity_answers 0 wrong 0 fallback_rows True" \
  "$(verify untrusted)"
tap_check "certificate problem logged" grep -qi "certificate" \
  "$w/untrusted.err"
tap_done
