#!/usr/bin/env bash
# Helpers shared by the test scripts (sourced).

# Drops the databases the integration tests created on PostgreSQL.
drop_test_databases() {
  command -v psql >/dev/null || return 0
  psql "$PIECES_TEST_DATABASE_URL" -Atc "select datname from pg_database where datname like 'pieces_test_%'" 2>/dev/null |
    while read -r name; do psql "$PIECES_TEST_DATABASE_URL" -qc "drop database if exists $name" >/dev/null 2>&1; done
}

# Prints "PASSED FAILED": the sums of cargo's "test result: … N passed; M failed" lines in FILES.
count_results() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1) } }
    END { printf "%d %d\n", p, f }' "$@"
}
