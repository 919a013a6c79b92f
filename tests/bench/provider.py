#!/usr/bin/env python3
"""Városkapu's OpenID provider side by side with node oidc-provider, on loopback.

    python3 tests/bench/provider.py [--duration 10] [--rounds 2] [--connections 32]

Builds the local server in release (`cargo build --release -p varoskapu-local`; set
VAROSKAPU_BIN to bench a binary built before), starts it on a fresh data folder and node
oidc-provider 9.x (installed from npm into tests/bench/node_modules, ignored by git;
configured in peer.js) each on its own loopback port, and runs `wrk -t1 -cN -dDs --latency`
(Debian's `wrk`, installed with apt-get when missing) against JWKS, discovery, the token
endpoint (`client_credentials`, HTTP Basic), UserInfo with a person's valid access
token, and the authorization-code exchange (PKCE, an ID token and an access token for
each code; `--codes` codes are minted beforehand for each run, ours through the
authorization endpoint of a signed-in session, the peer's in its own store), alternating
peer and ours (A B A B) for each endpoint. Prints one line per run and
a table: the best run of each server, its p50/p99 and the ratio ours/peer. A run in which
any response was not 2xx is reported as failed, never as a figure.

A benchmark, never a test: it is not part of tests/run, and everything it starts stops
when it ends. Requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
# The demo citizen portal (first-party, confidential: no consent page) of README's
# "Demo accounts and single sign-on".
CLIENT_ID = "demo-ugyfelkapu"
CLIENT_SECRET = "demo-portal-secret-change-me-0123456789abcdef"
REDIRECT_URI = "http://127.0.0.1:8083/callback"
CITIZEN = ("polgar@demo.varoskapu.hu", "Demo-polgar-2026")
# The peer's client, as peer.js registers it.
PEER_REDIRECT_URI = "http://127.0.0.1:9/callback"
VERIFIER = "provider-bench-verifier-long-enough-for-rfc-7636-0123456789"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, target: str, headers=None, body=None):
    """One HTTP request to 127.0.0.1:port; (status, headers, body), no redirect followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def wait_until_up(port: int, path: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            if request(port, "GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not answer {path} in {seconds:.0f} s")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("installing wrk (Debian) ...")
    apt = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(apt, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], stdout=subprocess.DEVNULL, check=True)
        subprocess.run(apt, stdout=subprocess.DEVNULL, check=True)
    return shutil.which("wrk") or "wrk"


def ensure_peer() -> None:
    if (BENCH / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    log("installing node oidc-provider into tests/bench/node_modules ...")
    subprocess.run(
        ["npm", "install", "--no-package-lock", "--no-audit", "--no-fund"],
        cwd=BENCH,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def ours_binary() -> Path:
    given = os.environ.get("VAROSKAPU_BIN")
    if given:
        return Path(given)
    log("building the local server (release) ...")
    subprocess.run(
        ["cargo", "build", "--release", "-p", "varoskapu-local"], cwd=ROOT, check=True
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "varoskapu"


def cookies_from(headers, jar: dict) -> None:
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        pair = value.split(";", 1)[0]
        key, _, val = pair.partition("=")
        if val:
            jar[key.strip()] = val.strip()
        else:
            jar.pop(key.strip(), None)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    if not match:
        raise SystemExit(f"no hidden field {name} on the login page")
    return html.unescape(match.group(1))


def basic(client_id: str, secret: str) -> str:
    raw = f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(secret)}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)
SCOPE = "openid profile email"


def authorize_query(scope: str = SCOPE) -> str:
    return urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": "bench",
            "nonce": "bench",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
    )


def code_from(status: int, headers, body: bytes, what: str) -> str:
    location = dict((k.lower(), v) for k, v in headers).get("location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code")
    if status not in (302, 303) or not code:
        raise SystemExit(f"{what} answered {status} {location} {body[:300]!r}")
    return code[0]


def exchange_form(code: str, redirect_uri: str) -> str:
    return urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": VERIFIER,
        }
    )


def person_token(port: int, scope: str = SCOPE) -> tuple[str, dict]:
    """Signs the demo citizen in through the pages (code flow with PKCE) on our server;
    the access token and the cookies of the sign-in's session."""
    jar: dict = {}
    status, headers, body = request(port, "GET", f"/oauth2/authorize?{authorize_query(scope)}")
    cookies_from(headers, jar)
    if status != 200:
        raise SystemExit(f"authorize answered {status}")
    page = body.decode()
    form = urllib.parse.urlencode(
        {
            "request_id": hidden(page, "request_id"),
            "csrf": hidden(page, "csrf"),
            "email": CITIZEN[0],
            "password": CITIZEN[1],
        }
    )
    status, headers, body = request(
        port,
        "POST",
        "/oauth2/login",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
            "Origin": f"http://127.0.0.1:{port}",
        },
        form,
    )
    cookies_from(headers, jar)
    code = code_from(status, headers, body, "login")
    status, _, body = request(
        port,
        "POST",
        "/oauth2/token",
        token_headers(),
        exchange_form(code, REDIRECT_URI),
    )
    if status != 200:
        raise SystemExit(f"the code exchange answered {status} {body[:300]!r}")
    return json.loads(body)["access_token"], jar


def mint_codes(port: int, jar: dict, count: int) -> list[str]:
    """Authorization codes of the signed-in session, each through the authorization
    endpoint as a browser would get it (first-party client: no consent page)."""
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    target = f"/oauth2/authorize?{authorize_query()}"

    def mint(n: int) -> list[str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        codes = []
        try:
            for _ in range(n):
                conn.request("GET", target, headers={"Cookie": cookie})
                response = conn.getresponse()
                body = response.read()
                codes.append(code_from(response.status, response.getheaders(), body, "authorize"))
        finally:
            conn.close()
        return codes

    workers = 8
    with ThreadPoolExecutor(workers) as pool:
        shares = [count // workers + (i < count % workers) for i in range(workers)]
        return [code for codes in pool.map(mint, shares) for code in codes]


@dataclass
class Target:
    """One server's paths and credentials."""

    name: str
    port: int
    jwks: str
    discovery: str
    token: str
    userinfo: str
    access_token: str
    redirect_uri: str
    # Unused authorization codes for the code exchange, one per request, minted as they
    # are needed: ours live 60 seconds, as a code should.
    fresh_codes: Callable[[int], list[str]]
    codes_file: Path


def lua(method: str, headers: dict, body: str | None) -> str:
    lines = [f'wrk.method = "{method}"']
    for key, value in headers.items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    if body is not None:
        lines.append(f'wrk.body = "{body}"')
    return "\n".join(lines) + "\n"


def exchange_script(target: Target, connections: int) -> str:
    """Each request spends the next code; the thread stops before the codes run out (a
    code spent twice is refused, as it must be, and would count as an error). wrk still
    divides by the whole duration, so a run that spent them all is no figure: see
    `main`."""
    redirect = urllib.parse.quote(target.redirect_uri, safe="")
    return lua("POST", token_headers(), None) + f"""
local codes = {{}}
for line in io.lines("{target.codes_file}") do codes[#codes + 1] = line end
local sent, answered = 0, 0
request = function()
  sent = math.min(sent + 1, #codes)
  return wrk.format(nil, nil, nil, "grant_type=authorization_code&code=" .. codes[sent]
    .. "&redirect_uri={redirect}&code_verifier={VERIFIER}")
end
response = function(status, headers, body)
  answered = answered + 1
  if answered + {connections} * 2 >= #codes then wrk.thread:stop() end
end
"""


def token_headers() -> dict:
    return {
        "Authorization": basic(CLIENT_ID, CLIENT_SECRET),
        "Content-Type": "application/x-www-form-urlencoded",
    }


def scripts(target: Target, connections: int = 32) -> dict:
    return {
        "JWKS": (target.jwks, None),
        "discovery": (target.discovery, None),
        "userinfo": (
            target.userinfo,
            lua("GET", {"Authorization": f"Bearer {target.access_token}"}, None),
        ),
        "token (client_credentials)": (
            target.token,
            lua("POST", token_headers(), "grant_type=client_credentials"),
        ),
        "token (authorization_code)": (target.token, exchange_script(target, connections)),
    }


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk_run(wrk: str, args, port: int, path: str, script: str | None, workdir: Path) -> Run:
    command = [
        wrk,
        "-t1",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    if script is not None:
        file = workdir / f"script-{abs(hash(script))}.lua"
        file.write_text(script)
        command += ["-s", str(file)]
    command.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + 30
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    requests = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    if not rps:
        raise SystemExit(f"wrk printed no figures:\n{out}")
    return Run(
        float(rps.group(1)),
        to_ms(p50.group(1)) if p50 else float("nan"),
        to_ms(p99.group(1)) if p99 else float("nan"),
        errors,
        int(requests.group(1)) if requests else 0,
    )


def check(target: Target) -> None:
    """Each benchmarked request answers 200 once, before it is timed."""
    for name, (path, _) in scripts(target).items():
        if name == "token (authorization_code)":
            status, _, body = request(
                target.port,
                "POST",
                path,
                token_headers(),
                exchange_form(target.fresh_codes(1)[0], target.redirect_uri),
            )
            if status == 200 and "id_token" not in json.loads(body):
                raise SystemExit(f"{target.name}'s code exchange gave no ID token")
        elif name.startswith("token"):
            status, _, body = request(
                target.port,
                "POST",
                path,
                token_headers(),
                "grant_type=client_credentials",
            )
        elif name == "userinfo":
            status, _, body = request(
                target.port,
                "GET",
                path,
                {"Authorization": f"Bearer {target.access_token}"},
            )
        else:
            status, _, body = request(target.port, "GET", path)
        if status != 200:
            raise SystemExit(f"{target.name} {name} answered {status}: {body[:300]!r}")


def peer_ready(peer: subprocess.Popen) -> dict:
    """The peer's line that says it listens (the library may print notices before it)."""
    for line in peer.stdout:
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return {}


def mark(run: Run) -> str:
    return "" if run.errors == 0 else f" ({run.errors} errors)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", help="benchmark only endpoints whose name contains this")
    parser.add_argument(
        "--codes",
        type=int,
        default=20000,
        help="authorization codes minted for each server's code-exchange runs (a run that "
        "spends them all ends early; its rate stands)",
    )
    args = parser.parse_args()

    wrk = ensure_wrk()
    ensure_peer()
    binary = ours_binary()
    processes: list[subprocess.Popen] = []
    workdir = Path(tempfile.mkdtemp(prefix="varoskapu-provider-bench-"))
    try:
        ours_port, peer_port = free_port(), free_port()
        data = workdir / "data"
        ours = subprocess.Popen(
            [str(binary), "--data-dir", str(data), "--addr", f"127.0.0.1:{ours_port}"],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "ours.log").open("w"),
            # The server's own log level (info, unless RUST_LOG says otherwise): every
            # request's span is made as in a real deployment.
            start_new_session=True,
        )
        processes.append(ours)
        peer = subprocess.Popen(
            [
                "node",
                "peer.js",
                str(peer_port),
                CLIENT_ID,
                CLIENT_SECRET,
                str(args.codes * args.rounds + 1),
                CHALLENGE,
            ],
            cwd=BENCH,
            stdout=subprocess.PIPE,
            stderr=(workdir / "peer.log").open("w"),
            text=True,
            start_new_session=True,
        )
        processes.append(peer)
        ready = peer_ready(peer)
        if not ready.get("ready"):
            raise SystemExit(f"the peer did not start; see {workdir / 'peer.log'}")
        wait_until_up(ours_port, "/healthz", ours, 120)
        access_token, session = person_token(ours_port)

        def ours_codes(count: int) -> list[str]:
            log(f"minting {count} authorization codes on ours")
            return mint_codes(ours_port, session, count)

        peer_codes = ready["codes"]

        def peer_next_codes(count: int) -> list[str]:
            codes = peer_codes[:count]
            del peer_codes[:count]
            return codes

        targets = [
            Target(
                "node oidc-provider",
                peer_port,
                "/jwks",
                "/.well-known/openid-configuration",
                "/token",
                "/me",
                ready["access_token"],
                PEER_REDIRECT_URI,
                peer_next_codes,
                workdir / "peer-codes.txt",
            ),
            Target(
                "Városkapu",
                ours_port,
                "/oauth2/jwks",
                "/.well-known/openid-configuration",
                "/oauth2/token",
                "/oauth2/userinfo",
                access_token,
                REDIRECT_URI,
                ours_codes,
                workdir / "ours-codes.txt",
            ),
        ]
        for target in targets:
            check(target)

        results: dict = {}
        endpoints = list(scripts(targets[0]))
        if args.only:
            endpoints = [e for e in endpoints if args.only.lower() in e.lower()]
        for endpoint in endpoints:
            for round_ in range(args.rounds):
                for target in targets:
                    path, script = scripts(target, args.connections)[endpoint]
                    if endpoint == "token (authorization_code)":
                        fresh = target.fresh_codes(args.codes)
                        target.codes_file.write_text("\n".join(fresh) + "\n")
                    run = wrk_run(wrk, args, target.port, path, script, workdir)
                    if endpoint == "token (authorization_code)" and (
                        run.requests + 2 * args.connections >= len(fresh)
                    ):
                        raise SystemExit(
                            f"{target.name} spent all {len(fresh)} codes before the run "
                            "ended, so its rate is unknown: run again with more --codes"
                        )
                    results.setdefault((endpoint, target.name), []).append(run)
                    log(
                        f"{endpoint:28} {target.name:20} round {round_ + 1}: "
                        f"{run.rps:9.0f} req/s  p50 {run.p50_ms:6.2f} ms  "
                        f"p99 {run.p99_ms:6.2f} ms  errors {run.errors}"
                    )

        print()
        print(
            f"wrk -t1 -c{args.connections} -d{args.duration}s, best of {args.rounds} "
            f"(peer: node oidc-provider {peer_version()}, node {node_version()})"
        )
        print()
        print(
            "| endpoint | peer req/s | peer p50 / p99 ms | Városkapu req/s "
            "| Városkapu p50 / p99 ms | ratio |"
        )
        print("|---|---|---|---|---|---|")
        failed = False
        for endpoint in endpoints:
            best = {}
            for target in targets:
                runs = results[(endpoint, target.name)]
                clean = [r for r in runs if r.errors == 0]
                if not clean:
                    failed = True
                best[target.name] = max(clean or runs, key=lambda r: r.rps)
            peer_run, ours_run = best[targets[0].name], best[targets[1].name]
            print(
                f"| {endpoint} | {peer_run.rps:.0f}{mark(peer_run)} "
                f"| {peer_run.p50_ms:.2f} / {peer_run.p99_ms:.2f} "
                f"| {ours_run.rps:.0f}{mark(ours_run)} "
                f"| {ours_run.p50_ms:.2f} / {ours_run.p99_ms:.2f} "
                f"| {ours_run.rps / peer_run.rps:.2f}x |"
            )
        return 1 if failed else 0
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def peer_version() -> str:
    package = BENCH / "node_modules" / "oidc-provider" / "package.json"
    return json.loads(package.read_text())["version"]


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
