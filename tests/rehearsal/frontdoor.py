"""The HTTP API of the template on loopback: its routes (method and path, `{param}`,
`{proxy+}`, `ANY`, `$default`) from the functions' HttpApi events, API Gateway's payload
format 2.0 to the function, its response format back, and the JWT authorizer as API
Gateway documents it when the template configures one.
"""

import base64
import http.server
import json
import re
import threading
import time
import urllib.parse
import urllib.request
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cfn import ACCOUNT, REGION


class Route:
    def __init__(self, method, path, function, auth):
        self.method, self.path, self.function, self.auth = method.upper(), path, function, auth
        self.key = f"{self.method} {path}" if path != "$default" else "$default"
        segments = path.strip("/").split("/") if path not in ("/", "$default") else []
        pattern, self.literals, self.greedy = "", 0, False
        for seg in segments:
            m = re.fullmatch(r"\{([^}+]+)(\+?)\}", seg)
            if m and m.group(2):
                pattern += "/(?P<%s>.+)" % _group(m.group(1))
                self.greedy = True
            elif m:
                pattern += "/(?P<%s>[^/]+)" % _group(m.group(1))
            else:
                pattern += "/" + re.escape(seg)
                self.literals += 1
        self.names = re.findall(r"\{([^}+]+)\+?\}", path)
        self.regex = re.compile("^" + (pattern or "/") + "$")

    def match(self, method, path):
        if self.path == "$default":
            return {}
        if self.method not in ("ANY", method):
            return None
        m = self.regex.match(path)
        if not m:
            return None
        return {n: urllib.parse.unquote(m.group(_group(n))) for n in self.names}

    def rank(self):
        return (self.path == "$default", self.greedy, -self.literals, self.method == "ANY")


def _group(name):
    return "p_" + re.sub(r"\W", "_", name)


def routes_of(stack, functions):
    """(routes, api settings) from every function's HttpApi events."""
    routes, problems = [], []
    apis = {l: stack.resolve(r.get("Properties", {})) for l, r in stack.resources("AWS::Serverless::HttpApi")}
    for logical, res in stack.resources("AWS::Serverless::Function"):
        for ename, ev in (res.get("Properties", {}).get("Events") or {}).items():
            if ev.get("Type") != "HttpApi":
                continue
            p = stack.resolve(ev.get("Properties", {}))
            api = next(iter(apis.values()), {}) if "ApiId" not in p else next(
                (v for l, v in apis.items() if stack.physical.get(l) == p["ApiId"]), {})
            default = (api.get("Auth") or {}).get("DefaultAuthorizer")
            auth = (p.get("Auth") or {}).get("Authorizer", default)
            if auth == "NONE":
                auth = None
            scopes = (p.get("Auth") or {}).get("AuthorizationScopes")
            method, path = p.get("Method", "ANY"), p.get("Path", "$default")
            r = Route(method, path, functions.get(logical), (auth, scopes))
            if any(o.key == r.key for o in routes):
                problems.append(f"route {r.key} is declared twice")
            routes.append(r)
    return routes, apis, problems


class JwtAuthorizer:
    """API Gateway HTTP API's JWT authorizer (developer guide, "Controlling access to HTTP
    APIs with JWT authorizers"): the token from the identity source; the issuer's keys from
    its discovery document; only RSA-based algorithms; `iss` equal to the issuer; `aud` (or
    `client_id` when there is no `aud`) among the audiences; `exp` in the future, `nbf` and
    `iat` in the past; the route's scopes in `scope` or `scp`. Anything else is 401."""

    def __init__(self, name, config):
        self.name = name
        jwt = config.get("JwtConfiguration", {})
        self.issuer = jwt.get("issuer")
        self.audience = jwt.get("audience", [])
        self.source = config.get("IdentitySource", "$request.header.Authorization")
        self.keys = None

    def jwks(self):
        if self.keys is None:
            with urllib.request.urlopen(self.issuer + "/.well-known/openid-configuration", timeout=10) as r:
                uri = json.load(r)["jwks_uri"]
            with urllib.request.urlopen(uri, timeout=10) as r:
                self.keys = json.load(r)["keys"]
        return self.keys

    def check(self, headers, route_scopes):
        """(claims, scopes) or raises ValueError with why it is refused."""
        header = self.source.rsplit(".", 1)[-1].lower()
        value = headers.get(header)
        if not value:
            raise ValueError("no identity source")
        token = value.split(" ", 1)[1] if value.lower().startswith("bearer ") else value
        try:
            h64, p64, s64 = token.split(".")
            head = json.loads(_b64(h64))
            claims = json.loads(_b64(p64))
        except ValueError:
            raise ValueError("not a JWT") from None
        alg = head.get("alg", "")
        if not alg.startswith("RS"):
            raise ValueError(f"alg {alg}: only RSA-based algorithms are supported")
        key = next((k for k in self.jwks() if k.get("kid") == head.get("kid")), None)
        if key is None or key.get("kty") != "RSA":
            raise ValueError("no RSA key with the token's kid")
        public = rsa.RSAPublicNumbers(int.from_bytes(_b64(key["e"]), "big"),
                                      int.from_bytes(_b64(key["n"]), "big")).public_key()
        digest = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[alg]
        try:
            public.verify(_b64(s64), f"{h64}.{p64}".encode(), padding.PKCS1v15(), digest)
        except Exception:
            raise ValueError("bad signature") from None
        now = time.time()
        if claims.get("iss") != self.issuer:
            raise ValueError("iss mismatch")
        aud = claims.get("aud", claims.get("client_id"))
        aud = aud if isinstance(aud, list) else [aud]
        if not set(aud) & set(self.audience):
            raise ValueError("aud mismatch")
        if claims.get("exp", 0) <= now or claims.get("nbf", 0) > now + 1 or claims.get("iat", 0) > now + 1:
            raise ValueError("expired or not yet valid")
        scopes = claims.get("scope", claims.get("scp", ""))
        scopes = scopes.split() if isinstance(scopes, str) else list(scopes)
        if route_scopes and not set(route_scopes) & set(scopes):
            raise ValueError("missing scope")
        return claims, scopes


def _b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded",
              "application/problem+json", "application/javascript")


class FrontDoor:
    def __init__(self, invoke):
        self.routes = []
        self.invoke = invoke  # (function, event) -> (response, error)
        self.api_id = "rehearsal"
        self.authorizers = {}
        self.log = []  # (method, path, route, status, note)
        self.lenient = False
        self.refusals = []
        door = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, out = door.handle(self, body)
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def configure(self, routes, apis):
        self.routes = sorted(routes, key=Route.rank)
        for logical, props in apis.items():
            for name, conf in ((props.get("Auth") or {}).get("Authorizers") or {}).items():
                if "JwtConfiguration" in conf:
                    self.authorizers[name] = JwtAuthorizer(name, conf)

    def handle(self, req, body):
        parsed = urllib.parse.urlsplit(req.path)
        path, raw_query = parsed.path, parsed.query
        method = req.command
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                break
        else:
            self.log.append((method, path, None, 404, "no route"))
            return 404, [("Content-Type", "application/json")], b'{"message":"Not Found"}'
        headers = {}
        for k, v in req.headers.items():
            k = k.lower()
            headers[k] = f"{headers[k]},{v}" if k in headers else v
        authorizer_context = None
        auth_name, scopes = route.auth
        if auth_name:
            authorizer = self.authorizers.get(auth_name)
            if authorizer is None:
                self.log.append((method, path, route.key, 500, f"authorizer {auth_name} not defined"))
                return 500, [("Content-Type", "application/json")], b'{"message":"Internal Server Error"}'
            try:
                claims, token_scopes = authorizer.check(headers, scopes)
            except ValueError as e:
                self.refusals.append((route.key, str(e)))
                if self.lenient:
                    claims, token_scopes = {}, []
                else:
                    self.log.append((method, path, route.key, 401, f"JWT authorizer: {e}"))
                    return 401, [("Content-Type", "application/json"),
                                 ("www-authenticate", 'Bearer')], b'{"message":"Unauthorized"}'
            authorizer_context = {"jwt": {"claims": {k: (v if isinstance(v, str) else json.dumps(v))
                                                     for k, v in claims.items()},
                                          "scopes": token_scopes or None}}
        if route.function is None:
            return 500, [], b'{"message":"Internal Server Error"}'
        event = self.event(method, path, raw_query, headers, body, route, params,
                           req.client_address[0], authorizer_context)
        # Lambda takes at most 6 MB in a synchronous invocation's event and its response;
        # API Gateway answers 413 and 500 beyond them.
        if len(json.dumps(event)) > LAMBDA_PAYLOAD_LIMIT:
            self.log.append((method, path, route.key, 413, "the event exceeds Lambda's 6 MB"))
            return 413, [("Content-Type", "application/json")], b'{"message":"Request Entity Too Large"}'
        response, error = self.invoke(route.function, event)
        if not error and len(json.dumps(response)) > LAMBDA_PAYLOAD_LIMIT:
            error = "the function's response exceeds Lambda's 6 MB"
        if error:
            self.log.append((method, path, route.key, 500, error))
            return 500, [("Content-Type", "application/json")], b'{"message":"Internal Server Error"}'
        status, out_headers, out = self.response(response)
        self.log.append((method, path, route.key, status, ""))
        return status, out_headers, out

    def event(self, method, path, raw_query, headers, body, route, params, source_ip, authorizer):
        query = {}
        for k, v in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
            query[k] = f"{query[k]},{v}" if k in query else v
        cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
        ctype = headers.get("content-type", "")
        text = any(ctype.startswith(t) for t in TEXT_TYPES)
        try:
            decoded = body.decode("utf-8") if text else None
        except UnicodeDecodeError:
            decoded = None
        host = headers.get("host", f"127.0.0.1:{self.port}")
        headers.update({"x-forwarded-for": source_ip, "x-forwarded-port": str(self.port),
                        "x-forwarded-proto": "http",
                        "x-amzn-trace-id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"})
        now = time.time()
        event = {
            "version": "2.0", "routeKey": route.key, "rawPath": path, "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT, "apiId": self.api_id, "domainName": host.split(":")[0],
                "domainPrefix": host.split(".")[0], "requestId": uuid.uuid4().hex[:16],
                "routeKey": route.key, "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
            },
            "isBase64Encoded": False,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        if authorizer:
            event["requestContext"]["authorizer"] = authorizer
        if body:
            if decoded is None:
                event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
            else:
                event["body"] = decoded
        return event

    def response(self, r):
        """API Gateway's reading of a payload 2.0 response."""
        if not isinstance(r, dict) or "statusCode" not in r:
            return 200, [("Content-Type", "application/json")], json.dumps(r).encode()
        body = r.get("body") or ""
        out = base64.b64decode(body) if r.get("isBase64Encoded") else body.encode()
        headers = [(k, v) for k, v in (r.get("headers") or {}).items()]
        for k, vs in (r.get("multiValueHeaders") or {}).items():
            headers += [(k, v) for v in vs]
        headers += [("Set-Cookie", c) for c in r.get("cookies") or []]
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        return int(r["statusCode"]), headers, out
