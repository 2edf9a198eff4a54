#!/usr/bin/python3
"""Stand-in for the IoT Edge workload API (aziot-edged), to the contract in
reference/iot-edge-module-protocol.md section 2: HTTP/1.1 on a unix socket, a mandatory known
api-version, {"message": ...} error bodies, 404 for unknown paths and 400 (not 405) for a wrong
method, and the two routes a module needs:

  POST /modules/{name}/genid/{genid}/sign   {"keyId","algo","data"} -> {"digest": base64(HMAC-SHA256(key, data))}
  GET  /trust-bundle                        -> {"certificate": "<PEM>"} (the file is read on every call)

The caller-PID check of the real daemon is skipped (the contract says a stand-in should); the
module name and generation id must be the ones given. Fault injection for tests:
  --fail-signs N      the first N sign calls answer 500 {"message": ...}
  --forbid            every sign call answers 403 {"message": "forbidden"}
Every request is appended to --log as a JSON line {"method", "path", "status"}.
"""
import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import signal
import socketserver
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler

KNOWN_VERSIONS = {"2018-06-28", "2019-01-30", "2019-10-22", "2019-11-05", "2020-07-07", "2021-12-07", "2022-08-03"}
SIGN_PATH = re.compile(r"^/modules/([^/]+)/genid/([^/]+)/sign$")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def make_handler(options, counters):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # noqa: D401 - requests are logged as JSON instead
            pass

        def address_string(self):
            return "unix"

        def reply(self, status, document):
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if options.log:
                with open(options.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps({"method": self.command, "path": self.path.split("?")[0], "status": status}) + "\n")

        def error(self, status, message):
            self.reply(status, {"message": message})

        def route(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            if "api-version" not in query:
                return self.error(400, "api-version not specified")
            version = query["api-version"][0]
            if version not in KNOWN_VERSIONS:
                return self.error(400, 'invalid api-version "%s"' % version)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if url.path == "/trust-bundle":
                if self.command != "GET":
                    return self.error(400, "method not allowed")
                try:
                    with open(options.trust_bundle, encoding="utf-8") as handle:
                        pem = handle.read()
                except OSError:
                    return self.error(404, 'certificate "aziot-edged-trust-bundle" not found')
                return self.reply(200, {"certificate": pem})
            match = SIGN_PATH.match(url.path)
            if not match:
                return self.error(404, "not found")
            if self.command != "POST":
                return self.error(400, "method not allowed")
            name, genid = urllib.parse.unquote(match.group(1)), match.group(2)
            if options.forbid or name.lstrip("$") != options.module:
                return self.error(403, "forbidden")
            if genid != options.genid:
                return self.error(500, "could not find module identity for %s with generation %s" % (name, genid))
            content_type = self.headers.get("Content-Type", "application/json")
            if not content_type.startswith("application/json"):
                return self.error(400, "request body must be JSON")
            if not body:
                return self.error(400, "missing parameter: request body")
            try:
                request = json.loads(body)
                data = base64.b64decode(request["data"], validate=True)
            except (ValueError, KeyError, TypeError, binascii.Error):
                return self.error(422, "could not deserialize the request body")
            counters["signs"] += 1
            if counters["signs"] <= options.fail_signs:
                return self.error(500, "stand-in: simulated identity service failure")
            digest = hmac.new(options.key, data, hashlib.sha256).digest()
            return self.reply(200, {"digest": base64.b64encode(digest).decode()})

        def do_GET(self):  # noqa: N802
            self.route()

        def do_POST(self):  # noqa: N802
            self.route()

        def do_PUT(self):  # noqa: N802
            self.route()

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--key-file", required=True, help="file holding the module key as base64")
    parser.add_argument("--trust-bundle", required=True, help="PEM file served by /trust-bundle")
    parser.add_argument("--module", required=True)
    parser.add_argument("--genid", required=True)
    parser.add_argument("--log")
    parser.add_argument("--fail-signs", type=int, default=0)
    parser.add_argument("--forbid", action="store_true")
    options = parser.parse_args()
    with open(options.key_file, encoding="utf-8") as handle:
        options.key = base64.b64decode(handle.read().strip(), validate=True)
    if os.path.exists(options.socket):
        os.unlink(options.socket)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = Server(options.socket, make_handler(options, {"signs": 0}))
    os.chmod(options.socket, 0o600)
    print("listening on", options.socket, flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
        try:
            os.unlink(options.socket)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
