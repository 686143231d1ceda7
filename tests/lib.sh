# Helpers for the shell tests. Source it, call tap_check / tap_cmp, then
# tap_done. Every server a test starts is registered with tap_cleanup_pid
# and stopped on exit, also when the test fails or is interrupted.
# Every server the tests use is on loopback: never go through a proxy
# from the environment.
export no_proxy='*' NO_PROXY='*'
tap_n=0
tap_failed=0
tap_pids=""
tap_tmp=$(mktemp -d /tmp/listclean-test.XXXXXX)

tap_cleanup() {
  for pid in $tap_pids; do
    kill "$pid" 2>/dev/null
  done
  for pid in $tap_pids; do
    wait "$pid" 2>/dev/null
  done
  rm -rf "$tap_tmp"
}
trap tap_cleanup EXIT
trap 'exit 130' INT TERM

tap_cleanup_pid() {
  tap_pids="$tap_pids $1"
}

tap_ok() {
  tap_n=$((tap_n + 1))
  echo "ok $tap_n - $1"
}

tap_not_ok() {
  tap_n=$((tap_n + 1))
  tap_failed=$((tap_failed + 1))
  echo "not ok $tap_n - $1"
}

# tap_check NAME COMMAND...: pass when COMMAND exits 0.
tap_check() {
  name=$1
  shift
  if "$@"; then tap_ok "$name"; else tap_not_ok "$name"; fi
}

# tap_eq NAME EXPECTED ACTUAL: pass when the two strings are equal.
tap_eq() {
  if [ "$2" = "$3" ]; then
    tap_ok "$1"
  else
    tap_not_ok "$1"
    echo "#   expected: $2"
    echo "#   actual:   $3"
  fi
}

# tap_cmp NAME EXPECTED_FILE ACTUAL_FILE: pass when the bytes are equal.
tap_cmp() {
  if cmp -s "$2" "$3"; then
    tap_ok "$1"
  else
    tap_not_ok "$1"
    diff -u "$2" "$3" | head -n 30 | sed 's/^/#   /'
  fi
}

# Print a free TCP port on 127.0.0.1 (best effort: another process can take
# it before the caller binds it).
tap_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + $$ % 20000))
}

# tap_wait_ready NAME PID FILE: wait up to 10 s for the server PID to
# print its "simworld: ready" line to FILE, then check that it did.
tap_wait_ready() {
  i=0
  until grep -q '^simworld: ready' "$3" || [ $i -ge 100 ]; do
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
  done
  tap_check "$1" grep -q '^simworld: ready' "$3"
}

tap_done() {
  echo "1..$tap_n"
  [ "$tap_failed" -eq 0 ]
}
