"""AWS on loopback: moto in this process behind an IAM gate, and the template's resources
created on it from their own properties.

Every function signs its calls with an access key of its own (as each Lambda function
gets its role's credentials); the gate maps each call to its IAM actions and resources,
evaluates the function role's policies and the resource policies from the template, and
answers a refused call with the error AWS answers it with. The rehearsal's own set-up
(what CloudFormation and the operator do) uses the key `REHEARSALADMIN` and is not gated.
"""

import base64
import io
import logging
import json
import secrets
import string
import threading
import urllib.parse

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

import iam
from cfn import ACCOUNT, PARTITION, REGION

ADMIN_KEY = "REHEARSALADMIN"


def _suffix(n=12):
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


class Principal:
    def __init__(self, logical, function_name, statements, notes):
        self.logical = logical
        self.function_name = function_name
        self.role = f"{function_name[:40]}Role-{_suffix(8)}"
        self.arn = f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{self.role}/{function_name}"
        self.statements = statements
        self.notes = notes
        self.access_key = "ASIA" + logical.upper()[:16]


class Gate:
    """The IAM check in front of moto; records every call it decides."""

    def __init__(self):
        self.principals = {}  # access key -> Principal
        self.bucket_policies = {}  # bucket -> statements
        self.key_policies = {}  # key arn -> statements
        self.locked_buckets = set()  # buckets with a default Object Lock retention
        self.tables = {}  # name -> hash key attribute
        self.aliases = {}  # alias name -> key arn
        self.calls = []  # (logical, action, resource, allowed, reason, statement)
        self.moto_differences = []
        self.lenient = False  # diagnosis: refusals are recorded, the calls still go through
        self.lock = threading.Lock()
        self.record_lock = threading.Lock()

    # resource naming -------------------------------------------------------------------
    def table_arn(self, name):
        if name.startswith("arn:"):
            return name
        return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"

    def key_arn(self, key):
        if key.startswith("arn:") and ":alias/" not in key:
            return key
        alias = key.split(":", 5)[-1] if key.startswith("arn:") else key
        if alias.startswith("alias/"):
            return self.aliases.get(alias, f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:{alias}")
        return f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/{key}"

    def arn_of(self, kind, name):
        if name.startswith("arn:"):
            return name
        if kind == "secret":
            return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}"
        return f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"

    # the check -------------------------------------------------------------------------
    def checks(self, environ, body, headers, query):
        method = environ["REQUEST_METHOD"]
        path = urllib.parse.unquote(environ.get("PATH_INFO", ""))
        raw_path = environ.get("RAW_URI", environ.get("PATH_INFO", "")).split("?")[0]
        target = headers.get("x-amz-target", "")
        _, service = iam.credential_of(headers, query)
        if target.startswith("DynamoDB_"):
            op = target.split(".", 1)[1]
            body_json = json.loads(body or b"{}")
            hash_key = self.tables.get(body_json.get("TableName"), "pk")
            return "dynamodb", iam.dynamodb_checks(op, body_json, self.table_arn, hash_key)
        if target.startswith("TrentService."):
            return "kms", iam.kms_checks(target.split(".", 1)[1], json.loads(body or b"{}"), self.key_arn)
        if target.startswith("secretsmanager."):
            return "secretsmanager", iam.json_service_checks(
                "secretsmanager", target.split(".", 1)[1], json.loads(body or b"{}"), self.arn_of)
        if target.startswith("AmazonSSM."):
            return "ssm", iam.json_service_checks(
                "ssm", target.split(".", 1)[1], json.loads(body or b"{}"), self.arn_of)
        if service == "ses" or path.startswith("/v2/email"):
            return "ses", iam.sesv2_checks(method, path, body)
        if service == "s3" or service is None:
            return "s3", iam.s3_checks(method, raw_path, query, headers, body)
        return service, [(f"{service}:Unknown", "*", {})]

    def decide(self, principal, service, checks):
        for action, resources, ctx in checks:
            ctx = dict(ctx)
            ctx["aws:SecureTransport"] = "true"  # SDK calls to AWS always use TLS
            ctx["aws:PrincipalArn"] = principal.arn
            options = resources if isinstance(resources, list) else [resources]
            decision, resource = None, options[0]
            for candidate in options:
                resource_policies = self.resource_policies(service, candidate)
                d = iam.evaluate(principal.statements, resource_policies, action, candidate, ctx)
                if decision is None or d.allowed:
                    decision, resource = d, candidate
                if d.allowed:
                    break
            if decision.allowed and service == "kms":
                decision = self.key_policy_allows(resource, action) or decision
            self.record(principal, action, resource, decision, ctx)
            if not decision.allowed:
                return action, resource, decision
        return None

    def resource_policies(self, service, resource):
        if service == "s3":
            bucket = resource.split(":::", 1)[-1].split("/", 1)[0]
            return self.bucket_policies.get(bucket, [])
        return []

    def key_policy_allows(self, key_arn, action):
        policy = self.key_policies.get(key_arn)
        if policy is None:
            return None
        root = f"arn:{PARTITION}:iam::{ACCOUNT}:root"
        for st in policy:
            principals = iam._list((st.get("Principal") or {}).get("AWS")) if isinstance(
                st.get("Principal"), dict) else iam._list(st.get("Principal"))
            if st.get("Effect") == "Allow" and (root in principals or "*" in principals) \
                    and iam._action_matches(st.get("Action"), action):
                return None
        return iam.Decision(False, "because the key policy does not let IAM policies grant it")

    def record(self, principal, action, resource, decision, context=None):
        with self.record_lock:
            keys = {str(k).split("#")[0] + ("#…" if "#" in str(k) else "")
                    for k in (context or {}).get("dynamodb:LeadingKeys", [])}
            self.calls.append((principal.logical, action, resource, decision.allowed,
                               decision.reason, decision.statement, keys))

    # WSGI ------------------------------------------------------------------------------
    def wrap(self, app):
        def gated(environ, start_response):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                       if k.startswith("HTTP_")}
            if "CONTENT_TYPE" in environ:
                headers["content-type"] = environ["CONTENT_TYPE"]
            query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            key, _ = iam.credential_of(headers, query)
            principal = self.principals.get(key)
            if key != ADMIN_KEY and not environ.get("PATH_INFO", "").startswith("/moto-api"):
                if principal is None:
                    return self.deny(start_response, "unknown", f"unknown access key {key}",
                                     "sts:Unknown", "*", headers)
                service, checks = self.checks(environ, body, headers, query)
                refused = self.decide(principal, service, checks)
                if refused and not self.lenient:
                    action, resource, decision = refused
                    return self.deny(start_response, service, principal.arn, action,
                                     resource, headers, decision.reason)
                self.emulate_aws(environ, service, headers, checks)
                status_holder = {}

                def capture(status, response_headers, exc_info=None):
                    status_holder["status"] = status
                    status_holder["headers"] = response_headers
                    return lambda data: None

                with self.lock:
                    out = b"".join(app(environ, capture))
                status = status_holder["status"]
                if service == "s3" and status.startswith("404") and checks and \
                        checks[0][0] == "s3:GetObject":
                    # Without s3:ListBucket, S3 answers a missing key with 403 AccessDenied
                    # rather than 404 (S3 documentation, GetObject and HeadObject).
                    bucket_arn = checks[0][1].split("/", 1)[0]
                    d = iam.evaluate(principal.statements, self.resource_policies("s3", bucket_arn),
                                     "s3:ListBucket", bucket_arn, {"aws:SecureTransport": "true"})
                    self.record(principal, "s3:ListBucket", bucket_arn, d)
                    if not d.allowed and not self.lenient:
                        return self.deny(start_response, "s3", principal.arn, "s3:ListBucket",
                                         bucket_arn, headers, d.reason)
                start_response(status, status_holder["headers"])
                return [out]
            with self.lock:
                return [b"".join(app(environ, start_response))]
        return gated

    def emulate_aws(self, environ, service, headers, checks):
        """Where moto refuses what AWS accepts on a path the functions use."""
        if service == "s3" and environ["REQUEST_METHOD"] == "PUT" and checks and \
                checks[0][0] == "s3:PutObject":
            bucket = checks[0][1].split(":::", 1)[1].split("/", 1)[0]
            has_checksum = any(h.startswith("x-amz-checksum-") for h in headers)
            if bucket in self.locked_buckets and has_checksum and \
                    "x-amz-sdk-checksum-algorithm" not in headers and "content-md5" not in headers:
                algo = next(h for h in headers if h.startswith("x-amz-checksum-"))[15:].upper()
                environ["HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM"] = algo
                note = ("moto refuses a PutObject into a bucket with default Object Lock "
                        "retention that carries only x-amz-checksum-*; S3 accepts it (the "
                        "gate adds x-amz-sdk-checksum-algorithm for moto)")
                if note not in self.moto_differences:
                    self.moto_differences.append(note)

    def deny(self, start_response, service, who, action, resource, headers, reason=""):
        message = f"User: {who} is not authorized to perform: {action} on resource: {resource} {reason}".strip()
        if service == "s3":
            body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                    f"<Message>{message}</Message><RequestId>REHEARSAL</RequestId>"
                    f"<HostId>rehearsal</HostId></Error>").encode()
            start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        if service == "ses":
            body = json.dumps({"message": message}).encode()
            start_response("403 Forbidden", [("Content-Type", "application/json"),
                                             ("x-amzn-ErrorType", "AccessDeniedException"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        if service == "dynamodb":
            body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException",
                               "Message": message}).encode()
            ctype = "application/x-amz-json-1.0"
        else:
            body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
            ctype = "application/x-amz-json-1.1"
        start_response("400 Bad Request", [("Content-Type", ctype),
                                           ("x-amzn-ErrorType", "AccessDeniedException"),
                                           ("Content-Length", str(len(body)))])
        return [body]


class EmulatedAws:
    """moto on a loopback port, gated."""

    def __init__(self):
        self.gate = Gate()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = DomainDispatcherApplication(create_backend_app)
        self.server = make_server("127.0.0.1", 0, self.gate.wrap(app), threaded=True,
                                  request_handler=MotoRequestHandler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self, service):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=ADMIN_KEY, aws_secret_access_key="rehearsal",
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}))

    def stop(self):
        self.server.shutdown()


def generate_secret(spec):
    length = int(spec.get("PasswordLength", 32))
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    exclude = spec.get("ExcludeCharacters", "")
    alphabet = "".join(c for c in alphabet if c not in exclude)
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    if "SecretStringTemplate" in spec:
        doc = json.loads(spec["SecretStringTemplate"])
        doc[spec["GenerateStringKey"]] = value
        return json.dumps(doc)
    return value


class Provisioner:
    """Creates what the template's resources are, on moto, from their resolved properties;
    resources whose properties need another's id wait for it (CloudFormation's order)."""

    EMULATED = {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::S3::BucketPolicy",
                "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::SecretsManager::Secret",
                "AWS::SSM::Parameter", "AWS::SES::EmailIdentity", "AWS::IAM::ManagedPolicy"}

    def __init__(self, aws, stack):
        self.aws, self.stack = aws, stack
        self.managed_policies = {}  # arn -> document
        self.not_emulated = []
        stack.dynamic = self.dynamic_reference

    def name(self, logical, lower=False):
        n = f"{self.stack.stack_name}-{logical}-{_suffix()}"
        return n.lower() if lower else n

    def run(self):
        # Names of what is not created on moto, for Ref/GetAtt.
        for logical, res in self.stack.resources():
            t = res["Type"]
            if t in self.EMULATED:
                continue
            name = self.name(logical)
            arn = f"arn:{PARTITION}:{t.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{name}"
            self.stack.physical[logical] = arn if t == "AWS::SNS::Topic" else name
            self.stack.attrs[logical] = {"Arn": arn, "RegionalDomainName": f"{name}.{REGION}.example"}
            if t not in ("AWS::Serverless::Function",):
                self.not_emulated.append(f"{logical} ({t})")
        # SAM's generated stage of an HttpApi.
        for logical, _ in self.stack.resources("AWS::Serverless::HttpApi"):
            self.stack.physical[logical] = _suffix(10).lower()
            self.stack.physical[f"{logical}ApiGatewayDefaultStage"] = "$default"
        for logical, res in self.stack.resources("AWS::Serverless::Function"):
            name = f"{self.stack.stack_name}-{logical}-{_suffix()}"[:64]
            self.stack.physical[logical] = name
            self.stack.attrs[logical] = {
                "Arn": f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}"}
        pending = [(l, r) for l, r in self.stack.resources() if r["Type"] in self.EMULATED]
        from cfn import Unsupported
        while pending:
            progress, waiting, errors = False, [], []
            for logical, res in pending:
                try:
                    props = self.stack.resolve(res.get("Properties", {}))
                except Unsupported as e:
                    waiting.append((logical, res))
                    errors.append(f"{logical}: {e}")
                    continue
                getattr(self, "create_" + res["Type"].split("::", 1)[1].replace("::", "_"))(logical, props)
                progress = True
            if not progress:
                raise Unsupported("cannot create: " + "; ".join(errors))
            pending = waiting

    # resource types ----------------------------------------------------------------------
    def create_DynamoDB_Table(self, logical, p):
        name = p.get("TableName") or self.name(logical)
        ddb = self.aws.client("dynamodb")
        args = {k: p[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                                  "LocalSecondaryIndexes", "BillingMode", "ProvisionedThroughput",
                                  "StreamSpecification", "Tags") if k in p}
        if "StreamSpecification" in p:
            # CloudFormation's form has only the view type; the API's also says it is on.
            args["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        if "SSESpecification" in p:
            args["SSESpecification"] = {"Enabled": p["SSESpecification"].get("SSEEnabled", False)}
        if "DeletionProtectionEnabled" in p:
            args["DeletionProtectionEnabled"] = p["DeletionProtectionEnabled"]
        ddb.create_table(TableName=name, **args)
        ttl = p.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "AttributeName": ttl["AttributeName"], "Enabled": True})
        arn = self.aws.gate.table_arn(name)
        self.aws.gate.tables[name] = next(k["AttributeName"] for k in p["KeySchema"] if k["KeyType"] == "HASH")
        self.stack.physical[logical] = name
        self.stack.attrs[logical] = {"Arn": arn, "StreamArn": f"{arn}/stream/rehearsal"}

    def create_S3_Bucket(self, logical, p):
        name = p.get("BucketName") or self.name(logical, lower=True)[:63]
        s3 = self.aws.client("s3")
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION},
                         ObjectLockEnabledForBucket=bool(p.get("ObjectLockEnabled")))
        if "VersioningConfiguration" in p:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={
                "Status": p["VersioningConfiguration"]["Status"]})
        lock = p.get("ObjectLockConfiguration")
        if lock:
            rule = lock.get("Rule", {}).get("DefaultRetention")
            conf = {"ObjectLockEnabled": lock.get("ObjectLockEnabled", "Enabled")}
            if rule:
                conf["Rule"] = {"DefaultRetention": {k: (int(v) if k in ("Days", "Years") else v)
                                                     for k, v in rule.items()}}
                self.aws.gate.locked_buckets.add(name)
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=conf)
        if "BucketEncryption" in p:
            rules = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {("ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k): v
                 for k, v in r.items()} for r in rules]})
        if "PublicAccessBlockConfiguration" in p:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"])
        if "LifecycleConfiguration" in p:
            rules = []
            for r in p["LifecycleConfiguration"]["Rules"]:
                rule = {"ID": r.get("Id", "rule"), "Status": r["Status"], "Filter": {"Prefix": r.get("Prefix", "")}}
                if "ExpirationInDays" in r:
                    rule["Expiration"] = {"Days": int(r["ExpirationInDays"])}
                if "AbortIncompleteMultipartUpload" in r:
                    rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(
                        r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
                rules.append(rule)
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        if "CorsConfiguration" in p:
            rules = [{k.replace("Id", "ID") if k == "Id" else k: v for k, v in r.items()}
                     for r in p["CorsConfiguration"]["CorsRules"]]
            for r in rules:
                if "MaxAge" in r:
                    r["MaxAgeSeconds"] = int(r.pop("MaxAge"))
                if "ExposedHeaders" in r:
                    r["ExposeHeaders"] = r.pop("ExposedHeaders")
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        self.stack.physical[logical] = name
        self.stack.attrs[logical] = {"Arn": f"arn:{PARTITION}:s3:::{name}",
                                     "DomainName": f"{name}.s3.amazonaws.com",
                                     "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com"}

    def create_S3_BucketPolicy(self, logical, p):
        doc = p["PolicyDocument"]
        # moto evaluates bucket policies without their conditions ("Conditions are not taken
        # into account"), so a Deny with aws:SecureTransport=false would refuse every object
        # request, which S3 over TLS never does: the gate evaluates the policy instead, with
        # its conditions, and moto gets none.
        self.aws.gate.moto_differences.append(
            f"moto ignores bucket policy conditions: {p['Bucket']}'s policy is enforced by the gate, not given to moto")
        self.aws.gate.bucket_policies.setdefault(p["Bucket"], []).extend(iam._statements(doc))
        self.stack.physical[logical] = p["Bucket"]

    def create_KMS_Key(self, logical, p):
        kms = self.aws.client("kms")
        args = {"KeySpec": p.get("KeySpec", "SYMMETRIC_DEFAULT"),
                "KeyUsage": p.get("KeyUsage", "ENCRYPT_DECRYPT"),
                "Description": p.get("Description", "")}
        if "KeyPolicy" in p:
            args["Policy"] = json.dumps(p["KeyPolicy"])
        meta = kms.create_key(**args)["KeyMetadata"]
        self.aws.gate.key_policies[meta["Arn"]] = iam._statements(p.get("KeyPolicy", {}))
        self.stack.physical[logical] = meta["KeyId"]
        self.stack.attrs[logical] = {"Arn": meta["Arn"], "KeyId": meta["KeyId"]}

    def create_KMS_Alias(self, logical, p):
        self.aws.client("kms").create_alias(AliasName=p["AliasName"], TargetKeyId=p["TargetKeyId"])
        self.aws.gate.aliases[p["AliasName"]] = self.aws.gate.key_arn(p["TargetKeyId"])
        self.stack.physical[logical] = p["AliasName"]

    def create_SecretsManager_Secret(self, logical, p):
        name = p.get("Name") or f"{logical}-{_suffix()}"
        value = p.get("SecretString") or generate_secret(p.get("GenerateSecretString", {}))
        arn = self.aws.client("secretsmanager").create_secret(
            Name=name, SecretString=value, Description=p.get("Description", ""))["ARN"]
        self.stack.physical[logical] = arn
        self.stack.attrs[logical] = {"Id": arn}

    def create_SSM_Parameter(self, logical, p):
        name = p.get("Name") or f"CFN-{logical}-{_suffix()}"
        self.aws.client("ssm").put_parameter(Name=name, Value=p["Value"], Type=p.get("Type", "String"),
                                             Overwrite=True)
        self.stack.physical[logical] = name
        self.stack.attrs[logical] = {"Type": p.get("Type", "String"), "Value": p["Value"]}

    def create_SES_EmailIdentity(self, logical, p):
        identity = p["EmailIdentity"]
        ses = self.aws.client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        self.stack.physical[logical] = identity

    def create_IAM_ManagedPolicy(self, logical, p):
        name = p.get("ManagedPolicyName") or self.name(logical)
        arn = f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{name}"
        self.managed_policies[arn] = p["PolicyDocument"]
        self.stack.physical[logical] = arn

    # dynamic references ------------------------------------------------------------------
    def dynamic_reference(self, spec):
        service, _, rest = spec.partition(":")
        if service == "secretsmanager":
            parts = rest.split(":")
            # secret-id may itself be an ARN (7 colon-separated parts)
            if parts[0] == "arn":
                secret_id, parts = ":".join(parts[:7]), parts[7:]
            else:
                secret_id, parts = parts[0], parts[1:]
            value = self.aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
            if len(parts) > 1 and parts[1]:
                value = json.loads(value)[parts[1]]
            return value
        if service in ("ssm", "ssm-secure"):
            name = rest.split(":")[0]
            return self.aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        raise ValueError(f"dynamic reference {spec} is not emulated")


def sent_mail():
    """The raw messages moto's SES holds (SES v2 sends land in the v1 backend)."""
    from moto.ses.models import ses_backends
    out = []
    for msg in ses_backends[ACCOUNT][REGION].sent_messages:
        raw = getattr(msg, "raw_data", None)
        if raw is None:
            raw = f"Subject: {msg.subject}\n\n{msg.body}"
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        out.append(raw)
    return out


def b64(data):
    return base64.b64encode(data).decode()
