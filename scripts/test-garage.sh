#!/usr/bin/env bash
# Runs the integration suite against PostgreSQL and Garage (a geo-distributed S3 store), the
# second real S3 server pieces is checked against. Garage is built once from crates.io (about
# 35 minutes on 2 cores) and cached in ~/.cache/pieces/garage.
set -uo pipefail
cd "$(dirname "$0")/.."
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PIECES_CACHE/target}
export PIECES_TEST_DATABASE_URL=${PIECES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
source scripts/lib.sh
source scripts/s3-garage.sh

WORK=$(mktemp -d)
trap 'garage_stop; drop_test_databases; rm -rf "$WORK"' EXIT
garage_start "$WORK/garage" || exit 1

cargo test --locked --test api 2>&1 | tee "$WORK/test.log"
status=${PIPESTATUS[0]}
read -r passed failed < <(count_results "$WORK/test.log")
echo "pieces tests on PostgreSQL + Garage: $passed passed, $failed failed"
exit "$status"
