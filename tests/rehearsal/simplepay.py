"""A SimplePay v2 sandbox double: `POST /v2/start` (signed both ways, HMAC-SHA384 of the
raw body in the `Signature` header, as SimplePay documents it), a payment page the
journey "pays" on, which then sends the signed IPN to the merchant's notification URL
and redirects the payer to the back URL with SimplePay's `r` and `s`.
"""

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.parse
import urllib.request


class SimplePayDouble:
    def __init__(self, merchant, secret):
        self.merchant, self.secret = merchant, secret.encode()
        self.transactions = {}
        self.next_id = 501000000
        self.ipn_url = None  # set by the rehearsal: the front door's /payments/simplepay/ipn
        self.log = []
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def reply(self, status, body, headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.rstrip("/").endswith("/v2/start"):
                    status, out = double.start(body, self.headers.get("Signature"))
                    return self.reply(status, out, [("Content-Type", "application/json"),
                                                    ("Signature", double.sign(out))])
                self.reply(404, b"{}")

            def do_GET(self):
                # /pay/<transaction>?outcome=FINISHED: the card form, already filled in.
                parsed = urllib.parse.urlsplit(self.path)
                if parsed.path.startswith("/pay/"):
                    tx = parsed.path.rsplit("/", 1)[1]
                    outcome = dict(urllib.parse.parse_qsl(parsed.query)).get("outcome", "FINISHED")
                    location = double.pay(tx, outcome)
                    return self.reply(302, b"", [("Location", location)])
                self.reply(404, b"")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/payment"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, body):
        return base64.b64encode(hmac.new(self.secret, body, hashlib.sha384).digest()).decode()

    def start(self, body, signature):
        if not signature or not hmac.compare_digest(signature, self.sign(body)):
            self.log.append("start refused: bad signature")
            return 200, json.dumps({"errorCodes": [5321]}).encode()
        req = json.loads(body)
        if req.get("merchant") != self.merchant:
            return 200, json.dumps({"errorCodes": [5201]}).encode()
        self.next_id += 1
        tx = str(self.next_id)
        self.transactions[tx] = req
        self.log.append(f"start {req.get('orderRef')} {req.get('total')} {req.get('currency')}")
        return 200, json.dumps({
            "salt": req["salt"], "merchant": self.merchant, "orderRef": req["orderRef"],
            "currency": req["currency"], "transactionId": int(tx),
            "timeout": req.get("timeout"), "total": req["total"],
            "paymentUrl": self.url.rsplit("/payment", 1)[0] + f"/pay/{tx}",
        }).encode()

    def pay(self, tx, outcome):
        req = self.transactions[tx]
        ipn = json.dumps({
            "salt": "0" * 32, "orderRef": req["orderRef"], "method": "CARD",
            "merchant": self.merchant,
            "finishDate": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "paymentDate": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "transactionId": int(tx), "status": outcome,
        }).encode()
        request = urllib.request.Request(self.ipn_url, data=ipn, method="POST", headers={
            "Content-Type": "application/json", "Signature": self.sign(ipn)})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                answer = r.read()
                ok = hmac.compare_digest(r.headers.get("Signature", ""), self.sign(answer))
                self.log.append(f"IPN {tx} {outcome}: {r.status}, acknowledgement signed: {ok}")
                self.ipn_result = (r.status, ok)
        except urllib.error.HTTPError as e:
            self.log.append(f"IPN {tx} {outcome}: {e.code} {e.read()[:300]!r}")
            self.ipn_result = (e.code, False)
        event = {"FINISHED": "SUCCESS", "NOTAUTHORIZED": "FAIL", "CANCELLED": "CANCEL",
                 "TIMEOUT": "TIMEOUT"}.get(outcome, "FAIL")
        r_json = json.dumps({"r": 0, "t": int(tx), "e": event, "m": self.merchant,
                             "o": req["orderRef"]}).encode()
        query = urllib.parse.urlencode({"r": base64.b64encode(r_json).decode(), "s": self.sign(r_json)})
        url = req["url"]
        return url + ("&" if "?" in url else "?") + query
