#!/usr/bin/env bash
# make run: the local stack, evalroomd with demo data, and one edge
# recorder with a synthetic camera and microphone in each demo room.
# Ctrl-C stops them all. Edge recorder logs: .run/edge/<id>.log
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
eval "$(deploy/local/stack.sh start)"
export EVALROOM_DEMO_SEED=true EVALROOM_ARCHIVE_DIR="${EVALROOM_ARCHIVE_DIR:-.run/archive}"
addr="${EVALROOM_HTTP_ADDR:-127.0.0.1:8080}"
mkdir -p .run/edge

pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

./bin/evalroomd &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || exit 1
  sleep 0.5
done

port=7880
for id in edge-nj-1 edge-hf-1; do
  EVALROOM_EDGE_DEMO_MASTER_KEY="$EVALROOM_SECRETS_MASTER_KEY" ./bin/evalroom-edge run \
    -server "http://$addr" -recorder_id "$id" -spool ".run/edge/$id" -health_addr "127.0.0.1:$port" \
    -cameras "${DEMO_CAMERAS:-cam1=synthetic,1280x720,30fps}" -mic "mic=synthetic" \
    >".run/edge/$id.log" 2>&1 &
  pids+=($!)
  echo "edge recorder $id: status http://127.0.0.1:$port/status, log .run/edge/$id.log"
  port=$((port + 1))
done
wait "${pids[0]}"
