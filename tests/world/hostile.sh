#!/bin/sh
# listclean against hostile peers, served on loopback by
# tests/hostile/server.py. The peers send a 1 MB banner without CRLF, an
# endless multi-line reply, a banner at one octet per second, nothing after
# a banner while never reading, and a STARTTLS that never completes its
# handshake. Their DNS answers contain a compression loop or 2500 MX
# records, their replies contain control characters and spreadsheet
# formulas, and their identity server sends a 100 MB body. Every run must
# end within its time bound and under 100 MB of RSS, with the exact status
# and reason of each row. A last case checks that --max-connections is
# fitted to a low open file limit.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc=$LISTCLEAN_TOP/build/listclean
t=$tap_tmp
rss_max_kb=102400

smtp_port=$(tap_free_port)
dns_port=$(tap_free_port)
https_port=$(tap_free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$t/key.pem" -out "$t/cert.pem" -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 >"$t/openssl.out" 2>&1
tap_eq "test certificate created" 0 $?

python3 "$LISTCLEAN_TOP/tests/hostile/server.py" --dns-port "$dns_port" \
  --smtp-port "$smtp_port" --https-port "$https_port" --cert "$t/cert.pem" \
  --key "$t/key.pem" --lifetime 240 >"$t/server.out" 2>"$t/server.err" &
server_pid=$!
tap_cleanup_pid $server_pid
ready() {
  i=0
  while [ $i -lt 100 ]; do
    grep -qs '^hostile: ready' "$t/server.out" && return 0
    kill -0 $server_pid 2>/dev/null || return 1
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
tap_check "hostile server ready" ready

# clean NAME MAX_SECONDS OPTIONS... -- ADDRESS...: run listclean on the
# addresses with short timeouts, then check its exit status, elapsed time
# and peak RSS. The output is $t/NAME.csv, its messages $t/NAME.err.
clean() {
  run=$1
  max_s=$2
  shift 2
  opts=""
  while [ "$1" != "--" ]; do
    opts="$opts $1"
    shift
  done
  shift
  printf 'email\n' >"$t/$run.in"
  for a in "$@"; do
    printf '%s\n' "$a" >>"$t/$run.in"
  done
  start=$(date +%s%N)
  # shellcheck disable=SC2086 # $opts holds several options
  timeout 120 /usr/bin/time -f %M -o "$t/$run.rss" "$lc" $opts \
    --dns-server "127.0.0.1:$dns_port" --smtp-port "$smtp_port" \
    --allow-private-mx --connect-timeout 2 --command-timeout 2 \
    --dns-timeout 2 --dns-tries 1 "$t/$run.in" -o "$t/$run.csv" \
    2>"$t/$run.err"
  rc=$?
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  tap_eq "$run: exit status" 0 $rc
  tap_check "$run: done in $max_s s (took $elapsed_ms ms)" \
    test "$elapsed_ms" -lt $((max_s * 1000))
  rss=$(tail -n 1 "$t/$run.rss")
  tap_check "$run: peak RSS ${rss} KB under $rss_max_kb KB" \
    test "${rss:-999999999}" -lt $rss_max_kb
}

# verdict NAME ROW: "status,reason" of data row ROW (1-based).
verdict() {
  sed -n "$(($2 + 1))p" "$t/$1.csv" | cut -d, -f2,3
}

# column NAME ROW FIELD: field number FIELD of data row ROW, unquoted.
column() {
  sed -n "$(($2 + 1))p" "$t/$1.csv" | cut -d, -f"$3"
}

clean banner 15 --checks smtp -- alice@banner.test
tap_eq "banner of 1 MB: protocol_error" unknown,protocol_error \
  "$(verdict banner 1)"

clean endless 15 --checks smtp -- alice@endless.test
tap_eq "endless multi-line reply: protocol_error" unknown,protocol_error \
  "$(verdict endless 1)"

clean trickle 20 --checks smtp -- alice@trickle.test
tap_eq "one octet per second: timeout" unknown,timeout "$(verdict trickle 1)"
tap_check "one octet per second: client left mid-banner" \
  grep -q 'trickle: client left after [0-9]* octets' "$t/server.err"

# listclean's commands are small, so they fit in the unread socket buffer:
# the command timeout, not a blocked write, ends this session.
clean noread 20 --checks smtp -- alice@noread.test
tap_eq "server that never reads: timeout" unknown,timeout \
  "$(verdict noread 1)"

clean tlsstall 20 --checks smtp -- alice@tlsstall.test
tap_eq "TLS handshake stalls: timeout" unknown,timeout \
  "$(verdict tlsstall 1)"
tap_check "TLS handshake stalls: STARTTLS was sent" \
  grep -q 'tlsstall: STARTTLS accepted' "$t/server.err"

clean loop 10 --checks smtp -- alice@loop.test
tap_eq "DNS compression loop: dns_error" unknown,dns_error \
  "$(verdict loop 1)"
tap_check "DNS compression loop: warning names the domain" \
  grep -q 'lookup of loop.test failed: malformed MX answer' "$t/loop.err"

clean many 10 --checks smtp -- alice@many.test
tap_eq "2500 MX records: accepted" deliverable,accepted "$(verdict many 1)"
tap_eq "2500 MX records: best preference used" mx1777.many.test \
  "$(column many 1 6)"

# Every reply of text.test is a 550 5.1.1 whose text starts with a
# formula character or carries control characters, except alice's 250.
clean text 10 --checks smtp -- ctl@text.test eq@text.test plus@text.test \
  minus@text.test at@text.test alice@text.test "=x@text.test" \
  "-y@text.test" "+z@text.test"
cat >"$t/text.expected" <<'EOF'
email,status,reason,normalized,suggestion,mx,provider,gateway,catch_all,disposable,role,free,duplicate,smtp_code,smtp_message,identity
ctl@text.test,undeliverable,mailbox_not_found,ctl@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,?[31mno such? user? here,
eq@text.test,undeliverable,mailbox_not_found,eq@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,'=1+2 user unknown,
plus@text.test,undeliverable,mailbox_not_found,plus@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,'+SUM(1) user unknown,
minus@text.test,undeliverable,mailbox_not_found,minus@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,'-2 user unknown,
at@text.test,undeliverable,mailbox_not_found,at@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,'@SUM(1) user unknown,
alice@text.test,deliverable,accepted,alice@text.test,,mx.text.test,,false,false,false,false,false,false,250 2.1.5,?]0;title?Ok,
=x@text.test,undeliverable,mailbox_not_found,'=x@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,User unknown,
-y@text.test,undeliverable,mailbox_not_found,'-y@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,User unknown,
+z@text.test,undeliverable,mailbox_not_found,'+z@text.test,,mx.text.test,,false,false,false,false,false,false,550 5.1.1,User unknown,
EOF
tap_cmp "control characters and formulas: output bytes" "$t/text.expected" \
  "$t/text.csv"
tap_eq "no control characters in the output" 0 \
  "$(tr -d '\n' <"$t/text.csv" | LC_ALL=C tr -cd '\000-\037\177' | wc -c)"

# SMTP blocks the prober, so the identity check runs, and its realm
# lookup gets a 100 MB body.
clean https 10 --checks all --identity-url "https://127.0.0.1:$https_port" \
  --ca-file "$t/cert.pem" -- alice@identity.test
tap_eq "100 MB identity body: SMTP verdict kept" unknown,blocked \
  "$(verdict https 1)"
tap_eq "100 MB identity body: identity not set" "" "$(column https 1 16)"
tap_check "100 MB identity body: request aborted" grep -q \
  'realm lookup for identity.test failed: response body over' "$t/https.err"
tap_check "100 MB identity body: the request reached the server" grep -q \
  'GET /getuserrealm.srf?login=alice%40identity.test' "$t/server.err"

# A soft and hard open file limit of 200 fits 136 connections next to
# the 64 descriptors kept for DNS, HTTPS and files.
(
  ulimit -n 200 &&
    "$lc" --checks smtp --max-connections 5000 \
      --dns-server "127.0.0.1:$dns_port" --smtp-port "$smtp_port" \
      --allow-private-mx --connect-timeout 2 --command-timeout 2 \
      "$t/many.in" -o "$t/limit.csv" 2>"$t/limit.err"
)
tap_eq "low file limit: exit status" 0 $?
tap_eq "low file limit: one warning with the numbers" \
  "listclean: warn: --max-connections 5000 needs 5064 open files, but the open file limit is 200 and cannot be raised further; using 136 connections. Raise the limit (ulimit -n 5064, or the hard limit in /etc/security/limits.conf) to use 5000" \
  "$(grep -- --max-connections "$t/limit.err")"
tap_eq "low file limit: row still checked" deliverable,accepted \
  "$(verdict limit 1)"

kill $server_pid 2>/dev/null
tap_done
