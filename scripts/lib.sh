#!/usr/bin/env bash
# Helpers shared by the test scripts (sourced).

# Makes (once) a Python virtual environment in DIR holding what pip ARGS... install, unless
# DIR's python can already run CHECK (a Python statement, e.g. `import facturx`). Used for every
# tool the tests take from PyPI, so that each lives in its own folder of the cache.
install_venv() {
  local dir=$1 check=$2
  shift 2
  if ! "$dir/bin/python" -c "$check" 2>/dev/null; then
    echo "== installing $* in $dir"
    rm -rf "$dir"
    python3 -m venv "$dir" && "$dir/bin/pip" install -q "$@" || return 1
  fi
}

# Drops the databases the integration tests created on PostgreSQL.
drop_test_databases() {
  command -v psql >/dev/null || return 0
  psql "$PIECES_TEST_DATABASE_URL" -Atc "select datname from pg_database where datname ~ '^pieces_test_[0-9a-f]{32}$'" 2>/dev/null |
    while read -r name; do psql "$PIECES_TEST_DATABASE_URL" -qc "drop database if exists $name" >/dev/null 2>&1; done
}

# Prints "PASSED FAILED": the sums of cargo's "test result: … N passed; M failed" lines in FILES.
count_results() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1) } }
    END { printf "%d %d\n", p, f }' "$@"
}

# Waits until the S3 server at ENDPOINT serves BUCKET (a signed HEAD), while process PID lives;
# on failure prints the end of LOG. Needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
wait_for_s3() {
  local endpoint=$1 region=$2 bucket=$3 pid=$4 log=$5
  local deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null -I --aws-sigv4 "aws:amz:$region:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
      -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$endpoint/$bucket"; do
    if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
      echo "the S3 server at $endpoint did not start; its log:" >&2
      tail -n 40 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
}

# Stops process PID (SIGTERM) and waits for it.
stop_process() {
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
  fi
}
