#!/usr/bin/env python3
"""Checks the running local server against its own /openapi.json with schemathesis.

Starts the already-built `varoskapu` binary on a fresh demo data folder (port 0), signs
the demo citizen in through the citizen portal and the demo clerk through the office
screens (authorization code flow with PKCE, as a browser and the portal's back end
would), then runs `schemathesis run --checks all` three times: anonymously, with the
citizen's access token and with the clerk's. Exits non-zero when any run finds a failure.

Usage: tests/schemathesis_check.py path/to/varoskapu [extra schemathesis options]
"""

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PORTAL = ("demo-ugyfelkapu", "demo-portal-secret-change-me-0123456789abcdef",
          "http://127.0.0.1:8083/callback",
          "openid profile email offline_access cases payments appointments")
OFFICE = ("demo-ugyintezokapu", "demo-office-secret-change-me-0123456789abcdef",
          "http://127.0.0.1:8084/callback",
          "openid profile email offline_access backoffice backoffice:approve crm crm:export")
CITIZEN = ("polgar@demo.varoskapu.hu", "Demo-polgar-2026")
CLERK = ("ugyintezo@demo.varoskapu.hu", "Demo-ugyintezo-2026")

# Operations schemathesis cannot exercise meaningfully, and why:
EXCLUDED_OPERATIONS = [
    # The provider's browser forms: each needs the CSRF token and the browser-binding
    # cookie of a login page shown moments before, so every generated request is refused
    # with the same 403 page (their refusals are covered by the idp tests).
    "login", "second_factor", "consent", "federated_start", "logout_confirmed",
    # The national eID callback: needs the state of a sign-in started upstream; without a
    # configured upstream provider it is always 404.
    "federated_callback",
    # Presigned URLs: the token is an HMAC-signed grant made by the API; generated tokens
    # are always refused with 403 (the blob contract suite covers the route).
    "presigned_download", "presigned_upload",
    # RFC 3161 at /tsa: schemathesis has no serializer for application/timestamp-query
    # (DER); the TSA's own tests and `openssl ts` cover it.
    "timestamp",
]


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read().decode("utf-8", "replace")


def field(page, name):
    match = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    if not match:
        raise SystemExit(f"the login page has no {name} field:\n{page[:2000]}")
    return match.group(1)


def sign_in(host, port, client, person):
    """The access token of `person` signed in through `client` (code flow with PKCE)."""
    client_id, secret, redirect, scope = client
    email, password = person
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
        "scope": scope, "state": secrets.token_urlsafe(8),
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    conn = http.client.HTTPConnection(host, port, timeout=30)
    response, page = request(conn, "GET", "/oauth2/authorize?" + query)
    if response.status != 200:
        raise SystemExit(f"authorize answered {response.status}: {page[:500]}")
    cookies = "; ".join(v.split(";")[0] for k, v in response.getheaders()
                        if k.lower() == "set-cookie")
    form = urllib.parse.urlencode({
        "request_id": field(page, "request_id"), "csrf": field(page, "csrf"),
        "email": email, "password": password,
    })
    response, page = request(conn, "POST", "/oauth2/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies,
    })
    location = response.getheader("Location") or ""
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code")
    if response.status != 303 or not code:
        raise SystemExit(f"login answered {response.status} to {location}: {page[:500]}")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code[0], "redirect_uri": redirect,
        "code_verifier": verifier,
    })
    response, body = request(conn, "POST", "/oauth2/token", form, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {basic}",
    })
    if response.status != 200:
        raise SystemExit(f"the token endpoint answered {response.status}: {body}")
    return json.loads(body)["access_token"]


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary, extra = sys.argv[1], sys.argv[2:]
    data_dir = tempfile.mkdtemp(prefix="varoskapu-schemathesis-")
    log = open(os.path.join(data_dir, "server.log"), "w+")
    server = subprocess.Popen(
        [binary, "--data-dir", os.path.join(data_dir, "data"), "--addr", "127.0.0.1:0",
         "--demo"],
        stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        # The log goes to stdout too; the line naming the URL comes once it listens.
        match, seen = None, []
        for line in server.stdout:
            seen.append(line)
            match = re.search(r"serving on (http://127\.0\.0\.1:(\d+))", line)
            if match:
                break
        if not match:
            line = "".join(seen)
            log.seek(0)
            raise SystemExit(f"the server did not start: {line}\n{log.read()}")
        url, port = match.group(1), int(match.group(2))
        # Keep reading stdout so the server never blocks on a full pipe.
        threading.Thread(target=server.stdout.read, daemon=True).start()
        tokens = {
            "anonymous": None,
            "citizen": sign_in("127.0.0.1", port, PORTAL, CITIZEN),
            "clerk": sign_in("127.0.0.1", port, OFFICE, CLERK),
        }
        failed = []
        for who, token in tokens.items():
            config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
            command = ["schemathesis", "--config-file", config, "run", f"{url}/openapi.json", "--checks", "all",
                       "--max-examples", "20", "--max-time", "60",
                       "--request-timeout", "10", "--workers", "2", "--seed", "16",
                       "--output-truncate", "false"]
            for operation in EXCLUDED_OPERATIONS:
                command += ["--exclude-operation-id", operation]
            if token:
                command += ["-H", f"Authorization: Bearer {token}"]
            command += extra
            print(f"\n-- schemathesis as {who}", flush=True)
            started = time.monotonic()
            # Its cache folder goes to the temporary folder, not the checkout.
            result = subprocess.run(command, cwd=data_dir)
            print(f"-- {who}: exit {result.returncode} in {time.monotonic() - started:.0f}s",
                  flush=True)
            if result.returncode != 0:
                failed.append(who)
        if failed:
            print(f"schemathesis found failures as: {', '.join(failed)}")
            return 1
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
