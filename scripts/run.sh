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
  pids+=($!)
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

.venv/bin/daphne -b "$HOST" -p "$PORT" config.asgi:application &
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
