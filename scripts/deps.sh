#!/bin/sh
# Install the Debian packages that building, testing and the demo need,
# but only those that are missing, so a second run costs a few dpkg queries.
set -eu
packages="build-essential pkg-config clang clang-format libclang-rt-14-dev
  libuv1-dev libc-ares-dev libssl-dev libzstd-dev zstd libidn2-dev libpsl-dev
  libcsv-dev libcmocka-dev libcurl4-openssl-dev libjansson-dev
  dnsutils nsd postfix openssl iproute2 procps python3 time valgrind llvm"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "listclean: installing missing packages:$missing" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "listclean: not root and no sudo; install as root:$missing" >&2
    exit 1
  }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Postfix asks for a mail name and a site type; preseed "No configuration"
# so the install never waits for input. The tests run their own instance.
echo "postfix postfix/main_mailer_type select No configuration" |
  $sudo debconf-set-selections
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
