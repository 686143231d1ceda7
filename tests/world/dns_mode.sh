#!/bin/sh
# --checks syntax,dns against a simulated world: rows that DNS decides get
# the world's exact verdict; every other row is not_checked (or risky for
# disposable and role addresses) with its MX and provider filled in.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc="$LISTCLEAN_TOP/build/listclean"
w="$tap_tmp/world"
dns_port=$(tap_free_port)

"$SIMWORLD" gen --seed 4 --domains 1500 --addresses 6000 --out "$w" >/dev/null
"$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" --smtp-port 0 \
  --https-port 0 >"$w/serve.out" 2>"$w/serve.err" &
tap_cleanup_pid $!
i=0
until grep -q ready "$w/serve.out" || [ $i -ge 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
tap_check "simworld ready" grep -q ready "$w/serve.out"

timeout 120 "$lc" --checks syntax,dns --dns-server "127.0.0.1:$dns_port" \
  --dns-timeout 0.5 --allow-private-mx "$w/input.csv" -o "$w/out.csv" \
  2>"$w/err"
tap_eq "listclean exit status" 0 $?

python3 - "$w/out.csv" "$w/truth.csv" >"$w/check.txt" <<'PY'
import csv, sys
out = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8",
                           errors="replace")))
truth = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8")))
h = out[0]
c = {n: h.index(n) for n in ("status", "reason", "mx", "provider", "gateway")}
dns_decided = {"invalid_syntax", "missing_address", "no_domain",
               "no_mail_server", "dns_error", "unreachable_mx", "csv_error"}
wrong_dns = wrong_rest = missing_mx = rest = 0
for row, t in zip(out[1:], truth):
    got = (row[c["status"]], row[c["reason"]])
    if t["reason"] in dns_decided:
        wrong_dns += got != (t["status"], t["reason"])
        continue
    rest += 1
    if got not in {("unknown", "not_checked"), ("risky", "disposable"),
                   ("risky", "role_account")}:
        wrong_rest += 1
    if not row[c["mx"]] or row[c["gateway"]] not in ("true", "false"):
        missing_mx += 1
print("rows", len(out) - 1, len(truth))
print("wrong_dns", wrong_dns)
print("wrong_rest", wrong_rest)
print("missing_mx", missing_mx)
print("rest", rest)
PY
sed 's/^/# /' "$w/check.txt"
rows=$(sed -n 's/^rows //p' "$w/check.txt")
tap_eq "every row written" "6000 6000" "$rows"
tap_eq "DNS verdicts match truth" "wrong_dns 0" "$(grep wrong_dns "$w/check.txt")"
tap_eq "other rows not checked" "wrong_rest 0" \
  "$(grep wrong_rest "$w/check.txt")"
tap_eq "other rows have mx and gateway" "missing_mx 0" \
  "$(grep missing_mx "$w/check.txt")"
tap_check "some rows left for SMTP" [ "$(sed -n 's/^rest //p' "$w/check.txt")" -gt 1000 ]
tap_eq "google provider filled" "google" \
  "$(python3 -c '
import csv, sys
rows = csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8",
                           errors="replace"))
print(next(r["provider"] for r in rows
           if r["normalized"].endswith("@gmail.com")))' "$w/out.csv")"
tap_done
