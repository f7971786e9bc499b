#!/usr/bin/env python3
"""HTTP receiver for fta's end-to-end tests.

Listens on 127.0.0.1 (port 0 = any free port; the port is printed on the first line of
stdout), records every request and answers as scripted:

  POST /_script  {"path": "/hook", "statuses": [500, 500, 200], "delay": 0,
                  "headers": {"Retry-After": "120"}, "body": "..."}
      requests to that path answer the listed statuses in order, then 200
  GET  /_requests   every recorded request as JSON (method, path, query, headers, body)
  POST /_reset      forget requests and scripts

With --tls CERT KEY it serves HTTPS instead.
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOCK = threading.Lock()
REQUESTS = []
SCRIPTS = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if parts.path == "/_requests":
            with LOCK:
                data = json.dumps(REQUESTS).encode()
            return self._send(200, data, {"Content-Type": "application/json"})
        if parts.path == "/_reset":
            with LOCK:
                REQUESTS.clear()
                SCRIPTS.clear()
            return self._send(200, b"{}")
        if parts.path == "/_script":
            spec = json.loads(body or b"{}")
            with LOCK:
                SCRIPTS[spec.get("path", "/")] = {
                    "statuses": list(spec.get("statuses", [])),
                    "delay": float(spec.get("delay", 0)),
                    "headers": spec.get("headers", {}),
                    "body": spec.get("body"),
                }
            return self._send(200, b"{}")
        with LOCK:
            REQUESTS.append({
                "method": self.command,
                "path": parts.path,
                "query": parts.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "time": time.time(),
            })
            script = SCRIPTS.get(parts.path)
            status, delay, headers, reply = 200, 0.0, {}, None
            if script:
                delay = script["delay"]
                headers = script["headers"]
                reply = script["body"]
                if script["statuses"]:
                    status = script["statuses"].pop(0)
        if delay:
            time.sleep(delay)
        if reply is None:
            reply = json.dumps({"result": status < 400, "path": parts.path})
        try:
            self._send(status, reply.encode(), headers)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Handler)
    if len(sys.argv) > 3 and sys.argv[2] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
