#!/usr/bin/env bash
# Refreshes docs/screenshots/: runs the browser test (Debian's chromium, headless, at 1280×900)
# with PIECES_SCREENSHOTS set, so that each page it checks with axe-core is also saved as a PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PIECES_CACHE/target}
source scripts/browser-tools.sh
install_browser_tools
PIECES_SCREENSHOTS="$PWD/docs/screenshots" cargo test --locked --test api browser:: -- --nocapture
ls -l docs/screenshots
