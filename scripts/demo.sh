#!/usr/bin/env bash
# `make run`: a demo database, demo actions against a local receiver, passes, an alert event, a duty rotation, the status.
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

# Alert events in, notices out: a group of three reached by SMS and WeChat through two gateways
# (the local receiver), with a repeat every 60 s while the alert is abnormal.
cat > "$DEMO/fta.yaml" <<YAML
channels:
  sms: {url: "$BASE/sms", body: '{"phones": {{ receivers|tojson }}, "text": {{ content|tojson }}}'}
  weixin: {url: "$BASE/weixin", body: '{"to": {{ receivers|tojson }}, "title": {{ title|tojson }}}'}
users:
  alice: {phone: "13800000001", weixin: alice_wx}
  bob: {phone: "13800000002", weixin: bob_wx}
  carol: {phone: "13800000003", weixin: carol_wx}
user_groups:
  ops: {name: Operations, users: [alice, bob, carol], notice_ways: {default: [sms, weixin]}}
action_configs:
  - {id: 1, name: ops notice, plugin_type: notice,
     execute_config: {template_detail: {notify_interval: 60, interval_notify_mode: standard}}}
YAML
NOW=$(date +%s)
cat > "$DEMO/events.jsonl" <<JSON
{"signal":"abnormal","alert":{"id":"cpu-1","alert_name":"CPU usage high on web-1","strategy_id":7,"severity":1,"status":"ABNORMAL","begin_time":$NOW,"latest_time":$NOW,"event":{"bk_biz_id":2},"dimensions":[{"key":"host","value":"web-1"}]},"strategy":{"id":7,"name":"cpu usage","notice":{"id":70,"config_id":1,"signal":["abnormal","recovered"],"user_groups":["ops"]}}}
JSON
echo "== fta-tick ingest (one alert event, see $DEMO/events.jsonl; notices for group ops)"
$BIN/fta-tick ingest --db "$DEMO/fta.db" --config "$DEMO/fta.yaml" "$DEMO/events.jsonl" | tr '\n' ' '; echo
echo "== fta-tick (sends one merged SMS and one merged WeChat message to the three of them)"
$BIN/fta-tick --db "$DEMO/fta.db" --config "$DEMO/fta.yaml" 2>&1 | tail -1
echo "== the gateways received"
curl -s "$BASE/_requests" | python3 -c 'import json,sys; [print("  POST", r["path"], r["body"][:110]) for r in json.load(sys.stdin) if r["path"] in ("/sms", "/weixin")]'
echo "== fta-tick status (the notice repeats in 60 s until a recovered event arrives)"
$BIN/fta-tick status --db "$DEMO/fta.db" | tail -3
echo "== fta-rota: duty rules (deploy/rota.example.yaml), one pass, who is on duty, the next three days"
$BIN/fta-rota import --db "$DEMO/fta.db" deploy/rota.example.yaml
$BIN/fta-rota --db "$DEMO/fta.db" --log-level warning
$BIN/fta-rota who oncall --db "$DEMO/fta.db" || true
$BIN/fta-rota export daytime --db "$DEMO/fta.db" --format table --days 3
echo "demo database: $DEMO/fta.db   metrics: $DEMO/fta_tick.prom   config: $DEMO/fta.yaml"
