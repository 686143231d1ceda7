#!/bin/sh
# Accuracy against a simulated world: generate 20,000 rows over 2,000
# domains with every DNS, SMTP and identity profile, serve them on
# loopback, clean them with every check on, and require the exact truth
# for every row. Also checks politeness from simworld's counters.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc="$LISTCLEAN_TOP/build/listclean"
w="$tap_tmp/world"
dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)

"$SIMWORLD" gen --seed 20261204 --domains 2000 --addresses 20000 --out "$w" \
  >/dev/null
tap_eq "world generated" 0 $?
"$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port "$https_port" --tarpit-ms 200 \
  --greylist-s 1 --stats "$w/stats.json" >"$w/serve.out" 2>"$w/serve.err" &
sim=$!
tap_cleanup_pid $sim
i=0
until grep -q ready "$w/serve.out" || [ $i -ge 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
tap_check "simworld ready" grep -q ready "$w/serve.out"

start=$(date +%s)
timeout 300 "$lc" --dns-server "127.0.0.1:$dns_port" --dns-timeout 0.5 \
  --smtp-port "$smtp_port" --allow-private-mx --helo probe.listclean.test \
  --from check@probe.listclean.test --connect-timeout 1 \
  --command-timeout 2 --greylist-retry 1 --greylist-max-wait 20 \
  --backoff 1 --per-mx-connections 8 --connect-rate 1000 \
  --rcpt-rate 1000000 --identity-url "https://127.0.0.1:$https_port" \
  --ca-file "$w/ca.pem" --identity-rate 1000 --seed 7 \
  "$w/input.csv" -o "$w/out.csv.zst" 2>"$w/listclean.err"
tap_eq "listclean exit status" 0 $?
echo "# cleaned in $(($(date +%s) - start)) s"
zstd -q -d -c "$w/out.csv.zst" >"$w/out.csv"
python3 "$LISTCLEAN_TOP/tests/accuracy.py" "$w/out.csv" "$w/truth.csv" \
  >"$w/accuracy.txt"
sed 's/^/# /' "$w/accuracy.txt" | head -n 40
tap_eq "every row checked" "rows 20000" "$(grep '^rows' "$w/accuracy.txt")"
tap_eq "verdicts match truth" "mismatches 0" \
  "$(grep '^mismatches' "$w/accuracy.txt")"
tap_eq "gateway rows never wrongly undeliverable" \
  "gateway_undeliverable_wrong 0" \
  "$(grep '^gateway_undeliverable_wrong' "$w/accuracy.txt")"

kill -TERM $sim
wait $sim 2>/dev/null
python3 - "$w/stats.json" >"$w/politeness.txt" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
print("data", stats["smtp"]["data"])
busiest = max(stats["mx"], key=lambda mx: mx["peak_concurrent"])
print("peak", busiest["peak_concurrent"])
print("busiest", busiest["name"], busiest["profile"])
print("rcpts", stats["smtp"]["rcpts"])
PY
tap_eq "no DATA command sent" "data 0" "$(grep '^data' "$w/politeness.txt")"
peak=$(sed -n 's/^peak //p' "$w/politeness.txt")
sed -n 's/^busiest/# busiest MX:/p' "$w/politeness.txt"
tap_check "per-MX connections within limit ($peak <= 8)" [ "$peak" -le 8 ]

tap_done
