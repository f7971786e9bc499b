#!/usr/bin/env bash
# `make run`: a demo database, demo actions against a local receiver, two passes, the status.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release
DEMO=demo
rm -rf "$DEMO"; mkdir -p "$DEMO"
python3 Tests/Support/receiver.py 0 > "$DEMO/receiver.port" &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$DEMO/receiver.port" ] && break; sleep 0.1; done
PORT=$(head -1 "$DEMO/receiver.port")
BASE="http://127.0.0.1:$PORT"
# The flaky endpoint answers its first six requests with 500: each of the three flaky actions
# fails twice and succeeds on its third attempt. The "gone" one answers 404 (no retry configured).
curl -s -o /dev/null -X POST "$BASE/_script" -d '{"path": "/flaky", "statuses": [500, 500, 500, 500, 500, 500]}'
curl -s -o /dev/null -X POST "$BASE/_script" -d '{"path": "/gone", "statuses": [404, 404]}'

python3 - "$BASE" > "$DEMO/actions.jsonl" <<'PY'
import json, sys
base = sys.argv[1]
def action(i, path, retries=-1):
    return {
        "signal": "abnormal", "strategy_id": 42, "bk_biz_id": "2", "alerts": [f"demo-{i}"],
        "alert": {"id": f"demo-{i}", "severity": 1, "alert_name": "CPU usage high"},
        "strategy": {"id": 42, "name": "cpu usage"},
        "action_plugin": {"plugin_type": "webhook", "plugin_key": "webhook"},
        "action_config": {"id": 7, "name": "notify cmdb", "execute_config": {"timeout": 600, "template_detail": {
            "method": "POST", "url": base + path,
            "headers": [{"key": "X-Alert", "value": "{{ alert.id }}"}],
            "body": {"data_type": "raw", "content_type": "json",
                     "content": "{\"alert\": \"{{ alert.id }}\", \"text\": \"{{ alert.alert_name }} on {{ strategy.name }}\"}"},
            "failed_retry": {"is_enabled": True, "timeout": 5, "max_retry_times": retries, "retry_interval": 2}}}},
        "dedupe_key": f"demo-{i}",
    }
for i in range(20):
    print(json.dumps(action(i, "/hook")))
for i in range(20, 23):
    print(json.dumps(action(i, "/flaky", retries=2)))
for i in range(23, 25):
    print(json.dumps(action(i, "/gone")))
PY
echo "== fta-tick enqueue (25 demo actions, see $DEMO/actions.jsonl)"
$BIN/fta-tick enqueue --db "$DEMO/fta.db" "$DEMO/actions.jsonl" | tr '\n' ' '; echo
echo "== fta-tick (first pass)"
$BIN/fta-tick --db "$DEMO/fta.db" --metrics-file "$DEMO/fta_tick.prom" 2>&1 | tail -1
for round in 1 2; do
  sleep 2.2
  echo "== fta-tick (retry pass $round)"
  $BIN/fta-tick --db "$DEMO/fta.db" --metrics-file "$DEMO/fta_tick.prom" 2>&1 | tail -1
done
echo "== fta-tick status"
$BIN/fta-tick status --db "$DEMO/fta.db"
echo "== fta-tick show 21 (a flaky receiver, retried)"
$BIN/fta-tick show --db "$DEMO/fta.db" 21 | sed -n '/^log:/,$p'
echo "demo database: $DEMO/fta.db   metrics: $DEMO/fta_tick.prom"
