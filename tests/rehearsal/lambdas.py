"""The functions of the template as Lambda runs them: each binary in an environment of
exactly what the template sets plus what Lambda itself sets, against a Lambda Runtime API
of its own (the documented /2018-06-01/runtime endpoints and headers).

One execution environment per function, one invocation at a time, as Lambda runs an
environment; a process that exits is a start-up crash (before its first poll) or a crash
of the invocation, and is started again for the next one, as Lambda would.
"""

import atexit
import http.server
import json
import os
import queue
import subprocess
import threading
import time
import uuid

from cfn import ACCOUNT, REGION

API = "/2018-06-01/runtime"


class Invocation:
    def __init__(self, event, timeout):
        self.id = str(uuid.uuid4())
        self.event = json.dumps(event).encode()
        self.deadline_ms = int(time.time() * 1000 + timeout * 1000)
        self.done = threading.Event()
        self.response = None  # bytes
        self.error = None  # dict


class RuntimeApi:
    """The Runtime API of one execution environment."""

    def __init__(self, function):
        self.function = function
        self.pending = queue.Queue()
        self.inflight = {}
        self.init_error = None
        self.polled = threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{API}/invocation/next":
                    return self.reply(404, b'{"errorType":"NotFound"}')
                api.polled.set()
                inv = api.pending.get()
                if inv is None:  # shutting down
                    return self.reply(500, b"")
                api.inflight[inv.id] = inv
                self.reply(200, inv.event, [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", inv.id),
                    ("Lambda-Runtime-Deadline-Ms", str(inv.deadline_ms)),
                    ("Lambda-Runtime-Invoked-Function-Arn", api.function.arn),
                    ("Lambda-Runtime-Trace-Id",
                     f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=1"),
                ])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(API):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = _error(body, self.headers)
                    return self.reply(202, b'{"status":"OK"}')
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    inv = api.inflight.pop(parts[1], None)
                    if inv is None:
                        return self.reply(400, b'{"errorType":"InvalidRequestID"}')
                    if parts[2] == "response":
                        inv.response = body
                    else:
                        inv.error = _error(body, self.headers)
                    inv.done.set()
                    return self.reply(202, b'{"status":"OK"}')
                self.reply(404, b'{"errorType":"NotFound"}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A runtime killed while it waits for an event drops its poll; nothing to report.
        self.server.handle_error = lambda *_: None
        self.address = f"127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _error(body, headers):
    try:
        e = json.loads(body)
    except ValueError:
        e = {"errorMessage": body.decode("utf-8", "replace")}
    e["errorTypeHeader"] = headers.get("Lambda-Runtime-Function-Error-Type")
    return e


class Function:
    def __init__(self, logical, name, arn, binary, env, timeout, memory, log_dir):
        self.logical, self.name, self.arn = logical, name, arn
        self.binary, self.env, self.timeout, self.memory = binary, env, timeout, memory
        self.log_path = os.path.join(log_dir, f"{logical}.log")
        self.runtime = RuntimeApi(self)
        self.proc = None
        self.lock = threading.Lock()
        self.crashes = []  # (when, message)
        self.start_ms = None
        self.durations_ms = []  # of each answered invocation, for sizing concurrency
        self.longest = (0.0, "")  # the longest invocation's ms and route

    def process_env(self, access_key):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "en_US.UTF-8", "TZ": ":UTC"}
        env.update(self.env)
        env.update({
            "AWS_LAMBDA_RUNTIME_API": self.runtime.address,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/01/01/[$LATEST]{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
            "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": "rehearsal",
            "AWS_SESSION_TOKEN": "rehearsal-session",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
        })
        return env

    def start(self, extra_env, access_key):
        """Starts the execution environment; returns None when it polls for its first
        event (initialised), or the start-up failure."""
        # A Runtime API of its own per execution environment: a killed process's pending
        # poll would otherwise take the next event from the queue the new one waits on.
        if self.proc is not None:
            self.runtime.pending.put(None)
            self.runtime.server.shutdown()
            self.runtime = RuntimeApi(self)
        env = self.process_env(access_key)
        env.update(extra_env)
        log = open(self.log_path, "ab")
        self.log_offset = log.tell()
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.binary], env=env, stdout=log, stderr=subprocess.STDOUT)
        _RUNNING.append(self.proc)
        # Lambda's init phase is bounded at 10 s.
        while time.monotonic() - t0 < 10:
            if self.runtime.polled.wait(0.05):
                self.start_ms = (time.monotonic() - t0) * 1000
                return None
            if self.proc.poll() is not None:
                return self.startup_failure(f"exited with status {self.proc.returncode} before polling")
        self.proc.kill()
        return self.startup_failure("did not poll within Lambda's 10 s init phase")

    def startup_failure(self, what):
        tail = self.log_tail()
        reason = self.runtime.init_error or {}
        msg = f"{what}; {reason.get('errorMessage', '')} {tail}".strip()
        self.crashes.append(msg)
        return msg

    def log_tail(self, n=600):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(getattr(self, "log_offset", 0))
                data = f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [l for l in data.splitlines() if l.strip()]
        return " | ".join(lines[-4:])[-n:]

    def invoke(self, event, restart):
        """Invokes the function with `event`; returns (response dict or None, error)."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                failure = restart()
                if failure:
                    return None, f"start-up failed: {failure}"
            inv = Invocation(event, self.timeout)
            self.runtime.pending.put(inv)
            t0 = time.monotonic()
            while not inv.done.wait(0.05):
                if self.proc.poll() is not None:
                    msg = f"the process exited ({self.proc.returncode}) during the invocation: {self.log_tail()}"
                    self.crashes.append(msg)
                    return None, msg
                if time.monotonic() - t0 > self.timeout:
                    self.proc.kill()
                    return None, f"Task timed out after {self.timeout} seconds"
            self.durations_ms.append((time.monotonic() - t0) * 1000)
            self.longest = max(self.longest, (self.durations_ms[-1], event.get("routeKey")
                                              or event.get("detail-type") or "?"))
            if inv.error is not None:
                return None, f"function error: {json.dumps(inv.error)[:500]}"
            try:
                return json.loads(inv.response), None
            except ValueError:
                return None, f"the response is not JSON: {inv.response[:200]!r}"

    def stop_process(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.runtime.pending.put(None)
        self.runtime.server.shutdown()


_RUNNING = []


@atexit.register
def _kill_what_is_left():
    # Whatever ends the rehearsal (a failure in it included), no function outlives it.
    for proc in _RUNNING:
        if proc.poll() is None:
            proc.kill()


def environment_size(variables):
    """Lambda's 4 KB limit counts the keys and values of the function's variables."""
    return sum(len(k.encode()) + len(str(v).encode()) for k, v in variables.items())


def default_function_arn(name):
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
