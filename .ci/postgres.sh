# shellcheck shell=bash
# A throw-away PostgreSQL server for the tests. Source it (do not run it):
#
#     source .ci/postgres.sh && trap pg_stop EXIT
#
# Installs postgresql with apt-get when no server binaries are found (Debian/Ubuntu, as root),
# runs initdb in a temporary folder (as the `postgres` user when run as root: initdb refuses
# root), starts the server on 127.0.0.1:${NEWSBRIDGE_PG_PORT:-54329} with its unix socket in
# that folder, creates a database, and exports NEWSBRIDGE_TEST_POSTGRES_URL.
# Sourcing it again while the server runs only re-exports the URL. `pg_stop` stops the
# server and deletes the folder. Nothing is registered with the system (no service, no trap).

_pg_log() { echo "postgres.sh: $*" >&2; }

_pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return 0; fi
    d=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && echo "$d"
}

_pg_install() {
    if [[ $EUID -ne 0 ]]; then
        _pg_log "no PostgreSQL server binaries found and not root: install postgresql first"
        return 1
    fi
    _pg_log "installing postgresql with apt-get"
    # No default cluster: we only want the binaries (postgresql-common reads this drop-in).
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/newsbridge-ci.conf
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# Run a command as the server's OS user (root cannot run initdb/postgres).
_pg_as() {
    if [[ $EUID -eq 0 ]]; then runuser -u "$NEWSBRIDGE_PG_OSUSER" -- "$@"; else "$@"; fi
}

pg_stop() {
    [[ -n "${NEWSBRIDGE_PG_DIR:-}" && -d "$NEWSBRIDGE_PG_DIR" ]] || return 0
    if [[ -f "$NEWSBRIDGE_PG_DIR/data/postmaster.pid" ]]; then
        _pg_as "$NEWSBRIDGE_PG_BIN/pg_ctl" -D "$NEWSBRIDGE_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 \
            || _pg_log "pg_ctl stop failed (see $NEWSBRIDGE_PG_DIR/server.log)"
    fi
    rm -rf "$NEWSBRIDGE_PG_DIR"
    unset NEWSBRIDGE_PG_DIR NEWSBRIDGE_TEST_POSTGRES_URL
}

pg_start() {
    local port="${NEWSBRIDGE_PG_PORT:-54329}" user="newsbridge" dbname="newsbridge_test" dir bin
    export NEWSBRIDGE_PG_PORT="$port"
    # Already running (sourced twice)? Just re-export.
    if [[ -n "${NEWSBRIDGE_PG_DIR:-}" && -f "$NEWSBRIDGE_PG_DIR/data/postmaster.pid" ]] \
        && _pg_as "$NEWSBRIDGE_PG_BIN/pg_ctl" -D "$NEWSBRIDGE_PG_DIR/data" status >/dev/null 2>&1; then
        export NEWSBRIDGE_TEST_POSTGRES_URL="postgresql+psycopg://$user@127.0.0.1:$port/$dbname"
        return 0
    fi
    bin=$(_pg_bindir) || true
    if [[ -z "$bin" ]]; then
        _pg_install || { _pg_log "apt-get install postgresql failed"; return 1; }
        bin=$(_pg_bindir) || { _pg_log "no initdb after installing postgresql"; return 1; }
    fi
    export NEWSBRIDGE_PG_BIN="$bin"
    if [[ $EUID -eq 0 ]]; then
        export NEWSBRIDGE_PG_OSUSER=postgres
        id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1; then
        _pg_log "something already listens on 127.0.0.1:$port; set NEWSBRIDGE_PG_PORT to another port"
        return 1
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/newsbridge-pg.XXXXXX") || return 1
    export NEWSBRIDGE_PG_DIR="$dir"
    [[ $EUID -eq 0 ]] && chown "$NEWSBRIDGE_PG_OSUSER" "$dir"
    if ! _pg_as "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
            >"$dir/initdb.log" 2>&1; then
        _pg_log "initdb failed:"; cat "$dir/initdb.log" >&2; pg_stop; return 1
    fi
    # A test server: no durability needed, so no fsync (fast CREATE DATABASE).
    if ! _pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
            "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            >/dev/null; then
        _pg_log "server did not start:"; cat "$dir/server.log" >&2; pg_stop; return 1
    fi
    if ! _pg_as "$bin/createdb" -h "$dir" -p "$port" -U "$user" "$dbname"; then
        _pg_log "createdb failed"; pg_stop; return 1
    fi
    export NEWSBRIDGE_TEST_POSTGRES_URL="postgresql+psycopg://$user@127.0.0.1:$port/$dbname"
    _pg_log "$("$bin/postgres" --version) on 127.0.0.1:$port ($dir); stop with pg_stop"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "source this file: source .ci/postgres.sh && trap pg_stop EXIT" >&2
    exit 2
fi
pg_start
