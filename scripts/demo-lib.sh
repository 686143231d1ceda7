# Shared steps of the demo (scripts/demo.sh) and its end-to-end test
# (tests/world/demo.sh): generate the demo world, serve it, clean a file
# against it. Source it with demo_top set to the repository root.
#
# Everything listens on loopback: simworld's DNS and HTTPS on 127.0.0.1,
# its SMTP hosts on 127.1.x.x and the real Postfix of
# scripts/demo-postfix.sh on the external hosts of demo/world.extra
# (127.0.25.x). All SMTP listeners share one port number, because
# listclean dials every MX on --smtp-port.

demo_extra="$demo_top/demo/world.extra"
demo_simworld="$demo_top/build/simworld"
demo_listclean="$demo_top/build/listclean"

# Print a free TCP port on 127.0.0.1. Another process can take it before
# the caller binds it; the servers then fail to start with a message.
demo_free_port() {
  python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# demo_ports: set demo_dns_port, demo_smtp_port and demo_https_port.
demo_ports() {
  demo_dns_port=$(demo_free_port) &&
    demo_smtp_port=$(demo_free_port) &&
    demo_https_port=$(demo_free_port)
}

# demo_gen DIR SEED DOMAINS ADDRESSES MX_HOSTS [GEN OPTIONS]: write a world
# with the demo's extra entries to DIR.
demo_gen() {
  dir=$1 seed=$2 domains=$3 addresses=$4 mx_hosts=$5
  shift 5
  "$demo_simworld" gen --out "$dir" --seed "$seed" --domains "$domains" \
    --addresses "$addresses" --mx-hosts "$mx_hosts" --extra "$demo_extra" \
    "$@"
}

# demo_serve WORLD_DIR LOG_DIR: start simworld in the background on the
# ports of demo_ports and wait until it is ready (at most 10 s). Sets
# demo_sim_pid. Returns 1 when it did not come up, and LOG_DIR/simworld.err
# then contains the error.
demo_serve() {
  "$demo_simworld" serve --world "$1" --dns "127.0.0.1:$demo_dns_port" \
    --smtp-port "$demo_smtp_port" --https-port "$demo_https_port" \
    --greylist-s 1 --tarpit-ms 200 --throttle-pct 0 \
    --stats "$2/simworld-stats.json" \
    >"$2/simworld.out" 2>"$2/simworld.err" &
  demo_sim_pid=$!
  i=0
  until grep -q ready "$2/simworld.out" 2>/dev/null; do
    kill -0 "$demo_sim_pid" 2>/dev/null || return 1
    [ $i -ge 100 ] && return 1
    sleep 0.1
    i=$((i + 1))
  done
}

# demo_clean WORLD_DIR INPUT OUTPUT [LISTCLEAN OPTIONS]: run listclean with
# every check against the served world. Short timeouts and retry delays
# keep the run to seconds, and greylisting that never clears ends as
# unknown/greylisted after 6 s. no_proxy keeps libcurl from sending the
# identity requests to a proxy named in https_proxy or all_proxy.
demo_clean() {
  world=$1 input=$2 output=$3
  shift 3
  no_proxy='*' NO_PROXY='*' "$demo_listclean" --checks all \
    --dns-server "127.0.0.1:$demo_dns_port" --dns-timeout 0.5 \
    --dns-tries 2 --allow-private-mx \
    --smtp-port "$demo_smtp_port" --helo probe.listclean.test \
    --from verify@probe.listclean.test --connect-timeout 2 \
    --command-timeout 5 --greylist-retry 1 --greylist-max-wait 6 \
    --backoff 1 --connect-rate 50 --rcpt-rate 100000 --seed 7 \
    --identity-url "https://127.0.0.1:$demo_https_port" \
    --ca-file "$world/ca.pem" --identity-rate 100 \
    "$@" "$input" -o "$output"
}
