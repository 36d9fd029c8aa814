#!/bin/sh
# Entrypoint of the SFDA image: the first argument picks the process, the rest are its flags.
#   teacher | student | orchestrator   the gRPC services (settings: SFDA_* env, --section.field flags, --config FILE)
#   sfda                               the control CLI (dist/orchestrator/cli/sfda.js)
#   healthcheck                        one grpc.health.v1 Check of this container's server
#   help                               this text
# Anything else is executed as given (e.g. `sh`, `node -e ...`).
set -e
app="$(cd "$(dirname "$0")/../.." && pwd)"   # /app in the image
cmd="${1:-help}"
[ "$#" -gt 0 ] && shift
case "$cmd" in
  teacher)      exec node "$app/dist/teacher-service/main.js" "$@" ;;
  student)      exec node "$app/dist/student-service/main.js" "$@" ;;
  orchestrator) exec node "$app/dist/orchestrator/main.js" "$@" ;;
  sfda)
    # the CLI reads SFDA_TOKEN; the services' SFDA_AUTH_TOKEN (one env file / Secret) serves both
    if [ -z "${SFDA_TOKEN:-}" ] && [ -n "${SFDA_AUTH_TOKEN:-}" ]; then export SFDA_TOKEN="$SFDA_AUTH_TOKEN"; fi
    exec node "$app/dist/orchestrator/cli/sfda.js" "$@" ;;
  healthcheck)  exec node "$app/deploy/docker/healthcheck.mjs" "$@" ;;
  help|-h|--help)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  *)            exec "$cmd" "$@" ;;
esac
