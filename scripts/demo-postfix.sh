#!/bin/sh
# Start and stop the real Postfix of the demo (scripts/demo.sh) and of
# tests/world/demo.sh. Needs root, like every Postfix master.
#
#   demo-postfix.sh check                 print why Postfix cannot run here
#                                         and exit 1, or exit 0
#   demo-postfix.sh start DIR WORLD PORT  configure an instance in DIR and
#                                         start it
#   demo-postfix.sh stop DIR              stop the instance in DIR
#
# The instance keeps its configuration, queue, data and log (DIR/maillog)
# in DIR, whose parent directories the postfix user must be able to
# search. Its smtpd listens on PORT at each address of a host whose
# profile carries the modifier "external" in the simworld world file
# WORLD (127.0.25.x in demo/world.extra), the port simworld serves on its
# own addresses. demo/postfix_tables.py derives the mailboxes from WORLD;
# demo/postfix/greylist adds addresses that stay greylisted.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

fail() {
  echo "demo-postfix: $*" >&2
  exit 1
}

check() {
  [ "$(id -u)" = 0 ] || { echo "needs root to start Postfix"; return 1; }
  for tool in postfix openssl python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$tool is not installed"
      return 1
    fi
  done
  id postfix >/dev/null 2>&1 || { echo "no postfix user"; return 1; }
  getent group postdrop >/dev/null 2>&1 || { echo "no postdrop group"; return 1; }
}

# The smtpd lines, one per external address, then the other services.
write_master() {
  while read -r addr; do
    echo "$addr:$port inet n - n - - smtpd"
  done <"$dir/etc/addresses"
  cat "$top/demo/postfix/master.cf.in"
}

configure() {
  # Postfix daemons run as the postfix user and must reach data_directory.
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data" || return 1
  chmod 755 "$dir" "$dir/etc"
  chown postfix "$dir/data" || return 1
  python3 "$top/demo/postfix_tables.py" "$world" \
    "$top/demo/postfix/greylist" "$dir/etc" || return 1
  interfaces=$(paste -s -d, "$dir/etc/addresses")
  sed -e "s|@DIR@|$dir|g" -e "s|@INTERFACES@|$interfaces|g" \
    "$top/demo/postfix/main.cf.in" >"$dir/etc/main.cf" || return 1
  write_master >"$dir/etc/master.cf" || return 1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 1 -subj /CN=mx.postfix.test -keyout "$dir/etc/key.pem" \
    -out "$dir/etc/cert.pem" >/dev/null 2>&1 || return 1
  chmod 644 "$dir/etc/"*
}

show_log() {
  [ -f "$dir/maillog" ] && tail -n 20 "$dir/maillog" >&2
  return 0
}

start() {
  reason=$(check) || fail "$reason"
  configure || fail "cannot configure the instance in $dir"
  postfix -c "$dir/etc" start >"$dir/start.out" 2>&1 || {
    cat "$dir/start.out" >&2
    show_log
    fail "postfix -c $dir/etc start failed"
  }
  # The master opens the smtpd sockets before it logs "daemon started".
  i=0
  until grep -q 'daemon started' "$dir/maillog" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
      show_log
      fail "Postfix did not start within 10 s"
    fi
    sleep 0.1
  done
}

# True while process $1 runs (a zombie has ended and only waits for its
# parent to reap it).
running() {
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "${state#Z}" = "$state" ]
}

stop() {
  [ -f "$dir/etc/main.cf" ] || return 0
  pidfile="$dir/queue/pid/master.pid"
  pid=""
  [ -f "$pidfile" ] && pid=$(tr -d ' ' <"$pidfile")
  postfix -c "$dir/etc" stop >/dev/null 2>&1
  [ -n "$pid" ] || return 0
  i=0
  while running "$pid" && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  # A master that ignored the stop request is ours: end it by its pid.
  if running "$pid" && [ "$(ps -o comm= -p "$pid")" = master ]; then
    kill "$pid"
  fi
  return 0
}

case "${1:-}" in
check)
  check
  ;;
start)
  [ $# -eq 4 ] || fail "usage: demo-postfix.sh start DIR WORLD PORT"
  mkdir -p "$2" || exit 1
  dir=$(cd "$2" && pwd) world=$3 port=$4
  start
  ;;
stop)
  [ $# -eq 2 ] || fail "usage: demo-postfix.sh stop DIR"
  [ -d "$2" ] || exit 0
  dir=$(cd "$2" && pwd)
  stop
  ;;
*)
  fail "usage: demo-postfix.sh check | start DIR WORLD PORT | stop DIR"
  ;;
esac
