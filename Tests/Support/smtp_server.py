#!/usr/bin/env python3
"""SMTP server for fta's tests (aiosmtpd on 127.0.0.1).

Prints its port on the first line of stdout, then appends one JSON line per received message
to the file given as the first argument: envelope sender and recipients, and the headers and
body as Python's email package decodes them (an independent check of fta's encoding).
Optional second argument: "auth USER PASSWORD" requires AUTH PLAIN/LOGIN with those credentials
(over plain text, for the test only).
"""
import json
import socket
import sys
import time
from email import message_from_bytes, policy
from email.header import decode_header, make_header

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        body = msg.get_content() if not msg.is_multipart() else ""
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "cc": str(msg["Cc"]) if msg["Cc"] else None,
            "subject": str(make_header(decode_header(msg["Subject"]))),
            "content_type": msg.get_content_type(),
            "body": body,
            "raw_has_crlf": b"\r\n" in (envelope.original_content or b""),
            "header_names": [k.lower() for k in msg.keys()],
            "message_id": str(msg["Message-ID"]) if msg["Message-ID"] else None,
        }
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 OK"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    out = sys.argv[1]
    kwargs = {}
    if len(sys.argv) > 4 and sys.argv[2] == "auth":
        user, password = sys.argv[3].encode(), sys.argv[4].encode()

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
            return AuthResult(success=ok)

        kwargs = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    port = free_port()
    controller = Controller(Recorder(out), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print(port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
