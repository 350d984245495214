#!/usr/bin/env bash
# Builds (once, cached; about 35 minutes on 2 cores) and starts Garage on loopback as a real S3
# server. Usage: source this file, then `garage_start DIR`; `garage_stop` stops it.
# Exports PIECES_TEST_S3_ENDPOINT, PIECES_TEST_S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
# Facts behind the configuration: ../shared/notes/s3-servers.md.

PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GARAGE="$PIECES_CACHE/garage/bin/garage"
GARAGE_PID=""

garage_install() {
  if [ ! -x "$GARAGE" ]; then
    echo "== building Garage 2.5.0 (once; about 35 minutes)"
    cargo install garage --version 2.5.0 --locked --no-default-features --features bundled-libs,lmdb \
      --root "$PIECES_CACHE/garage"
  fi
}

garage_start() {
  local dir=$1
  garage_install || return 1
  mkdir -p "$dir"
  export AWS_ACCESS_KEY_ID=GK0123456789abcdef01234567
  export AWS_SECRET_ACCESS_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  cat > "$dir/garage.toml" <<TOML
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
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
    GARAGE_DEFAULT_BUCKET=documents "$GARAGE" -c "$dir/garage.toml" server --single-node --default-bucket \
    > "$dir/garage.log" 2>&1 &
  GARAGE_PID=$!
  export PIECES_TEST_S3_ENDPOINT=http://127.0.0.1:3900 PIECES_TEST_S3_REGION=garage
  wait_for_s3 "$PIECES_TEST_S3_ENDPOINT" garage documents "$GARAGE_PID" "$dir/garage.log" || return 1
  echo "== Garage serves S3 on $PIECES_TEST_S3_ENDPOINT (pid $GARAGE_PID)"
}

garage_stop() {
  stop_process "$GARAGE_PID"
  GARAGE_PID=""
}
