#!/usr/bin/env bash
# Brings the whole Clubroom system up (called by `make run`). Ctrl-C stops everything it started.
#  embedded (no REDIS_URL): ClubOS sandbox + one daphne that also runs the beat schedule in-process
#  REDIS_URL set:           ClubOS sandbox + daphne + celery worker + celery beat
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${CLUBROOM_HOST:-127.0.0.1}
PORT=${CLUBROOM_PORT:-8000}
SANDBOX_PORT=${CLUBOS_SANDBOX_PORT:-8765}
# Links in emails (unsubscribe, the conversation) point at this server unless told otherwise.
export CLUBROOM_SITE_URL=${CLUBROOM_SITE_URL:-http://${HOST}:${PORT}}
mkdir -p var

# Set in the environment or in .env (which settings.py reads): then this script leaves it alone.
is_set() { [ -n "${!1:-}" ] || { [ -f .env ] && grep -Eq "^[[:space:]]*(export[[:space:]]+)?$1=" .env; }; }

# A demo shows Clubroom's own error pages: Django's debug pages only when asked for (DJANGO_DEBUG=1).
if ! is_set DJANGO_DEBUG; then
  export DJANGO_DEBUG=0
fi
if [[ "${DJANGO_DEBUG:-0}" =~ ^(0|false|False|no|off)$ ]] && ! is_set DJANGO_SECRET_KEY; then
  # Debug off refuses the development key (clubroom.E001): use a random key made once for this checkout.
  if [ ! -s var/secret_key ]; then
    (umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
  fi
  DJANGO_SECRET_KEY="$(cat var/secret_key)"
  export DJANGO_SECRET_KEY
fi
# make run serves plain HTTP: cookies marked Secure would never come back from the browser, and a
# redirect to https would lead nowhere.
if ! is_set DJANGO_SECURE_COOKIES; then
  export DJANGO_SECURE_COOKIES=0
fi
if ! is_set DJANGO_SECURE_SSL_REDIRECT; then
  export DJANGO_SECURE_SSL_REDIRECT=0
fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping Clubroom…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

start_sandbox=0
if [ -z "${CLUBOS_BASE_URL:-}" ] && $PY manage.py help clubos_sandbox >/dev/null 2>&1; then
  export CLUBOS_BASE_URL="http://127.0.0.1:${SANDBOX_PORT}"
  start_sandbox=1
fi

$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo
$PY manage.py collectstatic --noinput -v 0

if [ "$start_sandbox" = 1 ]; then
  $PY manage.py clubos_sandbox --port "$SANDBOX_PORT" &
  sandbox_pid=$!
  pids+=("$sandbox_pid")
  # The first sync runs as soon as daphne starts: wait until the sandbox answers, so it never
  # starts with a "could not be reached" warning.
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${SANDBOX_PORT}") 2>/dev/null; then break; fi
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
      echo "The ClubOS sandbox did not start (is port ${SANDBOX_PORT} taken? set CLUBOS_SANDBOX_PORT)."; exit 1
    fi
    sleep 0.1
  done
fi

if [ -n "${REDIS_URL:-}" ]; then
  .venv/bin/celery -A config worker --loglevel=INFO --concurrency="${CELERY_CONCURRENCY:-2}" &
  pids+=($!)
  .venv/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule &
  pids+=($!)
  mode="PostgreSQL/Redis mode: daphne + celery worker + celery beat"
else
  export CLUBROOM_EMBEDDED_SCHEDULER=1
  mode="embedded mode: one daphne process, in-memory channel layer, in-process scheduler"
fi

# On PostgreSQL, daphne (and only daphne) takes its connections from a pool: one thread per request.
case "${DATABASE_URL:-}" in
  postgres*) daphne_env=(env "DJANGO_DB_POOL_SIZE=${DJANGO_DB_POOL_SIZE:-16}") ;;
  *) daphne_env=() ;;
esac
"${daphne_env[@]}" .venv/bin/daphne -b "$HOST" -p "$PORT" config.asgi:application &
pids+=($!)

cat <<MSG

Clubroom is up ($mode)
  Site:        http://${HOST}:${PORT}/
  Admin:       http://${HOST}:${PORT}/admin/
  API docs:    http://${HOST}:${PORT}/api/docs/
  ClubOS:      ${CLUBOS_BASE_URL:-not configured}$([ "$start_sandbox" = 1 ] && echo " (sandbox)")
  Logins are listed above (seed_demo). Ctrl-C stops everything.

MSG
wait -n "${pids[@]}" || true
