#!/usr/bin/env python3
"""A fake MTA-STS policy host for the tests (tests/fakes/https_fixture.sh starts it).

What it is for: serving GET /.well-known/mta-sts.txt over HTTPS on loopback, with the behaviour
chosen per Host header H (port stripped, lower-cased) by files in the root directory R:
  R/H.redirect   301 with Location: the file's content
  R/H.status     that status code (the file's content), no Location and an empty body
  R/H.big        200 text/plain, a 10 MiB body streamed in paced chunks (about 3 s in all, so a
                 client that reads it whole is slow to return), delimited by the end of the
                 connection; when the file says "content-length", with that header and 2 s
                 between the header and the body (a client that judges by the header alone
                 returns at once)
  R/H.txt        200 with the file as body, Content-Type from R/H.type if present, else text/plain
  R/H.echo       200 text/plain, the request's header lines as body
  R/H.delay      (with any of the above) milliseconds to wait before answering
  otherwise, and for any other path, 404.
What it must not do: listen anywhere but 127.0.0.0/8, read a file outside R, write logs (a
client that goes away mid-body is normal here), or outlive --watch-pid when given.
"""

import argparse
import http.server
import ipaddress
import os
import socketserver
import ssl
import sys
import threading
import time

BIG_TOTAL = 10 * 1024 * 1024
BIG_CHUNK = 64 * 1024
BIG_PAUSE = 0.02  # seconds between chunks: 160 chunks, about 3 s


class Handler(http.server.BaseHTTPRequestHandler):
    timeout = 10  # an idle or stalled client frees its thread
    root = "."

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def host_file(self, host, suffix):
        path = os.path.join(self.root, host + suffix)
        return path if os.path.isfile(path) else None

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def send_body(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            host = host[: host.find("]") + 1]
        elif ":" in host:
            host = host.rsplit(":", 1)[0]
        if self.path != "/.well-known/mta-sts.txt" or not host or "/" in host or host.startswith("."):
            self.send_body(404, b"not found\n")
            return

        delay = self.host_file(host, ".delay")
        if delay:
            time.sleep(int(self.read(delay).strip() or b"0") / 1000)

        if self.host_file(host, ".echo"):
            self.send_body(200, str(self.headers).encode())
            return
        status = self.host_file(host, ".status")
        if status:
            self.send_response(int(self.read(status).strip()))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        redirect = self.host_file(host, ".redirect")
        big = self.host_file(host, ".big")
        txt = self.host_file(host, ".txt")
        if redirect:
            self.send_response(301)
            self.send_header("Location", self.read(redirect).decode().strip())
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif big:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            declared = b"content-length" in self.read(big)
            if declared:
                self.send_header("Content-Length", str(BIG_TOTAL))
            self.end_headers()
            if declared:
                self.wfile.flush()
                time.sleep(2)
            chunk = b"x" * BIG_CHUNK
            for _ in range(BIG_TOTAL // BIG_CHUNK):
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(BIG_PAUSE)
        elif txt:
            ctype = self.host_file(host, ".type")
            self.send_body(200, self.read(txt),
                           self.read(ctype).decode().strip() if ctype else "text/plain")
        else:
            self.send_body(404, b"not found\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops the SYNs of a burst: 1 s retransmits
    context = None

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's thread: a client that stalls it
        # or rejects the certificate holds up no one else, and not for ever.
        request.settimeout(Handler.timeout)
        with self.context.wrap_socket(request, server_side=True) as tls:
            self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address):
        pass  # refused certificates, aborted bodies, resets: all expected


def watch(pid):
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--watch-pid", type=int, help="exit when this process is gone")
    a = p.parse_args()

    if ipaddress.ip_address(a.bind) not in ipaddress.ip_network("127.0.0.0/8"):
        sys.exit(f"https_policy_server: {a.bind} is not a loopback address (127.0.0.0/8)")

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    Handler.root = a.root
    Server.context = ctx
    httpd = Server((a.bind, 0), Handler)

    # Written whole, then renamed: whoever waits for the file never reads half a number.
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{httpd.server_address[1]}\n")
    os.replace(tmp, a.port_file)

    if a.watch_pid:
        threading.Thread(target=watch, args=(a.watch_pid,), daemon=True).start()
    httpd.serve_forever()


if __name__ == "__main__":
    main()
