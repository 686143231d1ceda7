#!/bin/sh
# Clean the shipped example exports and show the result. Output goes to
# demo-output/ (override with DEMO_OUT). Checks: syntax, lists, typos and
# duplicates, which need no network.
set -eu
cd "$(dirname "$0")/.."
out=${DEMO_OUT:-demo-output}
mkdir -p "$out"
for input in examples/crm-contacts.csv examples/newsletter.csv; do
  name=$(basename "$input" .csv)
  echo "== listclean $input -o $out/$name.clean.csv.zst"
  build/listclean --checks syntax --summary "$input" \
    -o "$out/$name.clean.csv.zst"
  echo "-- first rows of the output:"
  zstd -dcq "$out/$name.clean.csv.zst" | head -n 6
  echo
done
echo "Output files are in $out/"
