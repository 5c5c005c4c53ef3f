#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and benchmarks, on a free loopback port (never 5432).
#   scripts/pg-test-server.sh start [--durable | --hosted [DELAY_MS]]  -> prints the connection URL on stdout
#   scripts/pg-test-server.sh stop                                      -> stops it (and its standby) and deletes its folder
#   scripts/pg-test-server.sh hot-standby                               -> adds an asynchronous hot standby, prints its URL
#   scripts/pg-test-server.sh pgbouncer URL                             -> a PgBouncer in transaction mode in front of
#                                                                          it (installs Debian's pgbouncer when missing); prints its URL
#   scripts/pg-test-server.sh crash | restart                           -> kills the primary (pg_ctl -m immediate: no
#                                                                          checkpoint, no WAL flush) | starts it again
# --durable keeps fsync and synchronous_commit on (benchmarks); tests run without them for speed.
# --hosted is durable too, plus a synchronous standby that applies each commit DELAY_MS (default 2) late:
#   every commit then waits about 3 ms for replication, as on hosted PostgreSQL (Neon, RDS Multi-AZ, Cloud SQL HA).
set -euo pipefail

state_file="${AGENTLEDGER_PG_STATE:-${TMPDIR:-/tmp}/agentledger-pgtest.state}"

find_bin() {
  local dir
  for dir in "$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")")" /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

install_postgres() {
  # Only when the binaries are missing: on a machine with a running PostgreSQL an install may upgrade and restart it.
  echo "PostgreSQL binaries not found; installing postgresql-15 (apt)" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: need root to install postgresql-15; install it, or set AGENTLEDGER_TEST_POSTGRES to an existing server" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
}

free_port() {
  local port
  for port in $(seq 55432 55532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "error: no free port in 55432-55532" >&2
  exit 1
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local durable=0 hosted=0 delay=2
  case "${1:-}" in
    --durable) durable=1 ;;
    --hosted) durable=1; hosted=1; delay=${2:-2} ;;
  esac
  local bin
  bin=$(find_bin) || { install_postgres; bin=$(find_bin); }
  local dir port password
  dir=$(mktemp -d "${TMPDIR:-/tmp}/agentledger-pg.XXXXXX")
  chmod 755 "$dir"
  port=$(free_port)
  printf '%s\n%s\n' "$dir" "$bin" > "$state_file"
  password="test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
  (umask 077; printf '%s\n' "$password" > "$dir/pwfile")
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/pwfile"; fi
  as_pg "$bin/initdb" -D "$dir/data" -U ledger --pwfile="$dir/pwfile" --auth-host=scram-sha-256 --auth-local=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "max_connections = 200"
    if [ "$durable" -eq 0 ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
    if [ "$hosted" -eq 1 ]; then
      echo "wal_level = replica"
      echo "max_wal_senders = 4"
    fi
  } >> "$dir/data/postgresql.conf"
  # First line: initdb's own replication lines ask for a password that the base backup does not give.
  [ "$hosted" -eq 1 ] && sed -i '1i host replication all 127.0.0.1/32 trust' "$dir/data/pg_hba.conf"
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  "$bin/pg_isready" -h 127.0.0.1 -p "$port" -t 30 >/dev/null
  as_pg "$bin/createdb" -h "$dir" -p "$port" -U ledger agentledger_test
  [ "$hosted" -eq 1 ] && start_standby "$bin" "$dir" "$port" "$delay"
  echo "postgresql://ledger:$password@127.0.0.1:$port/agentledger_test"
}

# The synchronous standby of --hosted: made from a base backup, applying every commit DELAY_MS late, and only
# then named synchronous (before it runs, a synchronous primary would wait forever).
start_standby() {
  local bin=$1 dir=$2 port=$3 delay=$4 standby_port
  standby_port=$(free_port_after "$port")
  printf '%s\n' "$dir/standby" >> "$state_file"
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U ledger -D "$dir/standby" -R -X stream -c fast >"$dir/basebackup.log" 2>&1 \
    || { cat "$dir/basebackup.log" >&2; exit 1; }
  {
    echo "port = $standby_port"
    echo "hot_standby = on"
    echo "recovery_min_apply_delay = '${delay}ms'"
  } >> "$dir/standby/postgresql.conf"
  as_pg "$bin/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 start >/dev/null \
    || { cat "$dir/standby.log" >&2; exit 1; }
  as_pg "$bin/psql" -h "$dir" -p "$port" -U ledger -d agentledger_test -qAt \
    -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "ALTER SYSTEM SET synchronous_commit = 'remote_apply'" >/dev/null
  as_pg "$bin/psql" -h "$dir" -p "$port" -U ledger -d agentledger_test -qAtc "SELECT pg_reload_conf()" >/dev/null
  local i
  for i in $(seq 1 100); do
    if [ "$(as_pg "$bin/psql" -h "$dir" -p "$port" -U ledger -d agentledger_test -qAtc "SELECT sync_state FROM pg_stat_replication")" = "sync" ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "error: the standby did not become synchronous" >&2
  exit 1
}

# A hot standby (asynchronous streaming replica, as a hosted read replica is) of the server this state file
# started; prints its URL. Stopped with the server.
start_hot_standby() {
  [ -f "$state_file" ] || { echo "error: no server started with this state file ($state_file)" >&2; exit 1; }
  local dir bin port standby_port password
  dir=$(sed -n 1p "$state_file")
  bin=$(sed -n 2p "$state_file")
  port=$(sed -n 's/^port = //p' "$dir/data/postgresql.conf" | tail -n 1)
  password=$(cat "$dir/pwfile")
  # First line: initdb's own replication lines ask for a password that the base backup does not give.
  if ! grep -q '^host replication all 127.0.0.1/32 trust' "$dir/data/pg_hba.conf"; then
    sed -i '1i host replication all 127.0.0.1/32 trust' "$dir/data/pg_hba.conf"
    as_pg "$bin/psql" -h "$dir" -p "$port" -U ledger -d agentledger_test -qAtc "SELECT pg_reload_conf()" >/dev/null
  fi
  standby_port=$(free_port_after "$port")
  printf '%s\n' "$dir/standby" >> "$state_file"
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U ledger -D "$dir/standby" -R -X stream -c fast >"$dir/basebackup.log" 2>&1 \
    || { cat "$dir/basebackup.log" >&2; exit 1; }
  { echo "port = $standby_port"; echo "hot_standby = on"; echo "wal_retrieve_retry_interval = '500ms'"; } >> "$dir/standby/postgresql.conf"
  as_pg "$bin/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 start >/dev/null \
    || { cat "$dir/standby.log" >&2; exit 1; }
  "$bin/pg_isready" -h 127.0.0.1 -p "$standby_port" -t 30 >/dev/null
  echo "postgresql://ledger:$password@127.0.0.1:$standby_port/agentledger_test"
}

free_port_after() {
  local port
  for port in $(seq $(( $1 + 1 )) 55632); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "error: no free port after $1" >&2
  exit 1
}

stop() {
  [ -f "$state_file" ] || return 0
  local dir bin
  dir=$(sed -n 1p "$state_file")
  bin=$(sed -n 2p "$state_file")
  if [ -f "$dir/pgbouncer.pid" ]; then
    kill "$(cat "$dir/pgbouncer.pid")" >/dev/null 2>&1 || true
  fi
  if [ -d "$dir/standby" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/standby" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -d "$dir/data" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir" "$state_file"
}

# PgBouncer in transaction mode, as hosted poolers run (Supabase's 6543, Neon's -pooler hosts): each transaction
# may run on another server connection. Two server connections for many clients, so any state kept on a
# connection across transactions (a prepared statement, LISTEN) breaks at once rather than by chance.
start_pgbouncer() {
  local url=$1 dir
  if [ -f "$state_file" ]; then
    dir=$(sed -n 1p "$state_file")
  else # in front of a server we did not start: a folder of its own, removed by stop
    dir=$(mktemp -d "${TMPDIR:-/tmp}/agentledger-pgbouncer.XXXXXX")
    chmod 755 "$dir"
    printf '%s\n' "$dir" > "$state_file"
  fi
  if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    echo "pgbouncer not found; installing it (apt)" >&2
    [ "$(id -u)" -eq 0 ] || { echo "error: need root to install pgbouncer" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >&2 \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >&2; }
    # The package starts a system-wide instance on 6432; ours runs on its own port.
    systemctl stop pgbouncer >/dev/null 2>&1 || service pgbouncer stop >/dev/null 2>&1 || true
  fi
  local exe
  exe=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  [[ "$url" =~ ^postgres(ql)?://([^:]+):([^@]+)@([^:/]+):([0-9]+)/([^?]+) ]] \
    || { echo "error: cannot parse the server URL (expected postgresql://user:password@host:port/database)" >&2; exit 1; }
  local user=${BASH_REMATCH[2]} password=${BASH_REMATCH[3]} host=${BASH_REMATCH[4]} port=${BASH_REMATCH[5]} db=${BASH_REMATCH[6]}
  local bouncer_port
  bouncer_port=$(free_port_after "$port")
  # The password file readable by its owner only (PgBouncer runs as postgres when we are root).
  (umask 077; printf '"%s" "%s"\n' "$user" "$password" > "$dir/userlist.txt")
  cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,search_path
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  chmod 644 "$dir/pgbouncer.ini"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/userlist.txt"; fi
  as_pg "$exe" -d "$dir/pgbouncer.ini" >/dev/null 2>&1 || { cat "$dir/pgbouncer.log" >&2 2>/dev/null; exit 1; }
  local i
  for i in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$bouncer_port") 2>/dev/null; then
      echo "postgresql://$user:$password@127.0.0.1:$bouncer_port/$db"
      return 0
    fi
    sleep 0.1
  done
  echo "error: PgBouncer did not accept connections on port $bouncer_port" >&2
  exit 1
}

# For durability tests: what a power cut does to the server process (its WAL buffers and dirty pages are lost;
# only what was flushed survives), then recovery from the WAL.
crash() {
  local dir bin
  dir=$(sed -n 1p "$state_file")
  bin=$(sed -n 2p "$state_file")
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
}

restart() {
  local dir bin
  dir=$(sed -n 1p "$state_file")
  bin=$(sed -n 2p "$state_file")
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; exit 1; }
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  pgbouncer) start_pgbouncer "$2" ;;
  hot-standby) start_hot_standby ;;
  crash) crash ;;
  restart) restart ;;
  *) echo "usage: $0 start [--durable | --hosted [DELAY_MS]] | stop | pgbouncer URL | hot-standby | crash | restart" >&2; exit 2 ;;
esac
