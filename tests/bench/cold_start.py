#!/usr/bin/env python3
"""Cold start of every function binary, next to a hello-world lambda_http function.

A minimal Lambda Runtime API (the three endpoints a runtime calls) listens on loopback;
each binary is spawned with it as AWS_LAMBDA_RUNTIME_API, receives one API Gateway v2
event (a route no function has, so no storage is touched and every function answers from
its fallback after building its whole state), and the time from spawn to the posted
response and the process's peak RSS (VmHWM) are reported, with the part of the time spent
before the first poll (building the function's state). AWS endpoints point at moto's
server on loopback (tests/moto_server.py, started here) through a timing proxy, so
nothing leaves the machine while the SDK is set up exactly as in production (its HTTPS
client trusting Amazon's roots). The functions' secrets (the pairwise salt, the SimplePay
merchant secret) are created there and read at start-up as on Lambda; the time of each
function's Secrets Manager calls, as the proxy saw them, is its own column. Linux only
(reads /proc).

    cargo build --release -p varoskapu-tests --example hello_lambda -p varoskapu-lambda --bins
    python3 tests/bench/cold_start.py [--runs 5] [--target target/release]
"""

import argparse
import http.server
import json
import os
import pathlib
import statistics
import subprocess
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTIONS = ["register", "authenticate", "idp", "book-appointment", "submit-case",
             "backoffice", "fetch-decision", "pay-fee"]


class Runtime(http.server.BaseHTTPRequestHandler):
    """The Runtime API: hands out one event, records when its response arrives."""

    protocol_version = "HTTP/1.1"
    event = b""
    request_id = ""
    answered = None  # threading.Event
    response = None

    def log_message(self, *_):
        pass

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            cls = type(self)
            if cls.served:
                # Later polls wait for the process to be killed.
                time.sleep(30)
                return
            cls.served = True
            cls.first_poll_at = time.perf_counter()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", cls.request_id)
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:eu-central-1:123456789012:function:bench")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(cls.event)))
            self.end_headers()
            self.wfile.write(cls.event)
        else:
            self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        cls = type(self)
        cls.response = (self.path, body)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        cls.answered_at = time.perf_counter()
        cls.answered.set()


def event():
    path = ROOT / "tests/fixtures/apigw/public_get.json"
    e = json.loads(path.read_text())
    e["rawPath"] = e["requestContext"]["http"]["path"] = "/cold-start"
    e["routeKey"] = e["requestContext"]["routeKey"] = "GET /cold-start"
    return json.dumps(e).encode()


class Moto:
    """moto's server on loopback behind a proxy that times each call by its X-Amz-Target."""

    def __init__(self):
        import socket
        import sys
        import urllib.request
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests/moto_server.py"), "127.0.0.1", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.upstream = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(self.upstream + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        self.calls = []  # (target, ms)
        moto = self

        class Proxy(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def relay(self):
                t0 = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                request = urllib.request.Request(moto.upstream + self.path, data=body or None,
                                                 headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request) as answer:
                        status, reply, out = answer.status, answer.read(), answer.headers.items()
                except urllib.error.HTTPError as e:
                    status, reply, out = e.code, e.read(), e.headers.items()
                self.send_response(status)
                for k, v in out:
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                moto.calls.append((self.headers.get("X-Amz-Target", self.command),
                                   (time.perf_counter() - t0) * 1000))

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = relay

        import urllib.error  # noqa: F401 (used in the handler)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.secrets = {}
        for setting, value in (("VAROSKAPU_PAIRWISE_SALT_SECRET_ARN", "bench-salt"),
                               ("VAROSKAPU_SIMPLEPAY_SECRET_ARN", "bench-secret")):
            self.secrets[setting] = self.create_secret(setting.lower(), value)

    def create_secret(self, name, value):
        import urllib.request
        request = urllib.request.Request(self.upstream + "/", method="POST", data=json.dumps(
            {"Name": f"{name}-{uuid.uuid4().hex[:8]}", "SecretString": value}).encode(), headers={
            "X-Amz-Target": "secretsmanager.CreateSecret",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/eu-central-1/secretsmanager/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())["ARN"]

    def secrets_ms(self, since):
        return sum(ms for target, ms in self.calls[since:] if target.startswith("secretsmanager."))

    def stop(self):
        self.server.shutdown()
        self.proc.terminate()
        self.proc.wait()


MOTO = None


def environment(port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VAROSKAPU_"))}
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "VAROSKAPU_AWS_ENDPOINT_URL": MOTO.url,
        "VAROSKAPU_TABLE": "bench",
        "VAROSKAPU_DOCUMENTS_BUCKET": "bench-documents",
        "VAROSKAPU_UPLOADS_BUCKET": "bench-uploads",
        "VAROSKAPU_ISSUER": "https://kapu.example.hu",
        "VAROSKAPU_SIGNING_KEY_ID": "bench",
        # No VAROSKAPU_SIGNING_CHAIN_PARAMETER: the chain would be read from SSM, which
        # this bench does not emulate, so the signing functions start with signing off.
        "VAROSKAPU_TSA_URL": "http://127.0.0.1:9/tsa",
        "VAROSKAPU_TOKEN_KEY_ID": "bench",
        "VAROSKAPU_PUBLIC_URL": "https://kapu.example.hu",
        "VAROSKAPU_SIMPLEPAY_MERCHANT": "BENCHHUF",
        "RUST_LOG": "off",
    })
    # The secrets' ARNs, as the template gives them; the values are read from moto.
    env.update(MOTO.secrets)
    return env


def peak_rss_kib(pid):
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(binary):
    # A server and handler state of their own per run: a killed process's last poll can
    # still be queued on the previous server, and must not take this run's event.
    run = type("Run", (Runtime,), {
        "served": False,
        "request_id": str(uuid.uuid4()),
        "answered": threading.Event(),
        "response": None,
        "first_poll_at": None,
    })
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), run)
    # A killed runtime drops its pending poll; that is expected, not worth a traceback.
    server.handle_error = lambda *_: None
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return run_once(binary, port, run)
    finally:
        server.shutdown()
        server.server_close()


def run_once(binary, port, run):
    since = len(MOTO.calls)
    start = time.perf_counter()
    proc = subprocess.Popen([str(binary)], env=environment(port),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ok = run.answered.wait(20)
    elapsed = (run.answered_at - start) * 1000 if ok else float("nan")
    init = (run.first_poll_at - start) * 1000 if ok else float("nan")
    rss = peak_rss_kib(proc.pid)
    proc.kill()
    _, err = proc.communicate()
    if not ok:
        raise RuntimeError(f"{binary.name} gave no response: {err.decode(errors='replace')[-500:]}")
    path, body = run.response
    status = json.loads(body).get("statusCode") if path.endswith("/response") else "error"
    return elapsed, rss / 1024, status, init, MOTO.secrets_ms(since)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target", default=str(ROOT / "target/release"))
    args = parser.parse_args()
    Runtime.event = event()
    global MOTO
    MOTO = Moto()
    try:
        report(args)
    finally:
        MOTO.stop()


def report(args):
    target = pathlib.Path(args.target)

    names = ["hello (floor)"] + [f for f in FUNCTIONS if (target / f).exists()]
    paths = {"hello (floor)": target / "examples/hello_lambda"}
    rows = []
    for name in names:
        binary = paths.get(name, target / name)
        try:
            runs = [measure(binary) for _ in range(args.runs)]
        except RuntimeError as e:
            print(f"{name}: {e}")
            continue
        rows.append((name, statistics.median(r[0] for r in runs), max(r[1] for r in runs),
                     runs[0][2], statistics.median(r[3] for r in runs),
                     statistics.median(r[4] for r in runs)))
    floor = rows[0][1]
    print(f"{'function':<16} {'spawn→response ms':>18} {'× floor':>8} {'of it init ms':>14}"
          f" {'secrets ms':>11} {'peak RSS MB':>12} {'status':>7}")
    for name, ms, rss, status, init, secrets in rows:
        print(f"{name:<16} {ms:>18.1f} {ms / floor:>8.2f} {init:>14.1f} {secrets:>11.1f}"
              f" {rss:>12.1f} {status!s:>7}")
    bad = [n for n, ms, rss, *_ in rows[1:] if ms > 2 * floor or rss > 40]
    if bad:
        print("over target (2× floor or 40 MB):", ", ".join(bad))


if __name__ == "__main__":
    main()
