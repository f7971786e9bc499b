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
  PUT  /INDEX                           create an index (400 resource_already_exists_exception)
  DELETE /INDEX                         delete a concrete index (404 index_not_found_exception)
  GET  /PATTERN/_stats[/store]          per index: primaries.store.size_in_bytes (the bytes of
                                        the stored documents), docs.count
  GET  /PATTERN/_alias, /_alias/NAME    aliases per index
  POST /_aliases                        {"actions": [{"add"|"remove": {"index", "alias"}}]}, all
                                        or nothing
Bulk items may be `index` or `delete`; an `_index` that is an alias writes to its one index (or
the one marked is_write_index), and an alias over several indices without one is refused as
Elasticsearch does. Searches and counts resolve aliases and wildcards over aliases too.

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
    return {"indices": {}, "aliases": {}, "templates": {}, "config": {}, "rejected_once": set(),
            "stats": {"bulk_requests": 0, "items": 0, "created": 0, "updated": 0, "conflicts": 0, "rejected": 0,
                      "mapping_errors": 0, "gzip_requests": 0, "deletes": 0, "writes": {}}}


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
    """Concrete indices a comma list of names, aliases and wildcards resolves to, each once."""
    out = []
    for part in pattern.split(","):
        rx = re.compile("^" + re.escape(part).replace("\\*", ".*") + "$")
        for n in STATE["indices"]:
            if rx.match(n) and n not in out:
                out.append(n)
        for a, targets in STATE["aliases"].items():
            if rx.match(a):
                out += [n for n in targets if n not in out]
    return out


def aliases_of(index):
    return {a: ({"is_write_index": t[index]} if t[index] is not None else {})
            for a, t in STATE["aliases"].items() if index in t}


def write_target(name):
    """(concrete index, None) for an index or alias name, or (None, error) as Elasticsearch refuses it."""
    targets = STATE["aliases"].get(name)
    if targets is None:
        return name, None
    if len(targets) == 1:
        return next(iter(targets)), None
    marked = [i for i, w in targets.items() if w]
    if len(marked) == 1:
        return marked[0], None
    return None, ("no write index is defined for alias [%s]. The write index may be explicitly disabled using "
                  "is_write_index=false or the alias points to multiple indices without one being designated as "
                  "a write index" % name)


def store_size(index):
    # An empty Elasticsearch index still reports a few hundred bytes of store.
    return 225 + sum(len(d[1]) if isinstance(d[1], (bytes, bytearray)) else len(json.dumps(d[1])) for d in STATE["indices"][index].values())


def match_name(pattern, name):
    return any(re.match("^" + re.escape(p).replace("\\*", ".*") + "$", name) for p in pattern.split(","))


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
            if parts == ["_aliases"] and method == "POST":
                return self.update_aliases(raw)
            if len(parts) >= 2 and parts[1] == "_stats" and method == "GET":
                return self.index_stats(parts[0])
            if (len(parts) == 2 and parts[1] == "_alias" or len(parts) == 2 and parts[0] == "_alias") and method == "GET":
                return self.get_alias(parts)
            if len(parts) == 1 and not parts[0].startswith("_") and method in ("PUT", "DELETE"):
                return self.index_admin(method, parts[0], raw)
            if parts and parts[-1] == "_bulk" and method in ("POST", "PUT"):
                return self.bulk(parts[0] if len(parts) == 2 else None, raw)
            if len(parts) == 2 and parts[1] == "_refresh":
                return self.reply(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
            if len(parts) == 2 and parts[1] == "_count":
                n = sum(len(STATE["indices"][i]) for i in match_indices(parts[0]))
                return self.reply(200, {"count": n, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}})
            if len(parts) == 3 and parts[1] == "_doc" and method == "GET":
                parts[0] = write_target(parts[0])[0] or parts[0]
                docs = STATE["indices"].get(write_target(parts[0])[0] or "")
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
            name = m.get("_index", default_index)
            index, refused = write_target(name)
            if refused:
                errors = True
                i += 1 if op == "delete" else 2
                items.append({op: {"_index": name, "_id": m["_id"], "status": 400, "error": {
                    "type": "illegal_argument_exception", "reason": refused}}})
                continue
            if op == "delete":
                i += 1
                docs = STATE["indices"].get(index)
                stats["deletes"] += 1
                if docs is None:
                    errors = True
                    items.append({op: {"_index": index, "_id": m["_id"], "status": 404, "error": {
                        "type": "index_not_found_exception", "reason": "no such index [%s]" % index, "index": index}}})
                    continue
                current = docs.pop(m["_id"], None)
                version = (current[0] + 1) if current else 1
                items.append({op: {"_index": index, "_id": m["_id"], "_version": version,
                                   "result": "deleted" if current else "not_found", "status": 200 if current else 404,
                                   "_shards": {"total": 1, "successful": 1, "failed": 0}}})
                continue
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

    def index_admin(self, method, name, raw):
        if method == "PUT":
            if name in STATE["indices"] or name in STATE["aliases"]:
                return self.reply(400, error_body(400, "resource_already_exists_exception", "index [%s/fixture] already exists" % name, name))
            if name != name.lower() or name.startswith(("_", "-", "+")) or any(c in name for c in ' ,/*?"<>|\\#:'):
                return self.reply(400, error_body(400, "invalid_index_name_exception", "Invalid index name [%s]" % name, name))
            STATE["indices"][name] = {}
            body = json.loads(raw or b"{}")
            for alias, opts in (body.get("aliases") or {}).items():
                STATE["aliases"].setdefault(alias, {})[name] = (opts or {}).get("is_write_index")
            return self.reply(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
        if name not in STATE["indices"]:
            return self.reply(404, error_body(404, "index_not_found_exception", "no such index [%s]" % name, name))
        del STATE["indices"][name]
        for alias in list(STATE["aliases"]):
            STATE["aliases"][alias].pop(name, None)
            if not STATE["aliases"][alias]:
                del STATE["aliases"][alias]
        return self.reply(200, {"acknowledged": True})

    def index_stats(self, pattern):
        out = {}
        for i in match_indices(pattern):
            size = store_size(i)
            part = {"docs": {"count": len(STATE["indices"][i]), "deleted": 0}, "store": {"size_in_bytes": size}}
            out[i] = {"uuid": hashlib.md5(i.encode()).hexdigest()[:22], "primaries": part, "total": part}
        return self.reply(200, {"_shards": {"total": len(out), "successful": len(out), "failed": 0}, "indices": out})

    def get_alias(self, parts):
        if parts[0] == "_alias":
            found = {}
            for a, targets in STATE["aliases"].items():
                if match_name(parts[1], a):
                    for i, w in targets.items():
                        found.setdefault(i, {"aliases": {}})["aliases"][a] = {"is_write_index": w} if w is not None else {}
            if not found:
                return self.reply(404, {"error": "alias [%s] missing" % parts[1], "status": 404})
            return self.reply(200, found)
        names = match_indices(parts[0])
        if not names and "*" not in parts[0]:
            return self.reply(404, error_body(404, "index_not_found_exception", "no such index [%s]" % parts[0], parts[0]))
        return self.reply(200, {i: {"aliases": aliases_of(i)} for i in names})

    def update_aliases(self, raw):
        actions = json.loads(raw or b"{}").get("actions", [])
        aliases = {a: dict(t) for a, t in STATE["aliases"].items()}
        for action in actions:
            (kind, spec), = action.items()
            index, alias = spec.get("index"), spec.get("alias")
            if index not in STATE["indices"]:
                return self.reply(404, error_body(404, "index_not_found_exception", "no such index [%s]" % index, index))
            if alias in STATE["indices"]:
                return self.reply(400, error_body(400, "invalid_alias_name_exception",
                                                  "Invalid alias name [%s]: an index or data stream exists with the same name as the alias" % alias))
            if kind == "add":
                aliases.setdefault(alias, {})[index] = spec.get("is_write_index")
            elif kind == "remove":
                if index not in aliases.get(alias, {}):
                    return self.reply(404, {"error": {"root_cause": [{"type": "aliases_not_found_exception", "reason": "aliases [%s] missing" % alias}],
                                                      "type": "aliases_not_found_exception", "reason": "aliases [%s] missing" % alias}, "status": 404})
                del aliases[alias][index]
                if not aliases[alias]:
                    del aliases[alias]
            else:
                return self.reply(400, error_body(400, "illegal_argument_exception", "unknown alias action [%s]" % kind))
        STATE["aliases"] = aliases
        return self.reply(200, {"acknowledged": True})

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
            s["aliases"] = {a: sorted(t) for a, t in sorted(STATE["aliases"].items())}
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
