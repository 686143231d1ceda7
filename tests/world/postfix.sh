#!/bin/sh
# Probe a real Postfix with the SMTP session code.
#
# Starts a private Postfix instance (`postfix -c DIR start`) listening on
# 127.0.0.1 at a free port, with its configuration, queue and data
# directories under a temporary directory, built from the templates in
# tests/postfix/. Then runs build/tests/test_smtp_postfix with
# LC_POSTFIX_PORT set, whose cmocka TAP lines are this test's result, and
# stops Postfix on exit, also when a step fails.
#
# Needs root, the Debian postfix package (its postfix user and postdrop
# group) and openssl. When one is missing, the script prints a TAP SKIP
# plan and exits 0.
set -u
top=${LISTCLEAN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"

skip() {
  echo "1..0 # SKIP $1"
  exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root to start Postfix"
command -v postfix >/dev/null 2>&1 || skip "postfix is not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
id postfix >/dev/null 2>&1 || skip "no postfix user"
getent group postdrop >/dev/null 2>&1 || skip "no postdrop group"

probe="$top/build/tests/test_smtp_postfix"
pf="$tap_tmp/postfix"
port=$(tap_free_port)

postfix_stop() {
  [ -f "$pf/etc/main.cf" ] || return 0
  postfix -c "$pf/etc" stop >/dev/null 2>&1
  pidfile="$pf/queue/pid/master.pid"
  i=0
  while [ -f "$pidfile" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if [ -f "$pidfile" ]; then
    pid=$(tr -d ' ' <"$pidfile")
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
  fi
}

cleanup() {
  postfix_stop
  tap_cleanup
}
trap cleanup EXIT

show_log() {
  [ -f "$pf/maillog" ] && sed 's/^/#   /' "$pf/maillog" | tail -n 30
}

# Postfix daemons run as the postfix user and must reach data_directory.
mkdir -p "$pf/etc" "$pf/queue" "$pf/data"
chmod 755 "$tap_tmp" "$pf" "$pf/etc"
chown postfix "$pf/data"
for f in main.cf master.cf; do
  sed -e "s|@DIR@|$pf|g" -e "s|@PORT@|$port|g" \
    "$top/tests/postfix/$f.in" >"$pf/etc/$f"
done
cp "$top/tests/postfix/vmailbox" "$top/tests/postfix/virtual_alias" \
  "$top/tests/postfix/access" "$pf/etc/"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -days 1 -subj /CN=mx.known.test -keyout "$pf/etc/key.pem" \
  -out "$pf/etc/cert.pem" >/dev/null 2>&1
chmod 644 "$pf/etc/"*

if ! postfix -c "$pf/etc" start >"$tap_tmp/start.out" 2>&1; then
  tap_not_ok "postfix starts"
  sed 's/^/#   /' "$tap_tmp/start.out"
  show_log
  tap_done
  exit 1
fi
# The master opens the smtpd port before it logs "daemon started".
i=0
until grep -q 'daemon started' "$pf/maillog" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then
    tap_not_ok "postfix starts"
    show_log
    tap_done
    exit 1
  fi
  sleep 0.1
done

if [ ! -x "$probe" ]; then
  tap_not_ok "build/tests/test_smtp_postfix exists (run make units)"
  tap_done
  exit 1
fi
CMOCKA_MESSAGE_OUTPUT=TAP LC_POSTFIX_PORT=$port "$probe"
rc=$?
if [ $rc -ne 0 ]; then
  echo "# test_smtp_postfix exited with $rc; Postfix log:"
  show_log
fi
exit $rc
