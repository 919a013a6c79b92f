"""What an operator does to a fresh stack, with `varoskapu-aws` (README "Deploy to AWS"):
bootstrap (the first administrator, the case types and the portal function's client, run
twice), a client for the API journey and the office screens', a clerk and a signatory (her authenticator app on), the offices.

The case types are the ones the local demo folder was seeded with (`varoskapu case-types
list --json`), so the journey's case types exist; the offices are written here.
"""

import json
import os
import re
import secrets
import subprocess

import aws
from cfn import REGION

OFFICES = {
    "offices": [{
        "id": "okmanyiroda", "name": "Okmányiroda",
        "address": {"postal_code": "1051", "city": "Budapest", "street": "Erzsébet tér 5."},
        "opening_hours": {d: [{"start": "08:00:00", "end": "16:00:00"}] for d in
                          ("monday", "tuesday", "wednesday", "thursday", "friday")},
    }],
    "desks": [{
        "id": "ablak-1", "office_id": "okmanyiroda", "desk": "1. ablak", "name": "Próba Ügyintéző",
        "working_hours": {d: [{"start": "08:00:00", "end": "16:00:00"}] for d in
                          ("monday", "tuesday", "wednesday", "thursday", "friday")},
    }],
    "services": [{
        "id": "lakcimkartya", "office_id": "okmanyiroda", "name": "Lakcímkártya",
        "duration_minutes": 15, "clerk_ids": ["ablak-1"], "max_open_bookings": 2,
        "cut_off_minutes": 120,
    }],
}


class OperatorError(Exception):
    pass


def command(ctx, cli):
    """The command line and environment of `varoskapu-aws` against the rehearsed stack,
    its resources named as options (there is no CloudFormation to read them from)."""
    physical = ctx.stack.physical
    table = next(physical[l] for l, _ in ctx.stack.resources("AWS::DynamoDB::Table"))
    base = [cli, "--table", table, "--endpoint-url", ctx.aws.url, "--region", REGION]
    for option, logical in (("--documents-bucket", "DocumentsBucket"), ("--uploads-bucket", "UploadsBucket"),
                            ("--document-signing-key", "DocumentSigningKey"),
                            ("--token-signing-key", "TokenSigningKey")):
        if logical in physical:
            base += [option, str(physical[logical])]
    env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": aws.ADMIN_KEY,
           "AWS_SECRET_ACCESS_KEY": "rehearsal", "AWS_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"}
    return base, env


def start(ctx, cli, *args):
    """`varoskapu-aws ARGS` started, for a command that waits on the stack (its output
    read with `communicate`)."""
    base, env = command(ctx, cli)
    return subprocess.Popen(base + list(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def bootstrap(ctx, cli, folder):
    """Returns the journey's people: {'portal': client, 'office': client, 'clerk': (email,
    password), 'signatory': (email, password, totp secret)}."""
    stack = ctx.stack
    physical = stack.physical
    base, env = command(ctx, cli)

    def run(*args, stdin=None):
        done = subprocess.run(base + list(args), env=env, input=stdin, capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise OperatorError(f"varoskapu-aws {' '.join(args[:3])}: {(done.stderr or done.stdout)[-500:]}")
        return done.stdout

    # The municipality's catalogue: here, the demo's.
    exported = subprocess.run([ctx.local.binary, "--data-dir", ctx.local.folder, "case-types", "list", "--json"],
                              capture_output=True, text=True, timeout=60)
    if exported.returncode != 0:
        raise OperatorError(f"varoskapu case-types list --json: {exported.stderr[-300:]}")
    catalogue = os.path.join(folder, "case-types.json")
    with open(catalogue, "w") as f:
        f.write(exported.stdout)
    offices = os.path.join(folder, "offices.json")
    with open(offices, "w") as f:
        json.dump(OFFICES, f)

    admin_password = "Rehearsal-admin-" + secrets.token_urlsafe(12)
    # Without --stack the CLI is told the portal's secret and URL (the stack's issuer, which
    # on loopback is the front door), as it would read them from the stack.
    portal_secret = next((physical[l] for l, _ in stack.resources("AWS::SecretsManager::Secret")
                          if l == "PortalClientSecret"), None)
    portal = ["--portal-client-secret", portal_secret, "--portal-url", ctx.door.url] if portal_secret else []
    # The office screens' secret likewise (they are served by the same API at /office).
    office_secret = next((physical[l] for l, _ in stack.resources("AWS::SecretsManager::Secret")
                          if l == "OfficeClientSecret"), None)
    if office_secret:
        portal += ["--office-client-secret", office_secret]
    bootstrap_args = ["bootstrap", "--admin-email", "admin@rehearsal.varoskapu.test", "--case-types", catalogue,
                      "--password-stdin"]
    first = run(*(portal + bootstrap_args), stdin=admin_password + "\n")
    if portal_secret:
        if "portal client ugyfelkapu registered" not in first:
            raise OperatorError(f"bootstrap did not register the portal's client: {first[-400:]}")
        if office_secret and "office client ugyintezokapu registered" not in first:
            raise OperatorError(f"bootstrap did not register the office's client: {first[-400:]}")
        # Safe to run again: the client stays as it is, the secret is not rotated.
        before = ctx.aws.client("secretsmanager").get_secret_value(SecretId=portal_secret)["SecretString"]
        again = run(*(portal + bootstrap_args), stdin=admin_password + "\n")
        after = ctx.aws.client("secretsmanager").get_secret_value(SecretId=portal_secret)["SecretString"]
        if "portal client ugyfelkapu is registered already" not in again or before != after:
            raise OperatorError(f"a second bootstrap changed the portal's client or secret: {again[-400:]}")
    run("offices", "import", offices)

    def client(name, redirect, scopes):
        out = run("clients", "add", "--name", name, "--redirect-uri", redirect, "--first-party",
                  "--scope", scopes, "--json")
        doc = json.loads(out.strip().splitlines()[-1])
        return (doc["client_id"], doc["client_secret"], redirect, scopes)

    people = {
        "portal": client("Ügyfélkapu", "http://127.0.0.1:8083/callback",
                         "openid profile email offline_access cases payments appointments"),
        "office": client("Ügyintézőkapu", "http://127.0.0.1:8084/callback",
                         "openid profile email offline_access backoffice backoffice:approve crm crm:export"),
    }
    clerk = ("ugyintezo@rehearsal.varoskapu.test", "Rehearsal-clerk-" + secrets.token_urlsafe(12))
    run("users", "add", "--email", clerk[0], "--name", "Próba Ügyintéző", "--role", "clerk",
        "--password-stdin", stdin=clerk[1] + "\n")
    signatory = ("kiadmanyozo@rehearsal.varoskapu.test", "Rehearsal-sign-" + secrets.token_urlsafe(12))
    run("users", "add", "--email", signatory[0], "--name", "Próba Kiadmányozó", "--role", "clerk",
        "--role", "signatory", "--password-stdin", stdin=signatory[1] + "\n")
    uri = run("users", "totp", "--email", signatory[0])
    m = re.search(r"secret=([A-Z2-7]+)", uri)
    if not m:
        raise OperatorError(f"users totp printed no secret: {uri[:200]}")
    citizen = ("polgar@rehearsal.varoskapu.test", "Rehearsal-citizen-" + secrets.token_urlsafe(12))
    run("users", "add", "--email", citizen[0], "--name", "Próba Polgár", "--role", "citizen",
        "--password-stdin", stdin=citizen[1] + "\n")
    people["citizen"] = citizen
    people["clerk"] = clerk
    people["signatory"] = signatory + (m.group(1),)
    return people
