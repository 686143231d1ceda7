#!/bin/sh
# listclean under valgrind: the CSV fixtures with --checks syntax, and a
# small simulated world with every check on. Each run must exit 0 with no
# memory error and no definite leak (valgrind exits 99 otherwise).
#
# Runs only with the normal binary: tests/run.sh also runs this script
# with the sanitizer build in $LISTCLEAN, which valgrind cannot run, and
# then the script plans no test.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc=$LISTCLEAN_TOP/build/listclean
if [ "${LISTCLEAN:-$lc}" != "$lc" ]; then
  echo "1..0 # SKIP valgrind runs only the normal build"
  exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "not ok 1 - valgrind is installed (sh scripts/deps.sh)"
  echo "1..1"
  exit 1
fi
SIMWORLD=${SIMWORLD:-$LISTCLEAN_TOP/build/simworld}
fx=$LISTCLEAN_TOP/tests/e2e/fixtures
t=$tap_tmp

vg() {
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
    --error-exitcode=99 "$lc" "$@"
}

for f in "$fx"/*.csv; do
  name=$(basename "$f")
  vg --checks syntax "$f" -o "$t/$name" 2>"$t/$name.err"
  rc=$?
  tap_eq "$name: no memory error or leak" 0 $rc
  [ $rc -eq 0 ] || sed 's/^/#   /' "$t/$name.err" | head -n 40
done

# A small world without the slow profiles, cleaned with DNS, SMTP (with
# STARTTLS) and identity checks.
w=$t/world
dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)
"$SIMWORLD" gen --seed 5 --domains 40 --addresses 120 --rows 150 \
  --profile-mix smtp:silent=0,smtp:tarpit=0,dns:silent=0 --out "$w" \
  >/dev/null
tap_eq "world generated" 0 $?
"$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port "$https_port" --greylist-s 1 \
  >"$w/serve.out" 2>"$w/serve.err" &
sim=$!
tap_cleanup_pid $sim
i=0
until grep -qs ready "$w/serve.out" || [ $i -ge 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
tap_check "simworld ready" grep -q ready "$w/serve.out"

start=$(date +%s)
timeout 300 valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
  --error-exitcode=99 "$lc" --dns-server "127.0.0.1:$dns_port" \
  --dns-timeout 2 --smtp-port "$smtp_port" --allow-private-mx \
  --helo probe.listclean.test --from check@probe.listclean.test \
  --connect-timeout 5 --command-timeout 10 --greylist-retry 1 \
  --greylist-max-wait 5 --backoff 1 --connect-rate 1000 \
  --rcpt-rate 1000000 --identity-url "https://127.0.0.1:$https_port" \
  --ca-file "$w/ca.pem" --identity-rate 1000 --seed 3 \
  "$w/input.csv" -o "$w/out.csv.zst" 2>"$w/listclean.err"
rc=$?
echo "# network run under valgrind took $(($(date +%s) - start)) s"
tap_eq "network run: no memory error or leak" 0 $rc
[ $rc -eq 0 ] || grep -v '^listclean: warn' "$w/listclean.err" |
  sed 's/^/#   /' | head -n 60
zstd -q -d -c "$w/out.csv.zst" >"$w/out.csv"
tap_eq "network run: every line written" "$(wc -l <"$w/input.csv")" \
  "$(wc -l <"$w/out.csv")"
tap_check "network run: some rows accepted over SMTP" \
  grep -q ',deliverable,accepted,' "$w/out.csv"

kill -TERM $sim
wait $sim 2>/dev/null
tap_done
