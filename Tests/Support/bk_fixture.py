#!/usr/bin/env python3
"""Stand-ins for the BlueKing JOB, SOPS and ITSM APIs that fta's remote actions call, with the
published request and response shapes ({"result", "code", "message", "data"}):

  JOB v3   POST /job/execute_job_plan/                          -> data.job_instance_id, job_instance_name
           GET  /job/get_job_instance_status/?job_instance_id=  -> data.job_instance.status (1..11)
  SOPS     POST /sops/create_task/<template_id>/<bk_biz_id>/     -> data.task_id, data.task_url
           POST /sops/start_task/<task_id>/<bk_biz_id>/
           GET  /sops/get_task_status/<task_id>/<bk_biz_id>/     -> data.state (CREATED, RUNNING, FINISHED, ...)
  ITSM v2  POST /itsm/create_ticket/                            -> data.sn, data.id, data.ticket_url
           GET  /itsm/get_ticket_status/?sn=                    -> data.current_status
           POST /itsm/ticket_approval_result/ {"sn": [sn]}             -> data[].current_status, approve_result
           POST /itsm/operate_ticket/ (WITHDRAW)
  ITSM v4  POST /itsm4/api/v1/ticket/create/                    -> data.id, data.sn, data.frontend_url
           GET  /itsm4/api/v1/ticket/detail/?id=                 -> data.status

The user is the bk_username of the X-Bkapi-Authorization header. Control API (not BlueKing's):

  POST /_fixture/config {"job_states": [2, 2, 3],        # status per poll of each job instance
                         "sops_states": ["RUNNING", "FINISHED"],
                         "itsm_states": ["RUNNING", "FINISHED"], "itsm4_states": ["running", "finished"],
                         "approval_states": ["RUNNING", "FINISHED"], "approve_result": true, "approver": "carol",
                         "deny_users": ["alice"],         # code 9900403 (SOPS: 3599999) for them
                         "fail_next": 0}                  # answer the next N calls with HTTP 502
  GET  /_fixture/requests   every call: method, path, query, body, user

The last state of a list repeats. The port is printed on the first line of stdout.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
config = {"job_states": [3], "sops_states": ["FINISHED"], "itsm_states": ["FINISHED"], "itsm4_states": ["finished"],
          "approval_states": ["RUNNING"], "approve_result": True, "approver": "carol",
          "deny_users": [], "fail_next": 0}
requests = []
polls = {}
counter = [10000]
started = set()


def next_id():
    counter[0] += 1
    return counter[0]


def state(kind, key):
    seq = config[kind]
    n = polls.get((kind, key), 0)
    polls[(kind, key)] = n + 1
    return seq[min(n, len(seq) - 1)]


def ok(data):
    return 200, {"result": True, "code": 0, "message": "success", "data": data, "request_id": "fixture"}


def err(code, message):
    return 200, {"result": False, "code": code, "message": message, "data": None, "request_id": "fixture"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, method):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_raw": raw.decode(errors="replace")}
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            user = json.loads(self.headers.get("X-Bkapi-Authorization") or "{}").get("bk_username", "")
        except ValueError:
            user = ""
        path = url.path
        with lock:
            if path == "/_fixture/config":
                config.update(body)
                return self.answer(200, {"ok": True})
            if path == "/_fixture/requests":
                return self.answer(200, requests)
            requests.append({"method": method, "path": path, "query": query, "body": body, "user": user})
            if config.get("fail_next", 0) > 0:
                config["fail_next"] -= 1
                return self.answer(502, {"message": "bad gateway"})
            status, out = self.route(method, path, query, body, user)
        self.answer(status, out)

    def route(self, method, path, query, body, user):
        parts = [p for p in path.split("/") if p]
        denied = user in config.get("deny_users", [])
        if parts[:1] == ["job"]:
            if denied:
                return err(9900403, "user %s has no permission to execute the plan" % user)
            if method == "POST" and parts[1:] == ["execute_job_plan"]:
                if not body.get("job_plan_id"):
                    return err(1240002, "job_plan_id is required")
                i = next_id()
                return ok({"job_instance_id": i, "job_instance_name": "plan-%s" % body["job_plan_id"]})
            if method == "GET" and parts[1:] == ["get_job_instance_status"]:
                i = int(query.get("job_instance_id", 0))
                s = state("job_states", i)
                return ok({"finished": s not in (1, 2, 7), "job_instance": {"job_instance_id": i, "status": s}, "step_instance_list": []})
        if parts[:1] == ["sops"]:
            if denied:
                return err(3599999, "user %s has no permission" % user)
            if method == "POST" and parts[1:2] == ["create_task"]:
                i = next_id()
                return ok({"task_id": i, "task_url": "http://sops.example/taskflow/execute/%d/" % i, "pipeline_tree": {}})
            if method == "POST" and parts[1:2] == ["start_task"]:
                started.add(int(parts[2]))
                return ok({})
            if method == "GET" and parts[1:2] == ["get_task_status"]:
                i = int(parts[2])
                if i not in started:
                    return ok({"state": "CREATED"})
                return ok({"state": state("sops_states", i)})
        if parts[:1] == ["itsm"]:
            if denied:
                return err(9900403, "user %s has no permission" % user)
            if method == "POST" and parts[1:] == ["create_ticket"]:
                i = next_id()
                return ok({"sn": "NO2026%06d" % i, "id": i, "ticket_url": "http://itsm.example/#/ticket/detail?id=%d" % i})
            if method == "GET" and parts[1:] == ["get_ticket_status"]:
                return ok({"sn": query.get("sn"), "current_status": state("itsm_states", query.get("sn"))})
            if method == "POST" and parts[1:] == ["ticket_approval_result"]:
                sn = (body.get("sn") or [""])[0]
                s = state("approval_states", sn)
                return ok([{"sn": sn, "current_status": s, "updated_by": config.get("approver", "carol"),
                            "approve_result": s == "FINISHED" and config.get("approve_result", True)}])
            if method == "POST" and parts[1:] == ["operate_ticket"]:
                return ok({"sn": body.get("sn")})
        if parts[:1] == ["itsm4"]:
            if method == "POST" and parts[1:] == ["api", "v1", "ticket", "create"]:
                i = next_id()
                return ok({"id": i, "sn": "T%06d" % i, "frontend_url": "http://itsm4.example/ticket/%d" % i})
            if method == "GET" and parts[1:] == ["api", "v1", "ticket", "detail"]:
                return ok({"id": query.get("id"), "status": state("itsm4_states", query.get("id"))})
        return 404, {"result": False, "code": 404, "message": "no such API: %s %s" % (method, path)}

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
