#!/usr/bin/env bash
# The pages benchmark (release build): the accueil, the dossier lists and a dossier's page at
# 10,000 dossiers, on SQLite, then on PostgreSQL (127.0.0.1:5432, a fresh database); and the
# bytes of a first visit. Prints figures; asserts nothing. Extra arguments go to `pieces bench pages`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIECES_CACHE=${PIECES_CACHE:-$HOME/.cache/pieces}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PIECES_CACHE/target}
cargo build --release --locked --features bench
PIECES="$CARGO_TARGET_DIR/release/pieces"
PG=${PIECES_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
DB="pieces_bench_pages_$$"
trap 'psql "$PG/test" -qc "drop database if exists $DB" >/dev/null 2>&1 || true' EXIT

echo "== SQLite"
"$PIECES" bench pages "$@"
echo "== PostgreSQL"
psql "$PG/test" -qc "create database $DB"
"$PIECES" bench pages --database-url "$PG/$DB" "$@"
