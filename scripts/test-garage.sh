#!/usr/bin/env bash
# Runs the integration suite against PostgreSQL and Garage (a geo-distributed S3 store), the
# second real S3 server pieces is checked against. Garage is built once from crates.io (about
# 35 minutes on 2 cores) and cached in ~/.cache/pieces/garage.
set -uo pipefail
cd "$(dirname "$0")/.."
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PIECES_CACHE/target}
export PIECES_TEST_DATABASE_URL=${PIECES_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
GARAGE="$PIECES_CACHE/garage/bin/garage"
source scripts/lib.sh

if [ ! -x "$GARAGE" ]; then
  echo "== building Garage 2.5.0 (once; about 35 minutes)"
  cargo install garage --version 2.5.0 --locked --no-default-features --features bundled-libs,lmdb \
    --root "$PIECES_CACHE/garage" || exit 1
fi

WORK=$(mktemp -d)
export AWS_ACCESS_KEY_ID=GK0123456789abcdef01234567
export AWS_SECRET_ACCESS_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
cat > "$WORK/garage.toml" <<TOML
metadata_dir = "$WORK/meta"
data_dir = "$WORK/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:3901"
rpc_public_addr = "127.0.0.1:3901"
rpc_secret = "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:3900"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:3903"
TOML
GARAGE_DEFAULT_ACCESS_KEY=$AWS_ACCESS_KEY_ID GARAGE_DEFAULT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
  GARAGE_DEFAULT_BUCKET=documents "$GARAGE" -c "$WORK/garage.toml" server --single-node --default-bucket \
  > "$WORK/garage.log" 2>&1 &
GARAGE_PID=$!
cleanup() {
  kill -TERM "$GARAGE_PID" 2>/dev/null && wait "$GARAGE_PID" 2>/dev/null
  drop_test_databases
  rm -rf "$WORK"
}
trap cleanup EXIT

export PIECES_TEST_S3_ENDPOINT=http://127.0.0.1:3900 PIECES_TEST_S3_REGION=garage
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null -I --aws-sigv4 "aws:amz:garage:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$PIECES_TEST_S3_ENDPOINT/documents"; do
  if ! kill -0 "$GARAGE_PID" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
    echo "Garage did not start; its log:" >&2; tail -n 40 "$WORK/garage.log" >&2; exit 1
  fi
  sleep 0.5
done
# Each test creates its own bucket: let the key create buckets.
"$GARAGE" -c "$WORK/garage.toml" key allow --create-bucket "$AWS_ACCESS_KEY_ID" >/dev/null || exit 1
echo "== Garage serves S3 on $PIECES_TEST_S3_ENDPOINT"

cargo test --locked --test api 2>&1 | tee "$WORK/test.log"
status=${PIPESTATUS[0]}
read -r passed failed < <(count_results "$WORK/test.log")
echo "pieces tests on PostgreSQL + Garage: $passed passed, $failed failed"
exit "$status"
