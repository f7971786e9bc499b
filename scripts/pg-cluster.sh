#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks (Debian's postgresql package):
#   scripts/pg-cluster.sh start DIR PORT   initdb as the postgres user (it refuses root), start on
#                                          127.0.0.1:PORT, print the URL of its postgres database
#   scripts/pg-cluster.sh stop DIR         stop it and remove DIR
# Durability is off (fsync, full pages): the cluster lives only as long as the run.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "pg-cluster: PostgreSQL server not installed (apt-get install postgresql)" >&2; exit 3; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-}" in
start)
  DIR=$2 PORT=$3
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
  as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync >/dev/null
  # One role signs in with a password (the tests' wrong-password case); everyone else is trusted.
  { echo "host all fta_password 127.0.0.1/32 scram-sha-256"; cat "$DIR/data/pg_hba.conf"; } > "$DIR/hba" && mv "$DIR/hba" "$DIR/data/pg_hba.conf"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR/data/pg_hba.conf"
  as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=400" >/dev/null
  echo "postgres://postgres@127.0.0.1:$PORT/postgres"
  ;;
stop)
  DIR=$2
  [ -d "$DIR/data" ] && as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
  ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
