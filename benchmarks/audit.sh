#!/usr/bin/env bash
# Durable audit writes per second: SQLite from one process, PostgreSQL from 1 and from 4 processes (each a gateway's
# writer: its own queue, group commit, binary COPY) on one server, next to pgbench's own insert rate on that server.
# The server is Debian's PostgreSQL, started here in a temporary directory (fsync and synchronous_commit on, the
# defaults). Usage: benchmarks/audit.sh [records per process] [producers...]   (defaults: 20000, 1 8 64)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

records="${1:-20000}"
shift || true
producers=("${@:-1 8 64}")
read -r -a producers <<<"${producers[*]}"

bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
[[ -x "$bin/initdb" ]] || die "PostgreSQL is not installed (apt-get install postgresql)."
run_pg() { if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work="$(mktemp -d)"
chmod 755 "$work"
[[ "$(id -u)" -eq 0 ]] && chown postgres "$work"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cleanup() { run_pg "$bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
run_pg "$bin/initdb" -D "$work/data" -U guardrail --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null

nice -n 19 dotnet build tests/Guardrail.Audit.Tests -c Release -nologo -clp:ErrorsOnly >/dev/null
bench=(dotnet tests/Guardrail.Audit.Tests/bin/Release/net10.0/Guardrail.Audit.Tests.dll writer-benchmark)
psql_admin() { run_pg psql -h 127.0.0.1 -p "$port" -U guardrail -d postgres -qAt -c "$1"; }

say "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for p in "${producers[@]}"; do
  say "SQLite, 1 process, $p producers"
  nice -n 19 "${bench[@]}" "$records" "$p" redacted "" full
  for processes in 1 4; do
    db="bench_${p}_${processes}"
    psql_admin "CREATE DATABASE $db;"
    say "PostgreSQL, $processes process(es), $p producers each"
    for _ in $(seq "$processes"); do
      nice -n 19 "${bench[@]}" "$records" "$p" redacted "Host=127.0.0.1;Port=$port;Username=guardrail;Database=$db" full &
    done
    wait
    total="$(run_pg psql -h 127.0.0.1 -p "$port" -U guardrail -d "$db" -qAt -c 'SELECT count(*) FROM decisions;')"
    say "  rows in $db: $total"
  done
done

say "pgbench: single-row INSERT transactions (one commit each), 8 clients, 20 s"
psql_admin "CREATE DATABASE pgbench_insert;"
run_pg psql -h 127.0.0.1 -p "$port" -U guardrail -d pgbench_insert -qAt \
  -c "CREATE TABLE t (id bigserial PRIMARY KEY, payload text NOT NULL);"
printf "INSERT INTO t (payload) VALUES (repeat('x', 600));\n" >"$work/insert.sql"
chmod 644 "$work/insert.sql"
run_pg pgbench -h 127.0.0.1 -p "$port" -U guardrail -n -c 8 -j 2 -T 20 -f "$work/insert.sql" pgbench_insert | grep -E "^tps|latency average"
