#!/usr/bin/env bash
# The invoice benchmark (release build): in-process render time, memory over 10,000 renders,
# invoices per second through HTTP, against the PyPI `typst` package (a fresh process per invoice)
# and WeasyPrint, installed here in a virtual environment in the cache. Prints figures; asserts
# nothing. Extra arguments go to `pieces bench invoice`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PIECES_CACHE/target}
VENV="$PIECES_CACHE/bench-venv"
source scripts/lib.sh
install_venv "$VENV" 'import typst, weasyprint' typst==0.15.2 weasyprint==70.0
cargo build --release --locked --features bench
"$CARGO_TARGET_DIR/release/pieces" bench invoice --python "$VENV/bin/python" "$@"
