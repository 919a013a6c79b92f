"""The journey through the rehearsed stack's HTTP API, as people and apps use it:
discovery, register, verify (the mail read from SES), sign in (authorization code with
PKCE), a case with an upload that waits for a clerk (no registry is connected), its decision fetched, a fee paid by
card through the SimplePay double, an appointment booked, the citizen portal's pages (its
catalogue and stylesheet to a stranger, its sign-in through the provider's login page, my
cases, a case with an upload and its signed receipt, a booking), a clerk and a signatory (with her second factor) deciding a case, the reminder job.

A fresh stack has no clients, case types, offices or staff. Until the operators' AWS CLI
exists, the rehearsal writes them into the table the way the local server seeds a demo
folder: `varoskapu serve --demo` seeds a temporary SQLite folder, `users totp` turns on the
signatory's second factor, and every item is copied into DynamoDB in the layout
`varoskapu_aws::DynamoTable` writes (pk, sk, version, ttl, gsiNpk/gsiNsk, data as a map).

Every step that fails is reported; later steps that need its result are skipped.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import sqlite3
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib

PORTAL = ("demo-ugyfelkapu", "demo-portal-secret-change-me-0123456789abcdef",
          "http://127.0.0.1:8083/callback",
          "openid profile email offline_access cases payments appointments")
OFFICE = ("demo-ugyintezokapu", "demo-office-secret-change-me-0123456789abcdef",
          "http://127.0.0.1:8084/callback",
          "openid profile email offline_access backoffice backoffice:approve crm crm:export")
CLERK = ("ugyintezo@demo.varoskapu.hu", "Demo-ugyintezo-2026")
SIGNATORY = ("kiadmanyozo@demo.varoskapu.hu", "Demo-kiadmanyozo-2026")


def stream_filter_matches(pattern, event):
    """Whether an event source's filter pattern (the EventBridge syntax Lambda's filters
    use: lists of values, `prefix`) passes a stream record."""
    for field, wanted in pattern.items():
        if field not in event:
            return False
        got = event[field]
        if isinstance(wanted, dict):
            if not isinstance(got, dict) or not stream_filter_matches(wanted, got):
                return False
        elif not any(w == got or (isinstance(w, dict) and isinstance(got, str)
                                  and "prefix" in w and got.startswith(w["prefix"])) for w in wanted):
            return False
    return True


class Context:
    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.results = []


class Skip(Exception):
    pass


class Failed(Exception):
    pass


# -- HTTP ----------------------------------------------------------------------------------

class Http:
    def __init__(self, door):
        self.door = door

    def call(self, method, url, body=None, headers=None, token=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        parsed = urllib.parse.urlsplit(url)
        host, port = "127.0.0.1", self.door.port
        if parsed.netloc:
            host, _, p = parsed.netloc.partition(":")
            port = int(p or 80)
        path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.getheaders(), data
        finally:
            conn.close()


def expect(status, wanted, what, data):
    wanted = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
    if status not in wanted:
        raise Failed(f"{what}: {status}, wanted {'/'.join(map(str, wanted))}: "
                     f"{data[:400].decode('utf-8', 'replace') if isinstance(data, bytes) else data}")


def as_json(data):
    return json.loads(data or b"null")


def field(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    if not m:
        raise Failed(f"the page has no {name} field: {page[:300]}")
    return m.group(1)


def cookies_of(raw_headers, jar):
    for k, v in raw_headers:
        if k.lower() == "set-cookie":
            name, _, rest = v.split(";")[0].partition("=")
            jar[name.strip()] = rest
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def totp(secret_b32, at=None):
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    return f"{(struct.unpack('>I', mac[o:o + 4])[0] & 0x7fffffff) % 1000000:06d}"


def log_in_at_provider(h, authorize, jar, email, password, totp_secret=None, on_consent=None):
    """The provider's login page at `authorize` filled in as a person does (the second
    factor and the consent page when asked; `on_consent` is told when consent is asked),
    with the browser's cookies in `jar`; returns where the provider sends the browser
    back (the redirect with the code) and the cookie header."""
    status, _, raw, page = h.call("GET", authorize, headers={"Cookie": cookies_of([], jar)})
    expect(status, 200, "the provider's login page (GET /oauth2/authorize)", page)
    cookie = cookies_of(raw, jar)
    page = page.decode()
    form = {"request_id": field(page, "request_id"), "csrf": field(page, "csrf"),
            "email": email, "password": password}
    action = "login"
    for _ in range(4):
        status, hdrs, raw, body = h.call("POST", f"/oauth2/{action}", urllib.parse.urlencode(form).encode(),
                                         {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        cookie = cookies_of(raw, jar)
        if status != 200:
            break
        page = body.decode()
        if 'action="/oauth2/second-factor"' in page:
            if not totp_secret:
                raise Failed("the provider asks for a second factor the account has not")
            action, form = "second-factor", {"code": totp(totp_secret)}
        elif 'action="/oauth2/consent"' in page:
            if on_consent:
                on_consent()
            action, form = "consent", {"decision": "allow"}
        else:
            raise Failed(f"unexpected page after POST /oauth2/{action}: {page[:300]}")
        form.update({"request_id": field(page, "request_id"), "csrf": field(page, "csrf")})
    location = hdrs.get("location", "")
    if status != 303:
        raise Failed(f"POST /oauth2/{action}: {status} to {location!r}: {body[:300]!r}")
    return location, cookie


def sign_in(h, client, email, password, totp_secret=None):
    client_id, secret, redirect, scope = client
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
        "scope": scope, "state": secrets.token_urlsafe(8),
        "code_challenge": challenge, "code_challenge_method": "S256"})
    location, _ = log_in_at_provider(h, "/oauth2/authorize?" + query, {}, email, password, totp_secret)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code")
    if not code:
        raise Failed(f"the provider answered the sign-in with {location!r}, no code")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, _, _, body = h.call("POST", "/oauth2/token", urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code[0], "redirect_uri": redirect,
        "code_verifier": verifier}).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"})
    expect(status, 200, "POST /oauth2/token", body)
    tokens = as_json(body)
    sign_in.last = tokens
    return tokens["access_token"]


# -- documents to upload -------------------------------------------------------------------

def png():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00\xff\xff\xff"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf():
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


# -- the seed ------------------------------------------------------------------------------

def to_attribute(v):
    if v is None:
        return {"NULL": True}
    if isinstance(v, bool):
        return {"BOOL": v}
    if isinstance(v, (int, float)):
        return {"N": repr(v) if isinstance(v, float) else str(v)}
    if isinstance(v, str):
        return {"S": v}
    if isinstance(v, list):
        return {"L": [to_attribute(x) for x in v]}
    return {"M": {k: to_attribute(x) for k, x in v.items()}}


class LocalServer:
    """`varoskapu serve --demo` on a temporary folder: the demo seed's source, and the RFC
    3161 timestamp authority (`POST /tsa`) the operator's second deploy points at."""

    def __init__(self, binary, logs):
        if not os.path.exists(binary):
            raise Failed(f"{binary} is not built (cargo build -p varoskapu-local --bin varoskapu)")
        self.binary = binary
        self.folder = tempfile.mkdtemp(prefix="rehearsal-seed-", dir=logs)
        self.proc = subprocess.Popen([binary, "--data-dir", self.folder, "--addr", "127.0.0.1:0", "--demo"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = None
        for line in self.proc.stdout:
            m = re.search(r"serving on (http://127\.0\.0\.1:\d+)", line)
            if m:
                self.url = m.group(1)
                break
        if not self.url:
            raise Failed("the local server did not start to seed the demo data")
        import atexit
        import threading
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        atexit.register(self.stop)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def seed(ctx):
    """The demo folder's items copied into the stack's table; returns the signatory's
    TOTP secret."""
    local = ctx.local
    binary, folder = local.binary, local.folder
    out = subprocess.run([binary, "--data-dir", folder, "users", "totp", "--email", SIGNATORY[0]],
                         capture_output=True, text=True, timeout=60)
    m = re.search(r"secret=([A-Z2-7]+)", out.stdout)
    if not m:
        raise Failed(f"users totp printed no secret: {out.stdout} {out.stderr[-300:]}")
    db = sqlite3.connect(os.path.join(folder, "varoskapu.db"))
    rows = db.execute("SELECT pk, sk, version, ttl, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, data FROM items").fetchall()
    table = next(ctx.stack.physical[l] for l, _ in ctx.stack.resources("AWS::DynamoDB::Table"))
    ddb = ctx.aws.client("dynamodb")
    items = []
    for pk, sk, version, ttl, *gsi, data in rows:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, "version": {"N": str(version)},
                "data": to_attribute(json.loads(data))}
        if ttl is not None:
            item["ttl"] = {"N": str(ttl)}
        for i in range(3):
            if gsi[2 * i] is not None:
                item[f"gsi{i + 1}pk"] = {"S": gsi[2 * i]}
                item[f"gsi{i + 1}sk"] = {"S": gsi[2 * i + 1]}
        items.append(item)
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]})
    ctx.report.note(f"seeded {len(items)} items of the local demo folder into the table "
                    "(no operators' AWS CLI built: clients, case types, offices, staff)")
    return {"portal": PORTAL, "office": OFFICE, "clerk": CLERK, "signatory": SIGNATORY + (m.group(1),),
            "citizen": ("polgar@demo.varoskapu.hu", "Demo-polgar-2026")}


def issue_signing_chain(aws, key_id, csr_pem=None):
    """What the municipality's CA does for the document-signing KMS key: a certificate for
    its public key (from the operator's CSR, whose signature it checks, or read from KMS),
    with the CA's own after it (PEM)."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rehearsal document signing")])
    if csr_pem:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        if not csr.is_signature_valid:
            raise Failed("the operator's CSR is not signed by its key")
        public, subject = csr.public_key(), csr.subject
    else:
        public = serialization.load_der_public_key(aws.client("kms").get_public_key(KeyId=key_id)["PublicKey"])
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rehearsal municipal root CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name).public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in (leaf, ca))


# -- the journey ---------------------------------------------------------------------------

def run(ctx):
    h = Http(ctx.door)
    state = {}
    failed = set()

    def step(name, needs=()):
        def wrap(fn):
            missing = [n for n in needs if n not in state]
            if missing:
                print(f"  - {name}: skipped (needs {', '.join(missing)})")
                ctx.results.append((name, "skipped"))
                return
            t0 = time.monotonic()
            try:
                value = fn()
                state[name] = value if value is not None else True
                print(f"  ok {name} ({(time.monotonic() - t0) * 1000:.0f} ms)")
                ctx.results.append((name, "ok"))
            except (Failed, KeyError, ValueError, TypeError, IndexError, OSError) as e:
                failed.add(name)
                print(f"  FAIL {name}: {e}")
                ctx.results.append((name, f"failed: {e}"))
                ctx.report.finding("journey", f"step '{name}' fails", str(e)[:600])
        return wrap

    print("\n== journey")

    def operator_cli_path():
        cli = os.path.join(os.path.dirname(ctx.local.binary), "varoskapu-aws")
        if ctx.operator_cli and os.path.exists(ctx.operator_cli):
            cli = ctx.operator_cli
        return cli if os.path.exists(cli) else None

    @step("seed")
    def _():
        cli = operator_cli_path()
        if cli:
            import operator_cli
            try:
                people = operator_cli.bootstrap(ctx, cli, ctx.logs)
            except operator_cli.OperatorError as e:
                raise Failed(f"the operator's bootstrap fails: {e}") from None
            print("    (bootstrapped with varoskapu-aws: administrator, case types, offices, clients, staff)")
            return people
        return seed(ctx)

    people = lambda: state["seed"]  # noqa: E731

    @step("discovery")
    def _():
        status, _, _, body = h.call("GET", "/.well-known/openid-configuration")
        expect(status, 200, "GET /.well-known/openid-configuration", body)
        doc = as_json(body)
        issuer = ctx.stack.params.get("TokenIssuerUrl")
        if doc.get("issuer") != issuer:
            raise Failed(f"issuer {doc.get('issuer')} is not TokenIssuerUrl {issuer}")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
                     "end_session_endpoint", "revocation_endpoint", "introspection_endpoint"):
            url = doc.get(name)
            if not url:
                continue
            path = urllib.parse.urlsplit(url).path
            if not any(r.match("GET", path) is not None or r.match("POST", path) is not None
                       for r in ctx.door.routes if r.path != "$default"):
                ctx.report.finding("template HttpApi", f"discovery names {name} {path}, the HTTP API routes no such path")
        status, _, _, body = h.call("GET", urllib.parse.urlsplit(doc["jwks_uri"]).path)
        expect(status, 200, "GET jwks_uri", body)
        return doc

    @step("catalogue", needs=["seed"])
    def _():
        status, _, _, body = h.call("GET", "/case-types")
        expect(status, 200, "GET /case-types", body)
        return [t["id"] for t in as_json(body)]

    email = f"polgar-{secrets.token_hex(4)}@rehearsal.varoskapu.test"
    password = "Rehearsal-" + secrets.token_urlsafe(12)

    @step("register")
    def _():
        status, _, _, body = h.call("POST", "/register", {"email": email, "password": password,
                                                          "name": "Próba Polgár"})
        expect(status, (200, 201, 202), "POST /register", body)

    @step("verification mail", needs=["register"])
    def _():
        from aws import sent_mail
        for _ in range(20):
            mails = [m for m in sent_mail() if email in m]
            if mails:
                break
            time.sleep(0.2)
        else:
            raise Failed(f"no mail to {email} in SES (sent: {len(sent_mail())})")
        text = mails[-1]
        if "Content-Transfer-Encoding: base64" in text:
            for part in re.findall(r"\r?\n\r?\n([A-Za-z0-9+/=\r\n]{40,})", text):
                try:
                    text += base64.b64decode(part).decode("utf-8", "replace")
                except ValueError:
                    pass
        text = text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
        m = re.search(r"(https?://[^\s\"<>]+/register/verify\?token=([A-Za-z0-9_\-.%]+))", text)
        if not m:
            raise Failed(f"the mail has no verification link: {text[:300]}")
        link = m.group(1)
        public = ctx.stack.resolve({"Fn::Sub": "https://${DomainName}"}) if "DomainName" in ctx.stack.params else ""
        if public and not link.startswith(public) and not link.startswith(ctx.door.url):
            ctx.report.finding("RegisterFunction", f"the verification link points at {link.split('/register')[0]}")
        return urllib.parse.unquote(m.group(2))

    @step("verify", needs=["verification mail"])
    def _():
        status, _, _, body = h.call("POST", "/register/verify", {"token": state["verification mail"],
                                                                 "password": password})
        expect(status, (200, 201, 204), "POST /register/verify", body)

    citizen_login = {}  # the citizen's e-mail and current password, for the portal's pages

    @step("sign in (citizen, code + PKCE)", needs=["seed"])
    def _():
        if "verify" in state:
            citizen_login["who"] = (email, password)
        else:
            # The rest of the journey still runs, as the operator's citizen.
            print("    (as the operator's citizen account: the registered one is not verified)")
            citizen_login["who"] = tuple(people()["citizen"])
        token = sign_in(h, people()["portal"], *citizen_login["who"])
        head = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        state["token alg"] = head.get("alg")
        return token

    citizen = lambda: state["sign in (citizen, code + PKCE)"]  # noqa: E731
    portal_tokens = dict(getattr(sign_in, "last", {}) or {})

    def mail_matching(to, pattern):
        """The first text matching `pattern` in a mail to `to` in SES, newest first."""
        from aws import sent_mail
        for _ in range(25):
            for text in reversed([m for m in sent_mail() if to in m]):
                if "Content-Transfer-Encoding: base64" in text:
                    for part in re.findall(r"\r?\n\r?\n([A-Za-z0-9+/=\r\n]{40,})", text):
                        try:
                            text += base64.b64decode(part).decode("utf-8", "replace")
                        except ValueError:
                            pass
                text = text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
                m = re.search(pattern, text)
                if m:
                    return m.group(0)
            time.sleep(0.2)
        raise Failed(f"no mail to {to} in SES matches {pattern}")

    def mail_link(to, path):
        link = mail_matching(to, r"https?://[^\s\"<>]+%s\?token=[A-Za-z0-9_\-.%%]+" % re.escape(path))
        return urllib.parse.unquote(link.split("?token=", 1)[1])

    @step("userinfo, refresh and revoke (provider)", needs=["sign in (citizen, code + PKCE)"])
    def _():
        status, _, _, body = h.call("GET", "/oauth2/userinfo", token=citizen())
        expect(status, 200, "GET /oauth2/userinfo", body)
        refresh = portal_tokens.get("refresh_token") or (getattr(sign_in, "last", {}) or {}).get("refresh_token")
        if not refresh:
            raise Failed("the portal's sign-in with offline_access returned no refresh token")
        client_id, secret, _, _ = people()["portal"]
        basic = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
                 "Content-Type": "application/x-www-form-urlencoded"}
        status, _, _, body = h.call("POST", "/oauth2/token", urllib.parse.urlencode({
            "grant_type": "refresh_token", "refresh_token": refresh}).encode(), basic)
        expect(status, 200, "POST /oauth2/token (refresh)", body)
        fresh = as_json(body)
        status, _, _, body = h.call("POST", "/oauth2/introspect", urllib.parse.urlencode({
            "token": fresh["access_token"]}).encode(), basic)
        expect(status, 200, "POST /oauth2/introspect", body)
        status, _, _, body = h.call("POST", "/oauth2/revoke", urllib.parse.urlencode({
            "token": fresh.get("refresh_token", refresh)}).encode(), basic)
        expect(status, 200, "POST /oauth2/revoke", body)

    @step("authenticate and reset a password", needs=["verify"])
    def _():
        status, _, _, body = h.call("POST", "/authenticate", {"email": email, "password": password})
        expect(status, 200, "POST /authenticate", body)
        status, _, _, body = h.call("POST", "/password-reset", {"email": email})
        expect(status, (200, 202, 204), "POST /password-reset", body)
        token = mail_link(email, "/password-reset")
        status, _, _, body = h.call("POST", "/password-reset/confirm", {"token": token, "password": password + "-2"})
        expect(status, (200, 204), "POST /password-reset/confirm", body)
        status, _, _, body = h.call("POST", "/authenticate", {"email": email, "password": password + "-2"})
        expect(status, 200, "POST /authenticate with the new password", body)
        if citizen_login.get("who", (None,))[0] == email:
            citizen_login["who"] = (email, password + "-2")

    def upload_and_attach(case_id, kind, data, media_type, token):
        status, _, _, body = h.call("POST", f"/cases/{case_id}/uploads", {
            "kind": kind, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "media_type": media_type}, token=token)
        expect(status, (200, 201), f"POST /cases/{{id}}/uploads", body)
        ticket = as_json(body)
        headers = {k: v for k, v in ticket.get("headers", [])}
        status, _, _, out = h.call("PUT", ticket["url"], data, headers)
        expect(status, (200, 201, 204), "PUT to the presigned upload URL", out)
        status, _, _, body = h.call("POST", f"/cases/{case_id}/documents",
                                    {"upload_id": ticket["upload_id"]}, token=token)
        expect(status, 201, "POST /cases/{id}/documents", body)

    @step("submit a case with an upload (a clerk decides)", needs=["sign in (citizen, code + PKCE)", "catalogue"])
    def _():
        status, _, _, body = h.call("POST", "/cases", {"case_type": "resident-parking-permit", "form": {
            "address": {"postcode": "1054", "city": "Budapest", "street": "Október 6. utca 12."},
            "vehicle": {"plate": "ABC-123", "keeper": "applicant"}}}, token=citizen())
        expect(status, (200, 201), "POST /cases", body)
        case_id = as_json(body)["id"]
        # An upload announced but never made: attaching it is a conflict, not an outage.
        data = png()
        status, _, _, body = h.call("POST", f"/cases/{case_id}/uploads", {
            "kind": "vehicle_registration", "sha256": hashlib.sha256(data + b"x").hexdigest(),
            "size": len(data) + 1, "media_type": "image/png"}, token=citizen())
        expect(status, (200, 201), "POST /cases/{id}/uploads", body)
        status, _, _, body = h.call("POST", f"/cases/{case_id}/documents",
                                    {"upload_id": as_json(body)["upload_id"]}, token=citizen())
        expect(status, 409, "POST /cases/{id}/documents of an upload never made", body)
        upload_and_attach(case_id, "vehicle_registration", data, "image/png", citizen())
        status, _, _, body = h.call("POST", f"/cases/{case_id}/submit", {}, {"Idempotency-Key": "rehearsal-parking"},
                                    token=citizen())
        expect(status, 200, "POST /cases/{id}/submit", body)
        case = as_json(body)
        # The permit's rule trusts only the registry, never the form's claims: with no
        # registry service connected to the stack, a clerk decides it.
        if case.get("status") != "submitted":
            raise Failed(f"the parking permit is {case.get('status')}: with no registry "
                         "connected it must wait for a clerk, never be granted on the form")
        status, _, _, body = h.call("GET", f"/cases/{case_id}/receipt", token=citizen())
        expect(status, 200, "GET /cases/{id}/receipt", body)
        return case_id

    @step("pay a fee by card (SimplePay double)", needs=["sign in (citizen, code + PKCE)", "catalogue"])
    def _():
        if ctx.simplepay is None:
            raise Failed("the template has no SimplePay settings")
        status, _, _, body = h.call("POST", "/cases", {"case_type": "public-space-use-permit", "form": {
            "purpose": "Kávézó terasz kihelyezése", "location": "Szent István tér 4. előtti járda",
            "area_m2": 12.5, "from": "2027-04-01", "to": "2027-09-30"}}, token=citizen())
        expect(status, (200, 201), "POST /cases", body)
        case_id = as_json(body)["id"]
        upload_and_attach(case_id, "site_plan", pdf(), "application/pdf", citizen())
        status, _, _, body = h.call("POST", f"/cases/{case_id}/submit", {}, token=citizen())
        expect(status, 200, "POST /cases/{id}/submit", body)
        if as_json(body).get("status") != "awaiting_payment":
            raise Failed(f"the permit is {as_json(body).get('status')}, not awaiting_payment")
        status, _, _, body = h.call("POST", f"/cases/{case_id}/payments", {
            "method": "card", "back_url": ctx.door.url + "/payments/return"},
            {"Idempotency-Key": "rehearsal-card"}, token=citizen())
        expect(status, (200, 201), "POST /cases/{id}/payments", body)
        payment = as_json(body)
        status, hdrs, _, body = h.call("GET", payment["redirect_url"] + "?outcome=FINISHED")
        expect(status, 302, "the card page", body)
        ipn_status, signed = ctx.simplepay.ipn_result
        if ipn_status != 200 or not signed:
            raise Failed(f"the IPN was answered {ipn_status}, acknowledgement signed: {signed} "
                         f"({ctx.simplepay.log[-1]})")
        status, _, _, body = h.call("GET", hdrs["location"])
        expect(status, (200, 303), "GET the back URL /payments/return", body)
        status, _, _, body = h.call("GET", f"/payments/{payment['id']}", token=citizen())
        expect(status, 200, "GET /payments/{id}", body)
        if as_json(body).get("status") != "succeeded":
            raise Failed(f"the payment is {as_json(body).get('status')}")
        status, _, _, body = h.call("GET", f"/payments/{payment['id']}/receipt", token=citizen())
        expect(status, 200, "GET /payments/{id}/receipt", body)
        status, _, _, body = h.call("GET", f"/payments/{payment['id']}/invoice-data", token=citizen())
        expect(status, 200, "GET /payments/{id}/invoice-data", body)
        return case_id

    @step("book an appointment", needs=["sign in (citizen, code + PKCE)", "seed"])
    def _():
        status, _, _, body = h.call("GET", "/appointments/services")
        expect(status, 200, "GET /appointments/services", body)
        services = as_json(body)
        services = services.get("items", services) if isinstance(services, dict) else services
        if not services:
            raise Failed("no services")
        service = services[0]["id"]
        today = time.strftime("%Y-%m-%d", time.gmtime())
        later = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 21 * 86400))
        status, _, _, body = h.call("GET", f"/appointments/services/{service}/slots?from={today}&to={later}&limit=20")
        expect(status, 200, "GET /appointments/services/{id}/slots", body)
        slots = as_json(body).get("items", [])
        if not slots:
            raise Failed("no free slot in three weeks")
        status, _, _, body = h.call("POST", "/appointments/bookings", {"service_id": service, "start": slots[-1]["start"]},
                                    {"Idempotency-Key": "rehearsal-booking"}, token=citizen())
        expect(status, (200, 201), "POST /appointments/bookings", body)
        booking = as_json(body)
        status, _, _, body = h.call("GET", f"/appointments/bookings/{booking['id']}/calendar.ics", token=citizen())
        expect(status, 200, "GET /appointments/bookings/{id}/calendar.ics", body)
        return booking["id"]

    @step("sign in (clerk)", needs=["seed"])
    def _():
        return sign_in(h, people()["office"], *people()["clerk"])

    @step("sign in (signatory, second factor)", needs=["seed"])
    def _():
        email_, password_, secret_ = people()["signatory"]
        return sign_in(h, people()["office"], email_, password_, totp_secret=secret_)

    @step("a clerk drafts and a signatory approves the decision",
          needs=["pay a fee by card (SimplePay double)", "sign in (clerk)", "sign in (signatory, second factor)"])
    def _():
        case_id = state["pay a fee by card (SimplePay double)"]
        clerk = state["sign in (clerk)"]
        for what, path, body, wanted in [
            ("queue", "/backoffice/cases?status=in_review", None, 200),
            ("claim", f"/backoffice/cases/{case_id}/claim", {}, 200),
            ("file", f"/backoffice/cases/{case_id}/file", {}, 200),
            ("draft", f"/backoffice/cases/{case_id}/decision",
             {"outcome": "approve", "reasoning": "A kérelem megfelel a rendeletnek."}, 200),
        ]:
            status, _, _, out = h.call("GET" if body is None else "POST", path, body, token=clerk)
            expect(status, wanted, f"{what} ({path})", out)
            if what == "claim":
                document = as_json(out)["documents"][0]["id"]
                status, _, _, pdf_bytes = h.call("GET", f"/backoffice/cases/{case_id}/documents/{document}", token=clerk)
                expect(status, 200, "the clerk reads the attachment", pdf_bytes)
        status, _, _, out = h.call("POST", f"/backoffice/cases/{case_id}/decision/approve", {},
                                   token=state["sign in (signatory, second factor)"])
        expect(status, 200, "approve", out)
        if as_json(out).get("status") != "decided":
            raise Failed(f"the case is {as_json(out).get('status')} after approval")
        status, _, _, out = h.call("GET", f"/cases/{case_id}/decision", token=citizen())
        expect(status, 200, "the citizen fetches the approved decision", out)
        # Or through a short-lived presigned URL to the documents bucket.
        status, _, _, out = h.call("GET", f"/cases/{case_id}/decision?delivery=url", token=citizen())
        expect(status, 200, "GET /cases/{id}/decision?delivery=url", out)
        status, _, _, pdf_bytes = h.call("GET", as_json(out)["url"])
        expect(status, 200, "GET the presigned decision URL", pdf_bytes)
        if not pdf_bytes.startswith(b"%PDF"):
            raise Failed("the presigned URL does not serve the decision")

    @step("fetch the decision", needs=["a clerk drafts and a signatory approves the decision"])
    def _():
        case_id = state["pay a fee by card (SimplePay double)"]
        status, hdrs, _, body = h.call("GET", f"/cases/{case_id}/decision", token=citizen())
        expect(status, 200, "GET /cases/{id}/decision", body)
        if not body.startswith(b"%PDF"):
            raise Failed(f"the decision is not a PDF: {hdrs.get('content-type')}")
        status, _, _, body = h.call("POST", f"/cases/{case_id}/decision/download-certificate", {}, token=citizen())
        expect(status, (200, 201), "POST /cases/{id}/decision/download-certificate", body)

    def scheduled(binary):
        """The function of `binary` if the stack has it and EventBridge invokes it on a
        schedule, invoked once as EventBridge would; its answer (None without it)."""
        resources = dict(ctx.stack.resources("AWS::Serverless::Function"))
        fn = next((f for l, f in ctx.functions.items()
                   if ((resources[l].get("Metadata") or {}).get("BuildProperties") or {}).get("Binary") == binary
                   and any(e.get("Type") == "Schedule" for e in
                           (resources[l].get("Properties", {}).get("Events") or {}).values())), None)
        if fn is None:
            return None
        event = {"version": "0", "id": secrets.token_hex(8), "detail-type": "Scheduled Event",
                 "source": "aws.events", "account": "123456789012",
                 "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": "eu-central-1",
                 "resources": ["arn:aws:events:eu-central-1:123456789012:rule/rehearsal"], "detail": {}}
        response, error = ctx.door.invoke(fn, event)
        if error:
            raise Failed(f"{fn.logical}: {error}")
        return response

    @step("appointment reminders (scheduled)", needs=["seed"])
    def _():
        return scheduled("send-appointment-reminders")

    # Only a stack connected to a registry service (RegistryUrl) has the refresh.
    @step("registry refresh (scheduled)", needs=["seed"])
    def _():
        response = scheduled("crm-refresh")
        if "CrmRefreshFunction" not in ctx.functions:
            ctx.report.note("no registry service is connected (RegistryUrl): the stack has no CrmRefreshFunction")
        answer = response if isinstance(response, dict) or response is None else as_json(response)
        if answer is not None and not {"checked", "changed", "failed"} <= set(answer):
            raise Failed(f"the registry refresh answered {response!r}")
        return response

    # The change stream is not delivered in the rehearsal, so a record a clerk adds stays
    # out of the index, as after a lost batch: the operator's rebuild must bring it in.
    @step("a record the index missed, found after varoskapu-aws crm reindex (the change stream)",
          needs=["sign in (clerk)"])
    def _():
        indexer = ctx.functions.get("CrmIndexerFunction")
        if indexer is None:
            raise Failed("the template has no CrmIndexerFunction")
        cli = operator_cli_path()
        if cli is None:
            ctx.report.note("varoskapu-aws is not built: the index's rebuild is not rehearsed")
            return None
        clerk = state["sign in (clerk)"]
        family = "Újraindexelt" + secrets.token_hex(3)
        person = {"identity": {"family_name": family, "given_name": "Réka", "birth_date": "1984-05-06",
                               "birth_place": "Budapest", "mother_birth_name": "Kiss Mária"},
                  "emails": [f"reka.{secrets.token_hex(3)}@example.hu"]}
        status, _, _, body = h.call("POST", "/crm/persons", person,
                                    headers={"Idempotency-Key": secrets.token_hex(16)}, token=clerk)
        expect(status, 201, "POST /crm/persons", body)
        person_id = as_json(body)["person"]["id"]

        import operator_cli
        dynamodb = ctx.aws.client("dynamodb")
        table = next(ctx.stack.physical[l] for l, _ in ctx.stack.resources("AWS::DynamoDB::Table"))
        proc = operator_cli.start(ctx, cli, "crm", "reindex", "--timeout", "120")
        try:
            item = None
            for _ in range(150):
                items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p",
                                       ExpressionAttributeValues={":p": {"S": "crm-reindex"}})["Items"]
                # The table engine keeps an item's fields in its `data` map.
                item = next((i for i in items
                             if i.get("data", {}).get("M", {}).get("status", {}).get("S") == "pending"), None)
                if item or proc.poll() is not None:
                    break
                time.sleep(0.2)
            if item is None:
                proc.kill()
                out, err = proc.communicate()
                raise Failed(f"varoskapu-aws crm reindex wrote no pending request: {(err or out)[-400:]}")
            filters = [json.loads(f["Pattern"]) for e in (indexer.props.get("Events") or {}).values()
                       if e.get("Type") == "DynamoDB"
                       for f in ((e.get("Properties") or {}).get("FilterCriteria") or {}).get("Filters", [])]

            def record(event_name, image):
                return {"eventID": secrets.token_hex(16), "eventName": event_name, "eventVersion": "1.1",
                        "eventSource": "aws:dynamodb", "awsRegion": "eu-central-1",
                        "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image,
                                     "SequenceNumber": str(int(time.time() * 1000)), "SizeBytes": 100,
                                     "StreamViewType": "NEW_AND_OLD_IMAGES"}}

            inserted = record("INSERT", item)
            if not any(stream_filter_matches(f, inserted) for f in filters):
                raise Failed(f"the indexer's stream filters {filters} do not pass the rebuild request")
            response, error = ctx.door.invoke(indexer, {"Records": [inserted]})
            if error:
                raise Failed(f"CrmIndexerFunction: {error}")
            if not isinstance(response, dict) or not response.get("rebuilt"):
                raise Failed(f"the indexer did not rebuild the index: {response!r}")
            answered = dynamodb.get_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})["Item"]
            if any(stream_filter_matches(f, record("MODIFY", answered)) for f in filters):
                raise Failed("the indexer's answer to a request would be delivered to it again")
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        if proc.returncode != 0 or "rebuilt from the table" not in out:
            raise Failed(f"varoskapu-aws crm reindex: {(err or out)[-400:]}")
        # The CRM function looks for a newer snapshot every few seconds.
        found = []
        for _ in range(40):
            status, _, _, body = h.call("GET", f"/crm/persons?q={urllib.parse.quote(family)}", token=clerk)
            expect(status, 200, "GET /crm/persons?q=", body)
            found = [p["id"] for p in as_json(body).get("persons", [])]
            if person_id in found:
                return response
            time.sleep(0.5)
        raise Failed(f"after the rebuild, a quick search for {family} finds {found}, not {person_id}")

    def portal_pages():
        return ctx.functions.get("PortalFunction")

    portal_seen = []  # (path, page) of the portal's pages, whose links must be routes

    def seen(path, body):
        portal_seen.append((path, body.decode("utf-8", "replace") if isinstance(body, bytes) else body))
        return body

    @step("the portal's pages to a stranger (catalogue, stylesheet, sign-in)", needs=["seed", "catalogue"])
    def _():
        if portal_pages() is None:
            raise Failed("the template has no PortalFunction")
        status, hdrs, _, body = h.call("GET", "/")
        expect(status, 200, "GET / (the portal's catalogue)", body)
        seen("/", body)
        if not hdrs.get("content-type", "").startswith("text/html"):
            raise Failed(f"GET / is {hdrs.get('content-type')}, not HTML")
        page = body.decode("utf-8", "replace")
        listed = [t for t in state["catalogue"] if f'href="/catalogue/{t}"' in page]
        if not listed:
            raise Failed(f"the portal's catalogue lists none of {state['catalogue']}: {page[:300]}")
        status, hdrs, _, body = h.call("GET", f"/catalogue/{listed[0]}")
        expect(status, 200, "GET /catalogue/{type_id}", body)
        seen(f"/catalogue/{listed[0]}", body)
        status, hdrs, _, body = h.call("GET", "/assets/site.css")
        expect(status, 200, "GET /assets/site.css", body)
        if not hdrs.get("content-type", "").startswith("text/css"):
            raise Failed(f"the stylesheet is {hdrs.get('content-type')}")
        # My cases without a session: to the portal's sign-in, and from there to the provider.
        status, hdrs, _, body = h.call("GET", "/my-cases")
        expect(status, 303, "GET /my-cases without a session", body)
        login = hdrs.get("location", "")
        if not login.startswith("/auth/login"):
            raise Failed(f"GET /my-cases without a session goes to {login!r}, not the portal's sign-in")
        jar = {}
        status, hdrs, raw, body = h.call("GET", login)
        expect(status, 303, f"GET {login}", body)
        cookies_of(raw, jar)
        authorize = hdrs.get("location", "")
        issuer = ctx.stack.params.get("TokenIssuerUrl")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)
        if not authorize.startswith(f"{issuer}/oauth2/authorize?"):
            raise Failed(f"the portal's sign-in goes to {authorize[:120]!r}, not {issuer}/oauth2/authorize")
        client_id = portal_pages().env.get("VAROSKAPU_PORTAL_CLIENT_ID")
        if query.get("client_id") != [client_id] or query.get("redirect_uri") != [f"{issuer}/auth/callback"]:
            raise Failed(f"the portal signs in as {query.get('client_id')} returning to {query.get('redirect_uri')}")
        if query.get("code_challenge_method") != ["S256"] or not query.get("state") or not query.get("nonce"):
            raise Failed(f"the portal's authorization request lacks PKCE, state or nonce: {sorted(query)}")
        return authorize, jar

    @step("sign in through the portal and see my cases (provider's login page)",
          needs=["the portal's pages to a stranger (catalogue, stylesheet, sign-in)", "sign in (citizen, code + PKCE)"])
    def _():
        authorize, jar = state["the portal's pages to a stranger (catalogue, stylesheet, sign-in)"]
        who, secret = citizen_login["who"]
        # A first-party client is not asked for consent; if it is, say so, and go on.
        callback, cookie = log_in_at_provider(h, authorize, jar, who, secret, on_consent=lambda: ctx.report.finding(
            "PortalFunction", "the provider asks consent for the first-party portal", fails=False))
        if not callback.startswith(ctx.stack.params.get("TokenIssuerUrl") + "/auth/callback?"):
            raise Failed(f"the provider sends the portal's sign-in back to {callback[:120]!r}")
        status, hdrs, raw, body = h.call("GET", callback, headers={"Cookie": cookie})
        expect(status, 303, "GET /auth/callback (the portal redeems the code)", body)
        cookie = cookies_of(raw, jar)
        if hdrs.get("location") != "/my-cases":
            raise Failed(f"the callback returns to {hdrs.get('location')!r}, not /my-cases")
        status, hdrs, _, body = h.call("GET", "/my-cases", headers={"Cookie": cookie})
        expect(status, 200, "GET /my-cases signed in", body)
        seen("/my-cases", body)
        page = body.decode("utf-8", "replace")
        case_id = state.get("submit a case with an upload (a clerk decides)")
        if case_id and f'href="/my-cases/{case_id}"' not in page:
            raise Failed(f"my cases does not list the case {case_id} submitted through the API: {page[:400]}")
        if case_id:
            status, _, _, body = h.call("GET", f"/my-cases/{case_id}", headers={"Cookie": cookie})
            expect(status, 200, "GET /my-cases/{case_id}", body)
            seen(f"/my-cases/{case_id}", body)
            status, hdrs, _, body = h.call("GET", f"/my-cases/{case_id}/receipt.pdf", headers={"Cookie": cookie})
            expect(status, 200, "GET /my-cases/{case_id}/receipt.pdf", body)
            if not body.startswith(b"%PDF"):
                raise Failed(f"the receipt is not a PDF: {hdrs.get('content-type')}")
        # The card payment's mail (sent by pay-fee when SimplePay's IPN settled it) links
        # to the case in the portal, where the signed-in citizen sees it.
        paid = state.get("pay a fee by card (SimplePay double)")
        if paid:
            link = mail_matching(who, r"https?://[^\s\"<>]+/my-cases/%s" % re.escape(paid))
            if not link.startswith(ctx.stack.params.get("TokenIssuerUrl") + "/"):
                raise Failed(f"the payment mail links to {link}, not to the portal")
            status, _, _, body = h.call("GET", link, headers={"Cookie": cookie})
            expect(status, 200, "the payment mail's link to the case in the portal", body)
        for path in ("/my-appointments", "/notifications"):
            status, _, _, body = h.call("GET", path, headers={"Cookie": cookie})
            expect(status, 200, f"GET {path} signed in", body)
            seen(path, body)
        return cookie

    @step("the office's pages: a clerk signs in at /office and opens the queue and a case",
          needs=["seed", "a clerk drafts and a signatory approves the decision"])
    def _():
        if ctx.functions.get("OfficeFunction") is None:
            raise Failed("the template has no OfficeFunction")
        issuer = ctx.stack.params.get("TokenIssuerUrl")
        status, hdrs, _, body = h.call("GET", "/office/cases")
        expect(status, 303, "GET /office/cases without a session", body)
        login = hdrs.get("location", "")
        if not login.startswith("/office/auth/login"):
            raise Failed(f"GET /office/cases without a session goes to {login!r}, not the office's sign-in")
        jar = {}
        status, hdrs, raw, body = h.call("GET", login)
        expect(status, 303, f"GET {login}", body)
        cookies_of(raw, jar)
        authorize = hdrs.get("location", "")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)
        client_id = ctx.functions["OfficeFunction"].env.get("VAROSKAPU_OFFICE_CLIENT_ID")
        if query.get("client_id") != [client_id] or query.get("redirect_uri") != [f"{issuer}/office/auth/callback"]:
            raise Failed(f"the office signs in as {query.get('client_id')} returning to {query.get('redirect_uri')}")
        callback, cookie = log_in_at_provider(h, authorize, jar, *people()["clerk"], on_consent=lambda: ctx.report.finding(
            "OfficeFunction", "the provider asks consent for the first-party office screens", fails=False))
        status, hdrs, raw, body = h.call("GET", callback, headers={"Cookie": cookie})
        expect(status, 303, "GET /office/auth/callback (the office redeems the code)", body)
        cookie = cookies_of(raw, jar)
        if hdrs.get("location") != "/office/cases":
            raise Failed(f"the office's callback returns to {hdrs.get('location')!r}, not /office/cases")
        for path in ("/office", "/office/cases", "/office/diary"):
            status, _, _, body = h.call("GET", path, headers={"Cookie": cookie})
            expect(status, 200, f"GET {path} signed in as the clerk", body)
        case_id = state["pay a fee by card (SimplePay double)"]
        status, _, _, body = h.call("GET", f"/office/cases/{case_id}", headers={"Cookie": cookie})
        expect(status, 200, "GET /office/cases/{case_id} (the decided case)", body)
        # A citizen's session of the portal is no office session: the office asks to sign in.
        portal_cookie = state.get("sign in through the portal and see my cases (provider's login page)")
        if portal_cookie:
            status, hdrs, _, body = h.call("GET", "/office/cases", headers={"Cookie": portal_cookie})
            expect(status, 303, "GET /office/cases with the portal's session", body)
        return cookie

    def multipart(fields, file_bytes, media_type):
        boundary = "rehearsal-" + secrets.token_hex(8)
        body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                        for k, v in fields)
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan"\r\n'
                 f"Content-Type: {media_type}\r\n\r\n").encode() + file_bytes + f"\r\n--{boundary}--\r\n".encode()
        return body, f"multipart/form-data; boundary={boundary}"

    @step("a case and a booking through the portal's forms (upload, signed receipt, notice)",
          needs=["sign in through the portal and see my cases (provider's login page)"])
    def _():
        cookie = state["sign in through the portal and see my cases (provider's login page)"]
        form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        status, _, _, body = h.call("GET", "/my-cases/new/official-certificate", headers={"Cookie": cookie})
        expect(status, 200, "GET /my-cases/new/official-certificate", body)
        seen("/my-cases/new/official-certificate", body)
        csrf = field(body.decode(), "csrf")
        status, hdrs, _, body = h.call("POST", "/my-cases/new/official-certificate", urllib.parse.urlencode({
            "csrf": csrf, "subject": "residence", "purpose": "munkáltató részére"}).encode(), form_headers)
        expect(status, 303, "POST /my-cases/new/official-certificate", body)
        documents = hdrs.get("location", "")
        case_id = documents.split("/")[2] if documents.startswith("/my-cases/") else None
        if not case_id or documents != f"/my-cases/{case_id}/documents":
            raise Failed(f"the new draft goes to {documents!r}, not its documents page")
        data, content_type = multipart([("csrf", csrf), ("kind", "supporting_document")], pdf(), "application/pdf")
        status, _, _, body = h.call("POST", documents, data, {"Content-Type": content_type, "Cookie": cookie})
        expect(status, 303, "POST /my-cases/{case_id}/documents (a PDF)", body)
        status, _, _, body = h.call("GET", documents, headers={"Cookie": cookie})
        expect(status, 200, "GET /my-cases/{case_id}/documents", body)
        seen(documents, body)
        key = field(body.decode(), "idempotency_key")
        status, hdrs, _, body = h.call("POST", f"/my-cases/{case_id}/submit", urllib.parse.urlencode({
            "csrf": csrf, "idempotency_key": key}).encode(), form_headers)
        expect(status, 303, "POST /my-cases/{case_id}/submit", body)
        status, _, _, body = h.call("GET", f"/my-cases/{case_id}/receipt.pdf", headers={"Cookie": cookie})
        expect(status, 200, "GET the portal submission's receipt.pdf", body)
        if not body.startswith(b"%PDF"):
            raise Failed("the portal submission's receipt is not a PDF")
        # A booking from the office's service page, the last free slot offered.
        status, _, _, body = h.call("GET", "/my-appointments/new/lakcimkartya", headers={"Cookie": cookie})
        expect(status, 200, "GET /my-appointments/new/{service_id}", body)
        seen("/my-appointments/new/lakcimkartya", body)
        page = body.decode()
        slots = re.findall(r'name="slot" value="([^"]+)"', page)
        if not slots:
            raise Failed(f"the booking page offers no slot: {page[:300]}")
        status, hdrs, _, body = h.call("POST", "/my-appointments/new/lakcimkartya", urllib.parse.urlencode({
            "csrf": field(page, "csrf"), "idempotency_key": field(page, "idempotency_key"),
            "slot": slots[-1]}).encode(), form_headers)
        expect(status, 303, "POST /my-appointments/new/{service_id}", body)
        status, _, _, body = h.call("GET", "/my-appointments", headers={"Cookie": cookie})
        expect(status, 200, "GET /my-appointments", body)
        seen("/my-appointments", body)
        status, _, _, body = h.call("GET", f"/my-cases/{case_id}", headers={"Cookie": cookie})
        expect(status, 200, "GET /my-cases/{case_id} of the portal's case", body)
        seen(f"/my-cases/{case_id}", body)
        return case_id

    @step("every link and form of the portal's pages is a route of the HTTP API",
          needs=["the portal's pages to a stranger (catalogue, stylesheet, sign-in)"])
    def _():
        """What a page links (href, src) is fetched with GET and what a form posts to with
        its method: each must be a route of the template, or the deployed page leads
        nowhere (API Gateway answers 404 before any function runs)."""
        missing = set()
        for where, page in portal_seen:
            targets = [("GET", u) for u in re.findall(r'(?:href|src)="(/[^"#]*)"', page)]
            for form in re.findall(r"<form\b[^>]*>", page):
                action = re.search(r'action="([^"]*)"', form)
                method = re.search(r'method="([^"]*)"', form)
                target = action.group(1) if action else where
                if target.startswith("/"):
                    targets.append(((method.group(1) if method else "GET").upper(), target))
            for method, url in targets:
                path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
                if not any(r.match(method, path) is not None for r in ctx.door.routes if r.path != "$default"):
                    missing.add(f"{method} {path} (on {where})")
        if missing:
            raise Failed("the portal's pages lead to paths the HTTP API does not route: " + "; ".join(sorted(missing)))
        return len(portal_seen)

    def sweep(token, who):
        bad = []
        for route in ctx.door.routes:
            if route.path == "$default" or route.function is None:
                continue
            path = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", route.path)
            method = "GET" if route.method == "ANY" else route.method
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            headers = {"Content-Type": "application/json"} if body else {}
            status, _, _, out = h.call(method, path, body, headers, token=token)
            if status >= 500 or status == 405:
                bad.append(f"{route.key} as {who} -> {status} {out[:120].decode('utf-8', 'replace')}")
        if bad:
            raise Failed("; ".join(bad))

    @step("every route answers a citizen and a clerk (sweep with tokens)",
          needs=["sign in (citizen, code + PKCE)", "sign in (clerk)"])
    def _():
        sweep(citizen(), "citizen")
        sweep(state["sign in (clerk)"], "clerk")

    @step("every route of the template answers (anonymous sweep)")
    def _():
        """Each route the template declares reaches a function that routes it: anonymous,
        with placeholder ids and an empty JSON body, it may be refused (4xx) but never
        fail (5xx) nor be 405 (the function does not route the method the template sends
        it); a route without path parameters answering 404 is reported (not routed by the
        function, or a feature that is off). New functions are swept too."""
        bad = []
        for route in ctx.door.routes:
            if route.path == "$default" or route.function is None:
                continue
            path = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", route.path)
            method = "GET" if route.method == "ANY" else route.method
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            headers = {"Content-Type": "application/json"} if body else {}
            status, _, _, out = h.call(method, path, body, headers)
            if not route.names and status == 404:
                ctx.report.finding(route.function.logical, f"{route.key} answers 404 to an anonymous "
                                   "request (not routed by the function, or a feature that is off)", fails=False)
            if status >= 500 or status == 405:
                bad.append(f"{route.key} -> {status} {out[:120].decode('utf-8', 'replace')}")
        if bad:
            raise Failed("; ".join(bad))

    if state.get("token alg") and ctx.door.authorizers and not state["token alg"].startswith("RS"):
        ctx.report.finding("template HttpApi", f"the JWT authorizer refuses every protected route: access "
                           f"tokens are {state['token alg']}, API Gateway verifies RSA only")
    return state
