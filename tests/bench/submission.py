#!/usr/bin/env python3
"""What a citizen's submission costs the local server, at 16 concurrent clients.

    python3 tests/bench/submission.py [--cases 400] [--clients 16] [--case-type parking|certificate]

Builds the local server in release (set VAROSKAPU_BIN to bench a binary built before),
starts it on a fresh data folder, signs the demo citizen in to the demo portal (code flow
with PKCE, scopes `openid cases`) and works through `--cases` cases in three phases, each
by `--clients` threads with a kept-alive connection each:

1. draft: `POST /cases` with the whole form;
2. attach (resident parking permits only, which need it): announce the vehicle
   registration (`POST /cases/{id}/uploads`), `PUT` it to the upload URL, attach it
   (`POST /cases/{id}/documents`);
3. submit: `POST /cases/{id}/submit` with an Idempotency-Key; the server signs and
   timestamps the receipt PDF before it answers. A parking permit's automatic decision
   runs too (it leaves the case to a clerk here: the local server asks no registry); an
   official certificate request is the plain submission, with the receipt and nothing else.

For each phase it prints the server's CPU per case (utime + stime from /proc over the
phase, divided by the cases), the cases per second and each request's p50/p99; at the end
the server's peak resident memory (VmHWM) and draft + submit CPU per case, the figure the
goal is stated in. Any answer other than the expected status stops the bench.

A benchmark, never a test: it is not part of tests/run. Requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from provider import free_port, ours_binary, person_token, wait_until_up

PARKING_FORM = {
    "address": {"postcode": "1111", "city": "Budapest", "street": "Bartók Béla út 1."},
    "vehicle": {"plate": "ABC-123", "keeper": "applicant"},
}
CERTIFICATE_FORM = {"subject": "residence", "purpose": "munkáltató részére"}
# The case type, its form, and whether it needs the vehicle registration attached.
CASE_TYPES = {
    "parking": ("resident-parking-permit", PARKING_FORM, True),
    "certificate": ("official-certificate", CERTIFICATE_FORM, False),
}
# A one-page PDF, the vehicle registration certificate every permit needs.
REGISTRATION = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


class Client:
    """One citizen's kept-alive connection to the server."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token

    def call(self, method: str, target: str, body=None, headers=None, expect=200):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if target.startswith("/"):
            headers["Authorization"] = f"Bearer {self.token}"
        else:
            parts = urllib.parse.urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        started = time.perf_counter()
        self.conn.request(method, target, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.status not in (expect if isinstance(expect, tuple) else (expect,)):
            raise SystemExit(f"{method} {target} answered {response.status}: {data[:300]!r}")
        return (json.loads(data) if data else None), elapsed


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def phase(name, pid, clients, cases, work) -> dict:
    """Runs `work(client, case, timings)` over `cases`, spread over the clients' threads."""
    timings: dict[str, list[float]] = {}
    lock = threading.Lock()
    queue = list(reversed(cases))
    failures: list[BaseException] = []

    def run(client: Client) -> None:
        mine: dict[str, list[float]] = {}
        try:
            while True:
                with lock:
                    if not queue or failures:
                        break
                    case = queue.pop()
                work(client, case, mine)
        except BaseException as e:  # noqa: BLE001 - reported below, the bench stops
            with lock:
                failures.append(e)
        with lock:
            for label, values in mine.items():
                timings.setdefault(label, []).extend(values)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0
    if failures:
        raise failures[0]
    result = {
        "cpu_ms": cpu / len(cases) * 1000,
        "per_second": len(cases) / wall,
        "latency": {k: (percentile(v, 0.5), percentile(v, 0.99)) for k, v in timings.items()},
    }
    latency = ", ".join(f"{k} p50 {a:.1f} / p99 {b:.1f} ms" for k, (a, b) in result["latency"].items())
    print(
        f"{name:7} {result['cpu_ms']:6.2f} ms CPU per case, {result['per_second']:7.1f} cases/s; {latency}",
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--case-type", choices=sorted(CASE_TYPES), default="parking")
    args = parser.parse_args()

    binary = ours_binary()
    workdir = Path(tempfile.mkdtemp(prefix="varoskapu-submission-bench-"))
    port = free_port()
    server = subprocess.Popen(
        [str(binary), "--data-dir", str(workdir / "data"), "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("w"),
        start_new_session=True,
    )
    try:
        wait_until_up(port, "/healthz", server, 120)
        token, _ = person_token(port, "openid cases")
        clients = [Client(port, token) for _ in range(args.clients)]
        cases: list[dict] = [{"n": n} for n in range(args.cases)]
        run_id = os.urandom(4).hex()

        case_type, form, needs_registration = CASE_TYPES[args.case_type]

        def draft(client, case, timings):
            body, t = client.call("POST", "/cases", {"case_type": case_type, "form": form}, expect=201)
            case["id"] = body["id"]
            timings.setdefault("POST /cases", []).append(t)

        def attach(client, case, timings):
            ticket, t1 = client.call(
                "POST",
                f"/cases/{case['id']}/uploads",
                {
                    "kind": "vehicle_registration",
                    "sha256": hashlib.sha256(REGISTRATION).hexdigest(),
                    "size": len(REGISTRATION),
                    "media_type": "application/pdf",
                },
                expect=201,
            )
            headers = {k: v for k, v in ticket.get("headers", [])}
            _, t2 = client.call(ticket["method"], ticket["url"], REGISTRATION, headers, expect=(200, 201, 204))
            _, t3 = client.call(
                "POST", f"/cases/{case['id']}/documents", {"upload_id": ticket["upload_id"]}, expect=201
            )
            timings.setdefault("attach (3 requests)", []).append(t1 + t2 + t3)

        def submit(client, case, timings):
            body, t = client.call(
                "POST",
                f"/cases/{case['id']}/submit",
                {},
                {"Idempotency-Key": f"bench-{run_id}-{case['n']}"},
            )
            if body.get("status") != "submitted":
                raise SystemExit(f"a submitted case is {body.get('status')}")
            timings.setdefault("POST /cases/{id}/submit", []).append(t)

        print(f"{args.cases} {case_type} cases, {args.clients} clients, server {binary}", flush=True)
        drafted = phase("draft", server.pid, clients, cases, draft)
        if needs_registration:
            phase("attach", server.pid, clients, cases, attach)
        submitted = phase("submit", server.pid, clients, cases, submit)
        print(
            f"draft + submit: {drafted['cpu_ms'] + submitted['cpu_ms']:.2f} ms CPU per case; "
            f"peak RSS {peak_rss_mb(server.pid):.1f} MB",
            flush=True,
        )
        return 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
