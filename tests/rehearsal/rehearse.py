#!/usr/bin/env python3
"""The deploy rehearsal: what template.yaml creates, on moto, with every function of the
template started as its binary the way Lambda would, and a journey through the HTTP API.

1. The template is read (short-form tags, parameters from their defaults,
   samconfig.toml's default `parameter_overrides` and the rehearsal's own, conditions,
   Ref/GetAtt/Sub/If/Join/Select/Split, dynamic references).
2. Its DynamoDB tables, S3 buckets (versioning, Object Lock default retention,
   encryption, lifecycle, CORS, policies), KMS keys and aliases, Secrets Manager
   secrets, SSM parameters, SES identities and IAM managed policies are created on moto
   from their resolved properties.
3. Every AWS::Serverless::Function is started as `target/<profile>/<Binary>`
   (`Metadata.BuildProperties.Binary`) with exactly the environment the template resolves
   for it (Globals, then the function's variables) plus what Lambda sets, against a
   Lambda Runtime API emulator, its AWS calls going through an IAM gate that checks them
   against the function's template policies.
4. An HTTP API on loopback is built from the functions' HttpApi events (with the JWT
   authorizer when the template configures one) and a journey runs through it
   (tests/rehearsal/journey.py).

It fails on any start-up failure, any call IAM refuses and any unexpected status; it also
lists the granted actions no call used. Findings are appended to
/tmp/rehearsal/findings.md (one line each; function, what, evidence).

    cargo build -p varoskapu-lambda --bins && cargo build -p varoskapu-local --bin varoskapu
    .venv/bin/python tests/rehearsal/rehearse.py [--target target/debug] [--keep-logs]
"""

import argparse
import concurrent.futures
import datetime
import os
import pathlib
import re
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import aws  # noqa: E402
import cfn  # noqa: E402
import frontdoor  # noqa: E402
import iam  # noqa: E402
import lambdas  # noqa: E402
from simplepay import SimplePayDouble  # noqa: E402

FINDINGS = pathlib.Path(os.environ.get("VAROSKAPU_REHEARSAL_FINDINGS", "/tmp/rehearsal/findings.md"))
ENV_LIMIT = 4096  # Lambda: 4 KB for all of a function's environment variables


class Report:
    def __init__(self):
        self.findings = []  # (function, what, evidence)
        self.unrecorded = []  # failures of the rehearsal's own set-up
        self.notes = []
        self.failures = 0
        self.names = {}  # physical name -> <Logical>, so findings read the same every run

    def finding(self, function, what, evidence="", fails=True, record=True, quiet=False):
        line = (function, what, evidence)
        if line not in self.findings and line not in self.unrecorded:
            (self.findings if record else self.unrecorded).append(line)
            if fails:
                self.failures += 1
            if not quiet:
                print(f"  FINDING {function}: {what}" + (f" ({evidence})" if evidence else ""))

    def note(self, text):
        self.notes.append(text)
        print(f"  note: {text}")

    def write(self):
        FINDINGS.parent.mkdir(parents=True, exist_ok=True)
        existing = FINDINGS.read_text() if FINDINGS.exists() else ""
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        new = []
        for function, what, evidence in self.findings:
            body = f"{function} — {what}" + (f" — {evidence}" if evidence else "")
            for physical, logical in sorted(self.names.items(), key=lambda kv: -len(kv[0])):
                body = body.replace(physical, f"<{logical}>")
            body = __import__("re").sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", body)
            body = " ".join(body.split())[:900]
            if body not in existing:
                new.append(f"- [{stamp}] {body}\n")
        if new:
            with FINDINGS.open("a") as f:
                if not existing:
                    f.write("# Deploy rehearsal findings (tests/rehearsal/rehearse.py)\n\n")
                f.writelines(new)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default=str(ROOT / "template.yaml"))
    parser.add_argument("--samconfig", default=str(ROOT / "samconfig.toml"))
    parser.add_argument("--target", default=str(ROOT / "target/debug"))
    parser.add_argument("--local-binary", default=None,
                        help="the local varoskapu binary that makes the seed (default TARGET/varoskapu)")
    parser.add_argument("--source", default=str(ROOT),
                        help="the checkout the binaries were built from (for the settings check)")
    parser.add_argument("--logs", default=None, help="folder for the functions' logs")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="a deployment's parameter on top of samconfig.toml's (repeatable), "
                             "e.g. EdgeProtection=on EdgeTrustedProxies=127.0.0.1/32")
    parser.add_argument("--past-the-authorizer", action="store_true",
                        help="diagnosis only: let the JWT authorizer pass every token (its "
                             "refusals are still reported) to see what lies behind it")
    parser.add_argument("--past-iam", action="store_true",
                        help="diagnosis only: let refused AWS calls through (each refusal is "
                             "still reported), to find every missing permission in one run")
    args = parser.parse_args()
    t_start = time.monotonic()
    report = Report()
    logs = args.logs or tempfile.mkdtemp(prefix="varoskapu-rehearsal-")
    os.makedirs(logs, exist_ok=True)
    print(f"== deploy rehearsal (function logs in {logs})")

    # The loopback services the template's URLs must point at.
    functions = {}
    invoke = lambda fn, event: fn.invoke(event, lambda: start(fn))  # noqa: E731
    door = frontdoor.FrontDoor(invoke)
    emulated = aws.EmulatedAws()
    emulated.gate.lenient = args.past_iam
    if args.past_iam or args.past_the_authorizer:
        print("  DIAGNOSIS MODE: " + ", ".join(n for n, on in (
            ("refused AWS calls go through", args.past_iam),
            ("the JWT authorizer passes every token", args.past_the_authorizer)) if on))

    template = cfn.load(args.template)
    samconfig = cfn.samconfig_overrides(args.samconfig)
    # What a deployment must be given that a rehearsal can only give on loopback: the
    # provider's URL is the front door's (plain http: the functions' HTTP client trusts
    # only the public web PKI, so no loopback certificate could be trusted), the SES
    # sender exercises the notices, the merchant points card payments at the double.
    rehearsal = {
        "TokenIssuerUrl": door.url,
        "NotificationSender": "ertesites@rehearsal.varoskapu.test",
        "SimplePayMerchant": "REHEARSALHUF",
    }
    params = template.get("Parameters", {})
    if "SimplePayUrl" in params:
        rehearsal["SimplePayUrl"] = "http://127.0.0.1:1/payment"  # replaced below
    rehearsal = {k: v for k, v in rehearsal.items() if k in params}
    for given in args.parameter:
        name, _, value = given.partition("=")
        if name not in params:
            report.finding("rehearsal", f"--parameter {name}: the template has no such parameter", record=False)
            return 1
        rehearsal[name] = value
    values, problems = cfn.bind_parameters(template, samconfig, rehearsal)
    for p in cfn.bind_parameters(template, samconfig)[1]:
        report.finding("template/samconfig.toml", "`sam deploy` with the shipped samconfig.toml: " + p,
                       "samconfig default parameter_overrides: " + (", ".join(samconfig) or "none"))
    for p in problems:
        if any(p.startswith(f"parameter {k}=") for k in rehearsal):
            report.note(f"rehearsal override outside the template's pattern (loopback): {p}")
        elif "no default" not in p:
            report.finding("template", p)
        else:
            report.finding("template", p, "the rehearsal cannot deploy without it", fails=True)
    stack = cfn.Stack(template, values)
    provisioner = aws.Provisioner(emulated, stack)
    try:
        provisioner.run()
    except cfn.Unsupported as e:
        report.finding("template", "the rehearsal cannot create the stack", str(e))
        report.write()
        return 1
    for logical, value in stack.physical.items():
        if len(str(value)) > 8 and str(value) not in report.names:
            report.names[str(value)] = logical
    print(f"  created on moto: " + ", ".join(sorted(
        f"{l}" for l, r in stack.resources() if r["Type"] in aws.Provisioner.EMULATED)))
    if provisioner.not_emulated:
        report.note("not emulated: " + ", ".join(provisioner.not_emulated))

    # SimplePay: the merchant secret the operator stores in the template's secret.
    simplepay = None
    secret_arn = next((stack.physical[l] for l, r in stack.resources("AWS::SecretsManager::Secret")
                       if "SimplePay" in l), None)
    if secret_arn and "SimplePayUrl" in params:
        merchant_secret = "rehearsal-merchant-secret-" + aws._suffix(16)
        emulated.client("secretsmanager").put_secret_value(SecretId=secret_arn, SecretString=merchant_secret)
        simplepay = SimplePayDouble(values.get("SimplePayMerchant", ""), merchant_secret)
        stack.params["SimplePayUrl"] = simplepay.url
        simplepay.ipn_url = door.url + "/payments/simplepay/ipn"

    # The local demo server: the seed's source and the timestamp authority.
    import journey
    try:
        local = journey.LocalServer(args.local_binary or str(pathlib.Path(args.target) / "varoskapu"), logs)
    except journey.Failed as e:
        report.finding("rehearsal", str(e), record=False)
        return 1

    # The functions.
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    startup = {}

    def start(fn):
        extra = {"VAROSKAPU_AWS_ENDPOINT_URL": emulated.url, "AWS_ENDPOINT_URL": emulated.url}
        if os.environ.get("VAROSKAPU_REHEARSAL_RUST_LOG"):  # diagnosis: the functions' log level
            extra["RUST_LOG"] = os.environ["VAROSKAPU_REHEARSAL_RUST_LOG"]
        failure = fn.start(extra, fn.access_key)
        return failure

    def resolve_env(logical, props):
        env = {}
        for source in (globals_, props):
            try:
                env.update(stack.resolve(((source.get("Environment") or {}).get("Variables")) or {}))
            except cfn.Unsupported as e:
                report.finding(logical, "environment cannot be resolved", str(e))
        env = {k: str(v) for k, v in env.items()}
        size = lambdas.environment_size(env)
        if size > ENV_LIMIT:
            report.finding(logical, f"environment is {size} bytes, over Lambda's 4 KB limit",
                           "largest: " + ", ".join(f"{k} ({len(v)} B)" for k, v in
                                                   sorted(env.items(), key=lambda kv: -len(kv[1]))[:3]))
        return env, size

    for logical, res in stack.resources("AWS::Serverless::Function"):
        props = res.get("Properties", {})
        binary = ((res.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
        if not binary:
            report.finding(logical, "no Metadata.BuildProperties.Binary: which binary is it?")
            continue
        path = pathlib.Path(args.target) / binary
        if not path.exists():
            report.finding(logical, f"binary {binary} is not built", str(path), record=False)
            continue
        env, size = resolve_env(logical, props)
        timeout = int(props.get("Timeout", globals_.get("Timeout", 3)))
        memory = int(props.get("MemorySize", globals_.get("MemorySize", 128)))
        lambda_configuration(logical, props, env, timeout, memory, report)
        statements, notes = iam.function_statements(stack, props, provisioner.managed_policies)
        for n in notes:
            report.note(f"{logical}: {n}")
        name = stack.physical[logical]
        principal = aws.Principal(logical, name, statements, notes)
        emulated.gate.principals[principal.access_key] = principal
        fn = lambdas.Function(logical, name, stack.attrs[logical]["Arn"], str(path), env,
                              timeout, memory, logs)
        fn.access_key = principal.access_key
        fn.principal = principal
        fn.env_size = size
        fn.props = props
        functions[logical] = fn

    def start_all(which, deploy):
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            for fn, failure in zip(which, pool.map(start, which)):
                startup[fn.logical] = failure
        for fn in which:
            if startup[fn.logical]:
                report.finding(fn.logical, f"exits at start-up ({deploy})", startup[fn.logical])
            else:
                print(f"  {fn.logical:32} started in {fn.start_ms:6.0f} ms  (environment {fn.env_size} B)")

    gate_self_check(emulated, stack, functions, report)
    start_all(list(functions.values()), "first deploy")
    secrets_at_start_up(emulated, stack, functions, start, logs, report)

    # The README's first deploy: the signing chain can only be issued for the KMS key the
    # first deploy created. The municipality's CA certifies it and the operator installs
    # the chain: into the SSM parameter the functions are told of (with `varoskapu-aws
    # documents install-chain` when it is built), or, in a template that still takes it
    # as a parameter, by deploying again with it; a timestamp authority likewise.
    key = next((l for l, r in stack.resources("AWS::KMS::Key") if "DocumentSigning" in l), None)
    chain_parameter = next((fn.env["VAROSKAPU_SIGNING_CHAIN_PARAMETER"] for fn in functions.values()
                            if fn.env.get("VAROSKAPU_SIGNING_CHAIN_PARAMETER")), None)
    operator_steps = []
    if key and chain_parameter:
        operator_steps.append(("the signing chain in SSM " + chain_parameter,
                               lambda: install_chain(emulated, stack, key, chain_parameter, args, report)))
    elif key and "DocumentSigningCertificateChain" in params and not stack.params.get("DocumentSigningCertificateChain"):
        operator_steps.append(("DocumentSigningCertificateChain", lambda: stack.params.__setitem__(
            "DocumentSigningCertificateChain", journey.issue_signing_chain(emulated, stack.physical[key]))))
    if "TimestampAuthorityUrl" in params and not stack.params.get("TimestampAuthorityUrl"):
        operator_steps.append(("TimestampAuthorityUrl", lambda: stack.params.__setitem__(
            "TimestampAuthorityUrl", local.url + "/tsa")))
    for what, act in operator_steps:
        act()
        print(f"\n== deploy again with {what} (the operator's next step)")
        again = []
        for logical, fn in functions.items():
            env, size = resolve_env(logical, fn.props)
            # New execution environments (a deployment replaces them all): what failed,
            # what changed, and what reads the chain once per environment.
            if env != fn.env or startup[logical] or "VAROSKAPU_SIGNING_CHAIN_PARAMETER" in env:
                fn.env, fn.env_size = env, size
                fn.stop_process()
                again.append(fn)
        start_all(again, f"deploy with {what}")

    settings_read_and_set(functions, template, pathlib.Path(args.source), report)

    routes, apis, route_problems = frontdoor.routes_of(stack, functions)
    for p in route_problems:
        report.finding("template HttpApi", p)
    door.configure(routes, apis)
    door.lenient = args.past_the_authorizer
    print(f"  HTTP API on {door.url}: {len(routes)} routes"
          + (f", JWT authorizers: {', '.join(door.authorizers)}" if door.authorizers else ", no JWT authorizer"))

    # The journey.
    ctx = journey.Context(door=door, aws=emulated, stack=stack, functions=functions,
                          simplepay=simplepay, report=report, root=ROOT, local=local, logs=logs,
                          operator_cli=str(pathlib.Path(args.target) / "varoskapu-aws"))
    try:
        journey.run(ctx)
    finally:
        for fn in functions.values():
            fn.stop()
        local.stop()

    # How long an invocation keeps an execution environment busy: with a route's request
    # rate, what a function's reserved concurrency must hold (README, "Security of the AWS
    # stack"). A debug build's times are an upper bound; Argon2 is optimised even there.
    print("\n== invocations per function (warm, on loopback): count, median and longest ms (its route)")
    for logical, fn in functions.items():
        if fn.durations_ms:
            d = sorted(fn.durations_ms)
            print(f"  {logical:32} {len(d):4}  {d[len(d) // 2]:8.1f}  {d[-1]:8.1f}  ({fn.longest[1]})")

    # Every call the gate decided, for reading after the run.
    with open(os.path.join(logs, "aws-calls.jsonl"), "w") as f:
        for logical, action, resource, allowed, reason, statement, keys in emulated.gate.calls:
            f.write(__import__("json").dumps({
                "function": logical, "action": action, "resource": resource, "allowed": allowed,
                "reason": reason, "statement": (statement or {}).get("Sid"), "items": sorted(keys)}) + "\n")
    print(f"  {len(emulated.gate.calls)} AWS calls decided (logged in {logs}/aws-calls.jsonl)")

    # What IAM refused, what was granted and never used.
    refused = [c for c in emulated.gate.calls if not c[3]]
    seen = set()
    for logical, action, resource, _, reason, _, keys in refused:
        where = f" (items {', '.join(sorted(keys))})" if keys else ""
        # Object keys by their prefix: content-addressed names differ every run.
        resource = re.sub(r"/(?:[0-9a-f]{32,}|[0-9a-f-]{36})(?=/|$)", "/*", resource)
        if (logical, action, resource) in seen:
            continue
        seen.add((logical, action, resource))
        report.finding(logical, f"IAM refuses {action} on {resource}{where}", reason)
    unused = unused_grants(functions, emulated.gate.calls)
    complete = all(r == "ok" for _, r in ctx.results)
    print("\n== granted actions no call used (least privilege)"
          + ("" if complete else ": provisional, the journey did not complete"))
    for logical, lines in unused.items():
        for line in lines:
            print(f"  {logical}: {line}")
            if complete:
                report.finding(logical, f"least privilege: {line} in the journey", fails=False, quiet=True)
    for d in emulated.gate.moto_differences:
        report.note(d)
    print("\n== front door: unexpected answers")
    for method, path, route, status, note in door.log:
        if status >= 500 or note:
            print(f"  {method} {path} [{route}] -> {status} {note[:300]}")
    report.write()
    took = time.monotonic() - t_start
    print(f"\n== rehearsal: {report.failures} failing finding(s), {len(report.findings) + len(report.unrecorded)} in all, "
          f"{took:.0f} s; findings appended to {FINDINGS}")
    if not report.failures and not args.logs:
        import shutil
        shutil.rmtree(logs, ignore_errors=True)  # kept only when something failed
    return 1 if report.failures else 0


# Lambda's reserved environment variables: a function that sets one is refused at deploy.
RESERVED = {"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
            "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}


def lambda_configuration(logical, props, env, timeout, memory, report):
    """What Lambda and API Gateway refuse or cut at deploy and run time."""
    for key in env:
        if key in RESERVED:
            report.finding(logical, f"sets the reserved environment variable {key} (Lambda refuses the deploy)")
        elif not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]+", key):
            report.finding(logical, f"environment variable name {key!r} is not valid for Lambda")
    if not 1 <= timeout <= 900:
        report.finding(logical, f"Timeout {timeout} s is outside Lambda's 1-900 s")
    if not 128 <= memory <= 10240:
        report.finding(logical, f"MemorySize {memory} MB is outside Lambda's 128-10240 MB")
    events = (props.get("Events") or {}).values()
    if timeout > 30 and any(e.get("Type") == "HttpApi" for e in events):
        report.finding(logical, f"Timeout {timeout} s: API Gateway's HTTP API gives up after 30 s",
                       fails=False)


def secrets_at_start_up(emulated, stack, functions, start, logs, report):
    """Secrets are not configuration: no function's environment holds a secret's value;
    a function told of a secret (`VAROSKAPU_*_SECRET_ARN`) read it from Secrets Manager at
    start-up through the gate, and refuses to start, naming the setting, without the
    setting or with another secret (which its role may not read and which does not exist)."""
    values = {}
    for logical, _ in stack.resources("AWS::SecretsManager::Secret"):
        arn = stack.physical[logical]
        values[arn] = emulated.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    for fn in functions.values():
        for var, value in fn.env.items():
            if any(secret and secret in value for secret in values.values()):
                report.finding(fn.logical, f"{var} holds a secret's value in the function's configuration")
    told = [(fn, var) for fn in functions.values() for var in sorted(fn.env)
            if var.startswith("VAROSKAPU_") and var.endswith("_SECRET_ARN")]
    for fn, var in told:
        read = [c for c in emulated.gate.calls if c[0] == fn.logical
                and c[1] == "secretsmanager:GetSecretValue" and c[2] == fn.env[var]]
        if not any(c[3] for c in read):
            report.finding(fn.logical, f"did not read {var}'s secret from Secrets Manager at start-up",
                           f"GetSecretValue calls on {fn.env[var]}: {len(read)}, allowed: {sum(c[3] for c in read)}")
        missing_arn = fn.env[var].rsplit(":", 1)[0] + ":never-created-AbCdEf"
        for what, env in (("without it", {k: v for k, v in fn.env.items() if k != var}),
                          ("with a secret it may not read", {**fn.env, var: missing_arn})):
            probe = lambdas.Function(f"{fn.logical}-refusal", fn.name, fn.arn, fn.binary, env,
                                     fn.timeout, fn.memory, logs)
            probe.access_key = fn.access_key
            decided = len(emulated.gate.calls)
            failure = start(probe)
            probe.stop()
            if failure is not None:
                with open(probe.log_path, "rb") as log:
                    log.seek(probe.log_offset)
                    failure += " " + log.read().decode("utf-8", "replace")
            # The probe's calls (a refused read among them) are not the function's journey.
            with emulated.gate.record_lock:
                del emulated.gate.calls[decided:]
            if failure is None:
                report.finding(fn.logical, f"starts {what} ({var})")
            elif var not in failure:
                report.finding(fn.logical, f"refuses to start {what} ({var}) without naming it", failure[:300])
            else:
                print(f"  {fn.logical:32} refuses to start {what}: names {var}")
    if not told:
        report.finding("template", "no function is told of a secret (VAROSKAPU_*_SECRET_ARN)")


def gate_self_check(emulated, stack, functions, report):
    """The gate stands in every function's way: with each function's credentials, a call no
    Városkapu policy grants (deleting the table) must be refused as AWS refuses it."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
    table = next((stack.physical[l] for l, _ in stack.resources("AWS::DynamoDB::Table")), None)
    if table is None:
        return
    for fn in functions.values():
        client = boto3.client("dynamodb", endpoint_url=emulated.url, region_name=cfn.REGION,
                              aws_access_key_id=fn.access_key, aws_secret_access_key="rehearsal",
                              aws_session_token="rehearsal-session", config=Config(retries={"max_attempts": 1}))
        try:
            client.delete_table(TableName=table)
            report.finding("rehearsal", f"the IAM gate let {fn.logical} delete the table", record=False)
        except ClientError as e:
            if e.response["Error"]["Code"] != "AccessDeniedException":
                report.finding("rehearsal", f"the IAM gate answered {fn.logical}'s canary with "
                               f"{e.response['Error']['Code']}", record=False)
    # The canaries are not calls of the code.
    emulated.gate.calls.clear()


# Settings the function binaries may read that no deployment sets on purpose.
NOT_FOR_LAMBDA = {"VAROSKAPU_AWS_ENDPOINT_URL", "VAROSKAPU_JWKS_URI", "VAROSKAPU_TRUSTED_PROXIES",
                  # Secret values the local server reads; on Lambda the *_SECRET_ARN settings.
                  "VAROSKAPU_EID_CLIENT_SECRET", "VAROSKAPU_SIMPLEPAY_SECRET",
                  "VAROSKAPU_PORTAL_CLIENT_SECRET"}


def settings_read_and_set(functions, template, source, report):
    """The VAROSKAPU_* settings named in the code the Lambda binaries link, against those
    the template sets: set but never named is a setting no code reads; named but set for
    no function falls back to its default (report lines, not failures)."""
    named = set()
    for folder in ("functions", "idp", "infra/aws", "infra/lambda", "infra/documents"):
        for path in (source / folder).rglob("*.rs"):
            if "/tests/" in str(path):
                continue
            named |= set(re.findall(r'"(VAROSKAPU_[A-Z0-9_]+)"', path.read_text(errors="replace")))
    named -= {"VAROSKAPU_SURELY_NOT_SET"}
    # Every variable the template names, whichever condition holds.
    mentioned = set(((template.get("Globals") or {}).get("Function") or {}).get(
        "Environment", {}).get("Variables", {}))
    for res in template.get("Resources", {}).values():
        if res.get("Type") == "AWS::Serverless::Function":
            mentioned |= set(((res.get("Properties") or {}).get("Environment") or {}).get("Variables", {}))
    for logical, fn in functions.items():
        for var in sorted(set(fn.env) - named):
            if var.startswith("VAROSKAPU_"):
                report.finding(logical, f"the template sets {var}, which no code of the Lambda binaries reads",
                               fails=False)
    for var in sorted(named - mentioned - NOT_FOR_LAMBDA):
        report.finding("template", f"{var} is read by the code but the template sets it for no function",
                       fails=False)


def install_chain(emulated, stack, key, parameter, args, report):
    """The operator's installation of the signing chain into SSM: `varoskapu-aws documents
    csr`, the CA certifies it, `varoskapu-aws documents install-chain` (or, without the
    CLI, the chain put into the parameter directly)."""
    import journey
    import subprocess
    cli = pathlib.Path(args.target) / "varoskapu-aws"
    if cli.exists():
        folder = pathlib.Path(tempfile.mkdtemp())
        table = next(stack.physical[l] for l, _ in stack.resources("AWS::DynamoDB::Table"))
        env = {"PATH": os.environ.get("PATH", ""), "AWS_REGION": cfn.REGION, "AWS_ACCESS_KEY_ID": aws.ADMIN_KEY,
               "AWS_SECRET_ACCESS_KEY": "rehearsal", "AWS_EC2_METADATA_DISABLED": "true"}
        base = [str(cli), "--endpoint-url", emulated.url, "--region", cfn.REGION, "--table", table,
                "--document-signing-key", str(stack.physical[key]), "--signing-chain-parameter", parameter,
                "documents"]
        # Without --stack the CLI cannot read MunicipalityName; the operator names it.
        subject = ["--common-name", stack.params.get("MunicipalityName", "Városkapu")]
        csr = subprocess.run(base + ["csr", "--out", str(folder / "request.pem")] + subject, env=env,
                             capture_output=True, text=True, timeout=60)
        if csr.returncode == 0:
            chain = journey.issue_signing_chain(emulated, stack.physical[key], (folder / "request.pem").read_text())
            (folder / "chain.pem").write_text(chain)
            done = subprocess.run(base + ["install-chain", str(folder / "chain.pem")], env=env,
                                  capture_output=True, text=True, timeout=60)
            if done.returncode == 0:
                print("  varoskapu-aws documents csr, the CA certifies it, varoskapu-aws documents install-chain")
                return
            report.finding("varoskapu-aws", "documents install-chain fails", (done.stderr or done.stdout)[-400:])
        else:
            report.finding("varoskapu-aws", "documents csr fails", (csr.stderr or csr.stdout)[-400:])
    else:
        report.note("varoskapu-aws is not built: the chain is put into SSM directly")
    chain = journey.issue_signing_chain(emulated, stack.physical[key])
    ssm = emulated.client("ssm")
    ssm.put_parameter(Name=parameter, Value=chain, Type="String", Overwrite=True,
                      Tier="Advanced" if len(chain) > 4096 else "Standard")


def unused_grants(functions, calls):
    """Per function, the allowed actions of each statement that no call used, and the
    item-level DynamoDB actions granted on index ARNs (DynamoDB reads indexes only by
    Query and Scan, so those grants can never apply)."""
    used = {}
    for logical, action, resource, allowed, _, statement, _ in calls:
        if allowed and statement is not None:
            used.setdefault(logical, []).append((id(statement), action))
    out = {}
    for logical, fn in functions.items():
        lines = []
        for st in fn.principal.statements:
            if st.get("Effect") != "Allow":
                continue
            actions = iam._list(st.get("Action"))
            never = [p for p in actions if not any(
                sid == id(st) and iam._action_matches(p, a) for sid, a in used.get(logical, []))]
            sid = f" (Sid {st['Sid']})" if st.get("Sid") else ""
            if never:
                lines.append("never called: " + ", ".join(never) + sid)
            if any(r.endswith("/index/*") for r in iam._list(st.get("Resource"))):
                item_level = [a for a in actions if a.split(":")[-1] in (
                    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem",
                    "BatchWriteItem", "BatchGetItem")]
                if item_level:
                    lines.append("granted on the index ARN, where they never apply: "
                                 + ", ".join(item_level) + sid)
        if lines:
            out[logical] = lines
    return out


if __name__ == "__main__":
    sys.exit(main())
