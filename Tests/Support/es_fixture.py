#!/usr/bin/env python3
"""A small Elasticsearch stand-in for fta-sync's tests and benchmark.

No Elasticsearch can be installed on these machines, so this implements, in memory, the parts
of the REST API that fta-sync uses, with Elasticsearch's answers and error bodies:

  GET  /                                cluster info
  GET|PUT|DELETE /_index_template/NAME  composable index templates
  POST /_bulk, POST /INDEX/_bulk        NDJSON index operations, external versioning, per-item
                                        results; gzip request bodies (Content-Encoding: gzip)
  POST /INDEX/_refresh                  (no-op: writes are visible at once)
  GET  /PATTERN/_count                  {"count": n}
  GET  /INDEX/_doc/ID                   the document with _version, or found: false
  POST /PATTERN/_search                 {"query": {"ids": {"values": [...]}}} or match_all

It can be told to fail the ways Elasticsearch does (control API, not part of ES):

  POST /_fixture/config {"reject_fraction": 0.3,     # 429 es_rejected_execution_exception for
                                                     # that share of items, first try only
                         "mapping_error_field": "x",  # 400 mapper_parsing_exception for documents
                                                     # whose field x is a string
                         "reject_all": false, "no_gzip": false}
  GET  /_fixture/stats   requests, items by result, successful writes per _id, the last bulk
                         request's Authorization header
  POST /_fixture/reset

The port is printed on the first line of stdout (port 0 = any free port).
"""
import gzip
import hashlib
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOCK = threading.Lock()


def fresh():
    return {"indices": {}, "templates": {}, "config": {}, "rejected_once": set(),
            "stats": {"bulk_requests": 0, "items": 0, "created": 0, "updated": 0, "conflicts": 0, "rejected": 0,
                      "mapping_errors": 0, "gzip_requests": 0, "writes": {}}}


STATE = fresh()


def bad_field_needed():
    return bool(STATE["config"].get("mapping_error_field"))


def source(stored):
    return json.loads(stored) if isinstance(stored, (bytes, bytearray)) else stored


def error_body(status, etype, reason, index=None):
    cause = {"type": etype, "reason": reason}
    if index:
        cause["index"] = index
    return {"error": {"root_cause": [cause], "type": etype, "reason": reason}, "status": status}


def match_indices(pattern):
    names = list(STATE["indices"].keys())
    out = []
    for part in pattern.split(","):
        rx = re.compile("^" + re.escape(part).replace("\\*", ".*") + "$")
        out += [n for n in names if rx.match(n)]
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("X-elastic-product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            if STATE["config"].get("no_gzip"):
                return None
            STATE["stats"]["gzip_requests"] += 1
            raw = gzip.decompress(raw)
        return raw

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        path = urlsplit(self.path).path
        raw = self.body()
        if raw is None:
            return self.reply(400, error_body(400, "illegal_argument_exception", "Content-Encoding [gzip] is not supported"))
        parts = [p for p in path.split("/") if p]
        with LOCK:
            if path.startswith("/_fixture/"):
                return self.fixture(method, parts[1], raw)
            if method == "GET" and not parts:
                return self.reply(200, {"name": "fixture", "cluster_name": "fta-test", "cluster_uuid": "fixture",
                                        "version": {"number": "8.11.0", "build_flavor": "default", "lucene_version": "9.8.0"},
                                        "tagline": "You Know, for Search"})
            if parts and parts[0] == "_index_template" and len(parts) == 2:
                return self.template(method, parts[1], raw)
            if parts and parts[-1] == "_bulk" and method in ("POST", "PUT"):
                return self.bulk(parts[0] if len(parts) == 2 else None, raw)
            if len(parts) == 2 and parts[1] == "_refresh":
                return self.reply(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
            if len(parts) == 2 and parts[1] == "_count":
                n = sum(len(STATE["indices"][i]) for i in match_indices(parts[0]))
                return self.reply(200, {"count": n, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}})
            if len(parts) == 3 and parts[1] == "_doc" and method == "GET":
                docs = STATE["indices"].get(parts[0])
                if docs is None:
                    return self.reply(404, error_body(404, "index_not_found_exception", "no such index [%s]" % parts[0], parts[0]))
                d = docs.get(parts[2])
                if d is None:
                    return self.reply(404, {"_index": parts[0], "_id": parts[2], "found": False})
                return self.reply(200, {"_index": parts[0], "_id": parts[2], "_version": d[0], "found": True, "_source": source(d[1])})
            if len(parts) == 2 and parts[1] == "_search":
                q = json.loads(raw or b"{}").get("query", {})
                ids = set(q.get("ids", {}).get("values", [])) if "ids" in q else None
                hits = []
                for i in match_indices(parts[0]):
                    for k, (v, src) in STATE["indices"][i].items():
                        if ids is None or k in ids:
                            hits.append({"_index": i, "_id": k, "_version": v, "_source": source(src)})
                return self.reply(200, {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits}})
            return self.reply(404, error_body(404, "resource_not_found_exception", "no handler for %s %s" % (method, path)))

    def template(self, method, name, raw):
        t = STATE["templates"]
        if method == "PUT":
            t[name] = json.loads(raw)
            return self.reply(200, {"acknowledged": True})
        if method == "DELETE":
            t.pop(name, None)
            return self.reply(200, {"acknowledged": True})
        if name not in t:
            return self.reply(404, error_body(404, "resource_not_found_exception", "index template matching [%s] not found" % name))
        return self.reply(200, {"index_templates": [{"name": name, "index_template": t[name]}]})

    def bulk(self, default_index, raw):
        cfg = STATE["config"]
        stats = STATE["stats"]
        stats["bulk_requests"] += 1
        stats["authorization"] = self.headers.get("Authorization", "")
        if cfg.get("reject_all"):
            return self.reply(429, error_body(429, "es_rejected_execution_exception", "rejected execution of coordinating operation"))
        lines = raw.split(b"\n")
        items = []
        errors = False
        i = 0
        while i < len(lines):
            if not lines[i].strip():
                i += 1
                continue
            meta = json.loads(lines[i])
            op, m = next(iter(meta.items()))
            raw_doc = lines[i + 1]
            i += 2
            try:
                # Documents are checked as JSON objects; they are kept as sent and decoded when read.
                doc = json.loads(raw_doc) if bad_field_needed() else None
                if doc is None and not (raw_doc.startswith(b"{") and raw_doc.rstrip().endswith(b"}")):
                    raise ValueError("not an object")
            except ValueError as e:
                errors = True
                items.append({op: {"_index": m.get("_index", default_index), "_id": m["_id"], "status": 400, "error": {
                    "type": "mapper_parsing_exception", "reason": "failed to parse", "caused_by": {"type": "json_parse_exception", "reason": str(e)}}}})
                continue
            index = m.get("_index", default_index)
            _id = m["_id"]
            stats["items"] += 1
            frac = cfg.get("reject_fraction", 0)
            key = (index, _id, m.get("version"))
            if frac and key not in STATE["rejected_once"] and int(hashlib.md5(_id.encode()).hexdigest(), 16) % 1000 < frac * 1000:
                STATE["rejected_once"].add(key)
                stats["rejected"] += 1
                errors = True
                items.append({op: {"_index": index, "_id": _id, "status": 429, "error": {
                    "type": "es_rejected_execution_exception",
                    "reason": "rejected execution of org.elasticsearch.action.support.replication.TransportWriteAction on EsThreadPoolExecutor[name = fixture/write, queue capacity = 10000]"}}})
                continue
            bad = cfg.get("mapping_error_field")
            if bad and doc is not None and isinstance(doc.get(bad), str):
                stats["mapping_errors"] += 1
                errors = True
                items.append({op: {"_index": index, "_id": _id, "status": 400, "error": {
                    "type": "mapper_parsing_exception", "reason": "failed to parse field [%s] of type [long] in document with id '%s'. Preview of field's value: '%s'" % (bad, _id, doc[bad]),
                    "caused_by": {"type": "illegal_argument_exception", "reason": "For input string: \"%s\"" % doc[bad]}}}})
                continue
            docs = STATE["indices"].setdefault(index, {})
            current = docs.get(_id)
            version = m.get("version")
            if m.get("version_type") == "external" and current is not None and version is not None and current[0] >= version:
                stats["conflicts"] += 1
                errors = True
                items.append({op: {"_index": index, "_id": _id, "status": 409, "error": {
                    "type": "version_conflict_engine_exception",
                    "reason": "[%s]: version conflict, current version [%d] is higher or equal to the one provided [%d]" % (_id, current[0], version),
                    "index": index}}})
                continue
            new_version = version if version is not None else (current[0] + 1 if current else 1)
            docs[_id] = (new_version, doc if doc is not None else raw_doc)
            stats["writes"][_id] = stats["writes"].get(_id, 0) + 1
            result = "updated" if current else "created"
            stats[result] += 1
            items.append({op: {"_index": index, "_id": _id, "_version": new_version, "result": result, "status": 200 if current else 201,
                               "_shards": {"total": 1, "successful": 1, "failed": 0}, "_seq_no": stats["items"], "_primary_term": 1}})
        return self.reply(200, {"took": 1, "errors": errors, "items": items})

    def fixture(self, method, what, raw):
        global STATE
        if what == "config":
            STATE["config"] = json.loads(raw or b"{}")
            return self.reply(200, {"ok": True})
        if what == "reset":
            STATE = fresh()

            return self.reply(200, {"ok": True})
        if what == "stats":
            s = dict(STATE["stats"])
            s["documents"] = sum(len(d) for d in STATE["indices"].values())
            s["indices"] = sorted(STATE["indices"].keys())
            s["templates"] = sorted(STATE["templates"].keys())
            return self.reply(200, s)
        return self.reply(404, {"error": "unknown fixture call"})


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
