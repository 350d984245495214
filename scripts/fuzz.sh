#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input (fuzz/: the PDF text reader, the CMap reader, the Factur-X
# reader, the search's words through their bounds and tantivy's parser, the invoice request) with
# cargo-fuzz (libFuzzer, AddressSanitizer) on the nightly toolchain.
#
#   scripts/fuzz.sh [SECONDS]   each target for SECONDS (default 600); the test command runs 20
#
# The corpus each run grows lives in the cache (~/.cache/pieces/fuzz-corpus/TARGET); the committed
# seeds (fuzz/corpus/TARGET: hand-made inputs and every input that once failed) and the samples
# are read too. A failure leaves its input in fuzz/artifacts/TARGET/: fix it, then add it to
# fuzz/corpus/TARGET. Exit status: non-zero when a target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-600}
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=$PIECES_CACHE/fuzz-target
export PATH=$PIECES_CACHE/tools/bin:$PATH
TARGETS="pdf_text cmap facturx query invoice_request"

if ! command -v cargo-fuzz >/dev/null; then
  echo "== installing cargo-fuzz into $PIECES_CACHE/tools"
  CARGO_TARGET_DIR=$PIECES_CACHE/tools-target cargo install cargo-fuzz --version 0.13.2 --locked \
    --root "$PIECES_CACHE/tools" || exit 1
fi
echo "== building the fuzz targets"
cargo +nightly fuzz build --fuzz-dir fuzz || exit 1

failed=0
for target in $TARGETS; do
  corpus=$PIECES_CACHE/fuzz-corpus/$target
  mkdir -p "$corpus"
  seeds=(fuzz/corpus/$target)
  case $target in
    pdf_text | facturx) seeds+=(samples/upload samples/facturx) ;;
    invoice_request) seeds+=(samples/invoice) ;;
  esac
  # -timeout: an input that takes 5 s is a failure (a blow-up); -rss_limit_mb: so is 2 GiB.
  if cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$corpus" "${seeds[@]}" -- \
      -max_total_time="$SECONDS_PER_TARGET" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$PIECES_CACHE/fuzz-$target.log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "$PIECES_CACHE/fuzz-$target.log" | tail -1)
    echo "fuzz $target: ok (${runs:-no summary}, ${SECONDS_PER_TARGET} s)"
  else
    echo "fuzz $target: FAILED; the end of its log:"
    tail -n 30 "$PIECES_CACHE/fuzz-$target.log"
    failed=1
  fi
done
exit $failed
