#!/usr/bin/env bash
# PostgreSQL + RabbitMQ for AiiDA's daemon, and a `core.psql_dos` profile that uses them.
#
#   bash scripts/services.sh            # make sure both services answer, then create the profile
#   bash scripts/services.sh --start    # only make sure both services answer (start / install them)
#   bash scripts/services.sh --check    # only probe both services: exit 0 if both answer, 1 if not
#
# A service that already answers is used as it is. One that does not is started on loopback
# (`pg_ctlcluster ... start`, `rabbitmq-server -detached`) and, if its Debian package is missing,
# installed first with apt-get (as root, or with `sudo -n`). `--no-install` forbids installing.
#
# The profile (default `symclf-psql`) is created once, in the AiiDA configuration directory
# `$AIIDA_PATH` (default `<repo>/.aiida`, so `~/.aiida` is untouched), with its own PostgreSQL
# database and user and the `core.rabbitmq` broker; running the script again reuses it.
#
# Settings (environment): AIIDA_PATH, SYMCLF_PROFILE (symclf-psql), SYMCLF_DB_NAME (<profile>
# with - as _), SYMCLF_DB_USER (same), SYMCLF_DB_PASSWORD (symclf), PGHOST (127.0.0.1),
# PGPORT (5432), RABBITMQ_HOST (127.0.0.1), RABBITMQ_PORT (5672), VERDI (<repo>/.venv/bin/verdi),
# SYMCLF_SERVICE_TIMEOUT (seconds to wait for a started service, 60).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE=all
INSTALL=1
for argument in "$@"; do
    case "$argument" in
        --check) MODE=check ;;
        --start) MODE=start ;;
        --no-install) INSTALL=0 ;;
        -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "services.sh: unknown option $argument (see --help)" >&2; exit 2 ;;
    esac
done

export AIIDA_PATH="${AIIDA_PATH:-$REPO/.aiida}"
PROFILE="${SYMCLF_PROFILE:-symclf-psql}"
DB_NAME="${SYMCLF_DB_NAME:-${PROFILE//-/_}}"
DB_USER="${SYMCLF_DB_USER:-${PROFILE//-/_}}"
DB_PASSWORD="${SYMCLF_DB_PASSWORD:-symclf}"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
MQ_HOST="${RABBITMQ_HOST:-127.0.0.1}"
MQ_PORT="${RABBITMQ_PORT:-5672}"
TIMEOUT="${SYMCLF_SERVICE_TIMEOUT:-60}"
VERDI="${VERDI:-$REPO/.venv/bin/verdi}"
[[ -x "$VERDI" ]] || VERDI="$(command -v verdi || true)"

say() { echo "services.sh: $*"; }
die() { echo "services.sh: ERROR: $*" >&2; exit 1; }

# --- probes -----------------------------------------------------------------------------------

postgres_answers() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
    else
        timeout 2 bash -c "exec 3<>/dev/tcp/$PG_HOST/$PG_PORT" 2>/dev/null
    fi
}

rabbitmq_answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$MQ_HOST/$MQ_PORT" 2>/dev/null; }

wait_for() {  # wait_for NAME PROBE: poll PROBE for up to $TIMEOUT seconds
    local name="$1" probe="$2" waited=0
    until "$probe"; do
        ((waited >= TIMEOUT)) && return 1
        sleep 1
        waited=$((waited + 1))
    done
    say "$name answers (after ${waited} s)"
}

# --- starting and installing ------------------------------------------------------------------

as_root() {  # run a command as root: directly, or through passwordless sudo
    if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}

apt_install() {
    ((INSTALL)) || die "$1 is not installed and --no-install was given"
    command -v apt-get >/dev/null || die "$1 is not installed and there is no apt-get to install it"
    say "installing Debian package(s) $* (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
        die "apt-get install $* failed (needs root or passwordless sudo, and the package registry)"
}

start_postgres() {
    if [[ ! -d /etc/postgresql ]] || [[ -z "$(ls -A /etc/postgresql 2>/dev/null)" ]]; then
        apt_install postgresql
    fi
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    say "starting PostgreSQL $version (cluster main, listening on localhost)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true  # 'already running' is fine
    wait_for PostgreSQL postgres_answers || die "PostgreSQL does not answer on $PG_HOST:$PG_PORT after ${TIMEOUT} s"
}

start_rabbitmq() {
    if ! command -v rabbitmq-server >/dev/null && [[ ! -x /usr/sbin/rabbitmq-server ]]; then
        apt_install rabbitmq-server
        # Long-running WorkChains must not be requeued after RabbitMQ's default 30-minute
        # consumer timeout (AiiDA warns about it); only done for an installation we made.
        [[ -e /etc/rabbitmq/advanced.config ]] ||
            echo '[{rabbit, [{consumer_timeout, undefined}]}].' | as_root tee /etc/rabbitmq/advanced.config >/dev/null
    fi
    say "starting RabbitMQ on loopback"
    as_root env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 PATH="/usr/sbin:$PATH" rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_for RabbitMQ rabbitmq_answers || die "RabbitMQ does not answer on $MQ_HOST:$MQ_PORT after ${TIMEOUT} s"
}

# --- the profile ------------------------------------------------------------------------------

pg_admin() {  # pg_admin SQL: run SQL as the PostgreSQL superuser (TCP with trust, else the local socket)
    psql -X -q -t -A -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -c "$1" 2>/dev/null ||
        as_root runuser -u postgres -- psql -X -q -t -A -p "$PG_PORT" -d postgres -c "$1"
}

ensure_database() {
    if [[ -z "$(pg_admin "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" ]]; then
        pg_admin "CREATE USER \"$DB_USER\" WITH PASSWORD '$DB_PASSWORD'" || die "cannot create PostgreSQL user $DB_USER"
        say "created PostgreSQL user $DB_USER"
    fi
    if [[ -z "$(pg_admin "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]]; then
        pg_admin "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\" ENCODING 'UTF8' TEMPLATE template0" ||
            die "cannot create PostgreSQL database $DB_NAME"
        pg_admin "GRANT ALL PRIVILEGES ON DATABASE \"$DB_NAME\" TO \"$DB_USER\"" >/dev/null
        say "created PostgreSQL database $DB_NAME (owner $DB_USER)"
    fi
}

ensure_profile() {
    [[ -n "$VERDI" ]] || die "verdi not found (set VERDI or create .venv with 'python3 tasks.py test')"
    if "$VERDI" profile show "$PROFILE" >/dev/null 2>&1; then
        say "profile $PROFILE already exists in $AIIDA_PATH"
        return
    fi
    ensure_database
    "$VERDI" profile setup core.psql_dos --non-interactive --no-set-as-default \
        --profile-name "$PROFILE" --email "$PROFILE@localhost" \
        --first-name symclf --last-name user --institution localhost \
        --broker core.rabbitmq \
        --database-hostname "$PG_HOST" --database-port "$PG_PORT" --database-name "$DB_NAME" \
        --database-username "$DB_USER" --database-password "$DB_PASSWORD" \
        --repository-uri "file://$AIIDA_PATH/repository/$PROFILE" >/dev/null ||
        die "verdi profile setup failed for $PROFILE: database $DB_NAME may hold an older profile's data; drop it (psql -U postgres -c 'DROP DATABASE $DB_NAME') or set SYMCLF_DB_NAME"
    [[ "$("$VERDI" profile show "$PROFILE")" == *core.rabbitmq* ]] ||
        die "profile $PROFILE was created without the RabbitMQ broker"
    say "created profile $PROFILE (core.psql_dos, database $DB_NAME, broker core.rabbitmq) in $AIIDA_PATH"
}

# --- main -------------------------------------------------------------------------------------

if [[ $MODE == check ]]; then
    pg=down mq=down
    postgres_answers && pg=up
    rabbitmq_answers && mq=up
    say "PostgreSQL $PG_HOST:$PG_PORT $pg, RabbitMQ $MQ_HOST:$MQ_PORT $mq"
    [[ $pg == up && $mq == up ]]
    exit
fi

if postgres_answers; then say "PostgreSQL answers on $PG_HOST:$PG_PORT"; else start_postgres; fi
if rabbitmq_answers; then say "RabbitMQ answers on $MQ_HOST:$MQ_PORT"; else start_rabbitmq; fi
[[ $MODE == start ]] && exit 0

ensure_profile
say "use it with: AIIDA_PATH=$AIIDA_PATH verdi -p $PROFILE daemon start 2"
