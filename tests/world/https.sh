#!/bin/sh
# simworld serve, HTTPS: certificates from the test CA (good, expired,
# wrong name), the realm and credential-type answers of every realm,
# throttling, keep-alive and request errors.
. "$(dirname "$0")/../lib.sh"
SIMWORLD=${SIMWORLD:-build/simworld}
world=$tap_tmp/world
mkdir -p "$world"
cat >"$world/world" <<'EOF'
simworld-world 1
H 127.1.0.1 ms_accept microsoft acme-test.mail.protection.outlook.com
D acme.test mx managed
X 0 acme-test.mail.protection.outlook.com
M alice ok
M bob disabled
D all.test mx managed_all
D okta.test mx federated_okta
D adfs.test mx federated_adfs
D plain.test mx none
M alice ok
EOF

ready() {
  i=0
  while [ $i -lt 100 ]; do
    grep -q '^simworld: ready' "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
# serve NAME CERT THROTTLE: start a server, set $port.
serve() {
  port=$(tap_free_port)
  "$SIMWORLD" serve --world "$world" --dns "127.0.0.1:$(tap_free_port)" \
    --smtp-port "$(tap_free_port)" --https-port "$port" \
    --https-cert "$2" --throttle-pct "$3" --stats "$tap_tmp/$1.json" \
    >"$tap_tmp/$1.out" 2>"$tap_tmp/$1.err" &
  pid=$!
  tap_cleanup_pid $pid
  ready "$tap_tmp/$1.out" $pid
}

tap_check "server ready" serve good good 0
good_pid=$pid
good=$port
url=https://localhost:$good
get() {
  curl -sS --cacert "$world/ca.pem" "$@" 2>&1
}
realm() {
  get "$url/getuserrealm.srf?login=$1&json=1"
}
cred() {
  get -X POST -H 'Content-Type: application/json' \
    -d "{\"Username\":\"$1\"}" "$url/common/GetCredentialType"
}
# field JSON KEY: print the value of KEY.
field() {
  printf '%s' "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin).get(sys.argv[1], "<missing>"))' "$2" 2>&1
}

r=$(realm alice%40acme.test)
tap_eq "managed: NameSpaceType" Managed "$(field "$r" NameSpaceType)"
tap_eq "managed: DomainName" acme.test "$(field "$r" DomainName)"
tap_eq "managed: FederationBrandName" Acme "$(field "$r" FederationBrandName)"
tap_eq "managed: Login" alice@acme.test "$(field "$r" Login)"
r=$(realm someone@okta.test)
tap_eq "okta: Federated" Federated "$(field "$r" NameSpaceType)"
tap_eq "okta: AuthURL" "https://okta.okta.com/app/office365/exk1a2b3c4d5e6f7/sso/wsfed/passive?username=someone%40okta.test&wa=wsignin1.0&wtrealm=urn%3afederation%3aMicrosoftOnline" \
  "$(field "$r" AuthURL)"
r=$(realm someone@adfs.test)
tap_eq "adfs: AuthURL host" "https://adfs.adfs.test/adfs/ls/" \
  "$(field "$r" AuthURL | cut -d'?' -f1)"
tap_eq "no realm: Unknown" Unknown "$(field "$(realm a@plain.test)" NameSpaceType)"
tap_eq "unknown domain: Unknown" Unknown \
  "$(field "$(realm a@nowhere.example)" NameSpaceType)"

c=$(cred alice@acme.test)
tap_eq "managed: existing account" 0 "$(field "$c" IfExistsResult)"
tap_eq "managed: not throttled" 0 "$(field "$c" ThrottleStatus)"
tap_eq "managed: Username echoed" alice@acme.test "$(field "$c" Username)"
tap_eq "managed: disabled account exists" 0 \
  "$(field "$(cred BOB@Acme.Test)" IfExistsResult)"
tap_eq "managed: absent account" 1 \
  "$(field "$(cred zq8xk2m4v7p1r5t9w3y6@acme.test)" IfExistsResult)"
tap_eq "managed_all: random account exists" 0 \
  "$(field "$(cred zq8xk2m4v7p1r5t9w3y6@all.test)" IfExistsResult)"
tap_eq "federated: redirect" "https://adfs.adfs.test/adfs/ls/" \
  "$(cred a@adfs.test | python3 -c '
import json, sys
print(json.load(sys.stdin)["Credentials"]["FederationRedirectUrl"].split("?")[0])')"
tap_eq "no realm: absent" 1 "$(field "$(cred alice@plain.test)" IfExistsResult)"

code() {
  curl -s -o /dev/null -w '%{http_code}' --cacert "$world/ca.pem" "$@"
}
tap_eq "unknown path: 404" 404 "$(code "$url/nothing")"
tap_eq "realm by POST: 405" 405 "$(code -X POST -d x "$url/getuserrealm.srf?login=a@b.c")"
tap_eq "realm without login: 400" 400 "$(code "$url/getuserrealm.srf?json=1")"
tap_eq "credential without Username: 400" 400 \
  "$(code -X POST -d '{"User":"a@b.c"}' "$url/common/GetCredentialType")"
big=$(python3 -c 'print("x" * 20000)')
tap_eq "oversized body: 413" 413 \
  "$(code -X POST -d "{\"Username\":\"$big\"}" "$url/common/GetCredentialType")"
tap_eq "chunked body: 411" 411 \
  "$(code -X POST -H 'Transfer-Encoding: chunked' -d '{"Username":"a@b.c"}' \
    "$url/common/GetCredentialType")"

curl -sS -v --cacert "$world/ca.pem" -o /dev/null -o /dev/null \
  "$url/getuserrealm.srf?login=a@acme.test&json=1" \
  "$url/getuserrealm.srf?login=b@acme.test&json=1" >"$tap_tmp/keep.txt" 2>&1
tap_eq "two requests, one command" 0 $?
tap_check "keep-alive: connection reused" grep -qi 're-using existing connection' \
  "$tap_tmp/keep.txt"
tap_check "verifies against 127.0.0.1 too" sh -c \
  "curl -sS --cacert '$world/ca.pem' -o /dev/null \
     'https://127.0.0.1:$good/getuserrealm.srf?login=a@acme.test&json=1'"
tap_check "openssl verifies the chain" sh -c \
  "openssl s_client -connect 127.0.0.1:$good -servername localhost \
     -CAfile '$world/ca.pem' -verify_return_error -verify_hostname localhost \
     </dev/null >'$tap_tmp/s_client.txt' 2>&1"
tap_check "TLS 1.1 is refused" sh -c \
  "! curl -s --cacert '$world/ca.pem' --tlsv1.1 --tls-max 1.1 -o /dev/null \
     '$url/getuserrealm.srf?login=a@b.c&json=1'"
kill -USR1 $good_pid
sleep 0.3
tap_eq "stats: identity requests and errors" "8 6 6" "$(python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["https"]
print(h["realm"], h["credential"], h["errors"])' "$tap_tmp/good.json")"

tap_check "throttling server ready" serve throttle good 100
url=https://localhost:$port
c=$(cred alice@acme.test)
tap_eq "throttled: first answer" "1 0" \
  "$(field "$c" ThrottleStatus) $(field "$c" IfExistsResult)"
c=$(cred alice@acme.test)
tap_eq "throttled: retry answers" "0 0" \
  "$(field "$c" ThrottleStatus) $(field "$c" IfExistsResult)"
c=$(cred nobody@acme.test)
tap_eq "throttled: absent account hidden" "1 0" \
  "$(field "$c" ThrottleStatus) $(field "$c" IfExistsResult)"
c=$(cred nobody@acme.test)
tap_eq "throttled: absent after retry" "0 1" \
  "$(field "$c" ThrottleStatus) $(field "$c" IfExistsResult)"

tap_check "expired-cert server ready" serve expired expired 0
tap_check "expired certificate fails" sh -c \
  "! curl -sS --cacert '$world/ca.pem' -o /dev/null \
     'https://localhost:$port/getuserrealm.srf?login=a@b.c&json=1' \
     2>'$tap_tmp/expired.txt'"
tap_check "curl names the expiry" grep -qi 'expired' "$tap_tmp/expired.txt"
tap_check "openssl rejects expired" sh -c \
  "! openssl s_client -connect 127.0.0.1:$port -CAfile '$world/ca.pem' \
     -verify_return_error </dev/null >/dev/null 2>&1"

tap_check "wrong-name server ready" serve wrong wrong-name 0
tap_check "wrong name fails" sh -c \
  "! curl -sS --cacert '$world/ca.pem' -o /dev/null \
     'https://localhost:$port/getuserrealm.srf?login=a@b.c&json=1' 2>/dev/null"
tap_check "wrong name passes with the right name" sh -c \
  "curl -sS --cacert '$world/ca.pem' -o /dev/null \
     --resolve wrong-name.invalid:$port:127.0.0.1 \
     'https://wrong-name.invalid:$port/getuserrealm.srf?login=a@b.c&json=1'"
tap_done
