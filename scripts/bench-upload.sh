#!/usr/bin/env bash
# The upload benchmark (release build): local files, then S3 on SeaweedFS, then S3 on Garage when
# it has been built (scripts/test-garage.sh builds it). Prints figures; asserts nothing. Extra
# arguments go to `pieces bench upload`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PIECES_CACHE/target}
source scripts/s3-seaweedfs.sh
source scripts/s3-garage.sh
cargo build --release --locked --features bench
PIECES="$CARGO_TARGET_DIR/release/pieces"
WORK=$(mktemp -d)
trap 'seaweedfs_stop; garage_stop; rm -rf "$WORK"' EXIT

echo "== local files (SQLite)"
"$PIECES" bench upload --data-dir "$WORK" "$@"

echo "== S3 on SeaweedFS (SQLite)"
seaweedfs_start "$WORK/seaweedfs" >/dev/null
"$PIECES" bench upload --data-dir "$WORK" --s3-endpoint "$PIECES_TEST_S3_ENDPOINT" --s3-bucket documents "$@"
seaweedfs_stop

if [ -x "$GARAGE" ]; then
  echo "== S3 on Garage (SQLite)"
  garage_start "$WORK/garage" >/dev/null
  "$PIECES" bench upload --data-dir "$WORK" --s3-endpoint "$PIECES_TEST_S3_ENDPOINT" --s3-region garage \
    --s3-bucket documents "$@"
fi
