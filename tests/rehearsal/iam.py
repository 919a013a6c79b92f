"""IAM as AWS evaluates a Lambda function's calls: the function role's policies from the
template (inline statements, the template's managed policies, SAM policy templates), the
buckets' policies and the KMS key policies; an explicit Deny wins, then an Allow is needed.

Also maps each request the AWS SDK sends (DynamoDB, KMS, Secrets Manager and SSM by
`X-Amz-Target`, S3 by method, path and query, SES v2 by path) to the IAM actions, resource
ARNs and condition keys AWS authorizes it by.
"""

import fnmatch
import json
import re
import urllib.parse
from xml.etree import ElementTree

from cfn import ACCOUNT, PARTITION, REGION

# SAM policy templates (github.com/aws/serverless-application-model,
# samtranslator/policy_templates_data/policy_templates.json), the ones a Városkapu
# function could plausibly use. ${X} are the template's parameters.
_T = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}"
SAM_POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy": [{"Effect": "Allow", "Action": [
        "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan",
        "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
        "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"],
        "Resource": [_T, _T + "/index/*"]}],
    "DynamoDBReadPolicy": [{"Effect": "Allow", "Action": [
        "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem",
        "dynamodb:DescribeTable"], "Resource": [_T, _T + "/index/*"]}],
    "DynamoDBWritePolicy": [{"Effect": "Allow", "Action": [
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
        "Resource": [_T, _T + "/index/*"]}],
    "S3ReadPolicy": [{"Effect": "Allow", "Action": [
        "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
        "s3:GetLifecycleConfiguration"], "Resource": [
        "arn:${AWS::Partition}:s3:::${BucketName}", "arn:${AWS::Partition}:s3:::${BucketName}/*"]}],
    "S3WritePolicy": [{"Effect": "Allow", "Action": [
        "s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"], "Resource": [
        "arn:${AWS::Partition}:s3:::${BucketName}", "arn:${AWS::Partition}:s3:::${BucketName}/*"]}],
    "S3CrudPolicy": [{"Effect": "Allow", "Action": [
        "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
        "s3:PutObject", "s3:PutObjectAcl", "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration", "s3:DeleteObject"], "Resource": [
        "arn:${AWS::Partition}:s3:::${BucketName}", "arn:${AWS::Partition}:s3:::${BucketName}/*"]}],
    "KMSDecryptPolicy": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource":
        "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${KeyId}"}],
    "KMSEncryptPolicy": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource":
        "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${KeyId}"}],
    "SSMParameterReadPolicy": [
        {"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"},
        {"Effect": "Allow", "Action": ["ssm:GetParameters", "ssm:GetParameter",
                                       "ssm:GetParametersByPath"], "Resource":
         "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${ParameterName}"}],
    "AWSSecretsManagerGetSecretValuePolicy": [{"Effect": "Allow", "Action":
        "secretsmanager:GetSecretValue", "Resource": "${SecretArn}"}],
    "SESCrudPolicy": [{"Effect": "Allow", "Action": [
        "ses:GetIdentityVerificationAttributes", "ses:SendEmail", "ses:SendRawEmail",
        "ses:VerifyEmailIdentity"], "Resource":
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${IdentityName}"}],
}


def _expand_template(name, args):
    text = json.dumps(SAM_POLICY_TEMPLATES[name])
    values = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
    values.update({k: str(v) for k, v in (args or {}).items()})
    return json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], text))


def function_statements(stack, function_props, managed_policies):
    """(statements, notes) of a function's role, from its resolved `Policies`."""
    policies = stack.resolve(function_props.get("Policies", []))
    if isinstance(policies, (str, dict)):
        policies = [policies]
    statements, notes = [], []
    for p in policies:
        if isinstance(p, str):
            if p in managed_policies:
                statements += _statements(managed_policies[p])
            else:
                notes.append(f"AWS managed policy {p} is not emulated (grants nothing here)")
        elif "Statement" in p:
            statements += _statements(p)
        elif len(p) == 1 and next(iter(p)) in SAM_POLICY_TEMPLATES:
            (name, args), = p.items()
            statements += _expand_template(name, args)
        else:
            notes.append(f"policy {json.dumps(p)[:80]} is not understood (grants nothing here)")
    return statements, notes


def _statements(doc):
    s = doc.get("Statement", [])
    return [s] if isinstance(s, dict) else list(s)


def _list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _like(pattern, value):
    # IAM wildcards: * any run, ? one character; case-sensitive for resources.
    return fnmatch.fnmatchcase(value, pattern)


def _action_matches(patterns, action):
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in _list(patterns))


def _condition_ok(conditions, context):
    for op, tests in (conditions or {}).items():
        for key, wanted in tests.items():
            if not _one_condition(op, key, _list(wanted), context):
                return False
    return True


def _one_condition(op, key, wanted, context):
    qualifier = None
    if ":" in op and op.split(":", 1)[0] in ("ForAnyValue", "ForAllValues"):
        qualifier, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    if if_exists:
        op = op[: -len("IfExists")]
    present = key in context
    values = _list(context.get(key))
    if not present:
        if qualifier == "ForAllValues":
            return True
        if op == "Null":
            return str(wanted[0]).lower() == "true"
        return if_exists or op.startswith(("StringNot", "ArnNot"))
    if op == "Null":
        return str(wanted[0]).lower() == "false"

    def test(value):
        value = str(value)
        if op in ("StringEquals", "ArnEquals"):
            return value in [str(w) for w in wanted]
        if op == "StringEqualsIgnoreCase":
            return value.lower() in [str(w).lower() for w in wanted]
        if op in ("StringLike", "ArnLike"):
            return any(_like(str(w), value) for w in wanted)
        if op in ("StringNotEquals", "ArnNotEquals"):
            return value not in [str(w) for w in wanted]
        if op in ("StringNotLike", "ArnNotLike"):
            return not any(_like(str(w), value) for w in wanted)
        if op == "Bool":
            return value.lower() in [str(w).lower() for w in wanted]
        raise ValueError(f"condition operator {op} is not emulated")

    if qualifier == "ForAllValues":
        return all(test(v) for v in values)
    return any(test(v) for v in values)


def statement_matches(st, action, resource, context):
    if "Action" in st and not _action_matches(st["Action"], action):
        return False
    if "NotAction" in st and _action_matches(st["NotAction"], action):
        return False
    if "Resource" in st and not any(_like(r, resource) for r in _list(st["Resource"])):
        return False
    if "NotResource" in st and any(_like(r, resource) for r in _list(st["NotResource"])):
        return False
    return _condition_ok(st.get("Condition"), context)


class Decision:
    def __init__(self, allowed, reason, statement=None):
        self.allowed, self.reason, self.statement = allowed, reason, statement


def evaluate(identity, resource_policies, action, resource, context):
    """AWS's evaluation for one account: explicit deny anywhere, else an identity allow."""
    for st in identity + resource_policies:
        if st.get("Effect") == "Deny" and statement_matches(st, action, resource, context):
            where = "a resource-based policy" if st in resource_policies else "an identity-based policy"
            return Decision(False, f"with an explicit deny in {where}", st)
    for st in identity:
        if st.get("Effect") == "Allow" and statement_matches(st, action, resource, context):
            return Decision(True, "allowed", st)
    return Decision(False, f"because no identity-based policy allows the {action} action")


# -- requests to (action, resource, context) ------------------------------------------------

def credential_of(headers, query):
    """(access key id, service) from the SigV4 Authorization header or a presigned query."""
    auth = headers.get("authorization", "")
    m = re.search(r"Credential=([^/,\s]+)/\d+/[^/]+/([^/]+)/aws4_request", auth)
    if not m and "X-Amz-Credential" in query:
        parts = query["X-Amz-Credential"].split("/")
        if len(parts) >= 5:
            return parts[0], parts[3]
    return (m.group(1), m.group(2)) if m else (None, None)


def _leading(key_attrs, hash_key):
    value = (key_attrs or {}).get(hash_key, {})
    return [v for v in value.values()] if isinstance(value, dict) else []


def dynamodb_checks(op, body, arn_of_table, hash_key="pk"):
    def table(name, index=None):
        arn = arn_of_table(name)
        return f"{arn}/index/{index}" if index else arn

    checks = []  # (action, resource, context)
    simple = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
              "DescribeTable", "DescribeTimeToLive", "ListTagsOfResource"}
    if op in simple:
        ctx = {}
        key = body.get("Key") or body.get("Item")
        if key:
            ctx["dynamodb:LeadingKeys"] = _leading(key, hash_key)
        checks.append((f"dynamodb:{op}", table(body.get("TableName", ""), body.get("IndexName")), ctx))
    elif op == "TransactWriteItems":
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem"}
        for item in body.get("TransactItems", []):
            (kind, spec), = item.items()
            key = spec.get("Key") or spec.get("Item")
            checks.append((f"dynamodb:{kinds[kind]}", table(spec["TableName"]),
                           {"dynamodb:LeadingKeys": _leading(key, hash_key)}))
    elif op == "TransactGetItems":
        for item in body.get("TransactItems", []):
            spec = item["Get"]
            checks.append(("dynamodb:GetItem", table(spec["TableName"]),
                           {"dynamodb:LeadingKeys": _leading(spec.get("Key"), hash_key)}))
    elif op == "BatchWriteItem":
        for name, reqs in body.get("RequestItems", {}).items():
            keys = []
            for r in reqs:
                spec = r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key")
                keys += _leading(spec, hash_key)
            checks.append(("dynamodb:BatchWriteItem", table(name), {"dynamodb:LeadingKeys": keys}))
    elif op == "BatchGetItem":
        for name, spec in body.get("RequestItems", {}).items():
            keys = [k for key in spec.get("Keys", []) for k in _leading(key, hash_key)]
            checks.append(("dynamodb:BatchGetItem", table(name), {"dynamodb:LeadingKeys": keys}))
    else:
        checks.append((f"dynamodb:{op}", table(body.get("TableName", "*")), {}))
    return checks


def kms_checks(op, body, key_arn_of):
    key = body.get("KeyId") or body.get("TargetKeyId") or "*"
    return [(f"kms:{op}", key_arn_of(key), {})]


def s3_checks(method, path, query, headers, body):
    """IAM actions of an S3 REST request in path-style addressing."""
    parts = path.lstrip("/").split("/", 1)
    bucket = urllib.parse.unquote(parts[0])
    key = urllib.parse.unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    barn = f"arn:{PARTITION}:s3:::{bucket}"
    ctx = {}
    if key is None:
        sub = {"versioning": "GetBucketVersioning", "location": "GetBucketLocation",
               "object-lock": "GetBucketObjectLockConfiguration", "policy": "GetBucketPolicy",
               "versions": "ListBucketVersions", "uploads": "ListBucketMultipartUploads",
               "cors": "GetBucketCORS", "lifecycle": "GetLifecycleConfiguration",
               "encryption": "GetEncryptionConfiguration", "tagging": "GetBucketTagging",
               "acl": "GetBucketAcl"}
        if method in ("GET", "HEAD"):
            for q, action in sub.items():
                if q in query:
                    return [(f"s3:{action}", barn, ctx)]
            if "prefix" in query:
                ctx["s3:prefix"] = query["prefix"]
            return [("s3:ListBucket", barn, ctx)]
        if method == "POST" and "delete" in query:
            keys = [e.text for e in ElementTree.fromstring(body or b"<Delete/>").iter()
                    if e.tag.endswith("Key")]
            return [("s3:DeleteObject", f"{barn}/{k}", ctx) for k in keys]
        if method == "PUT" and not query:
            return [("s3:CreateBucket", barn, ctx)]
        if method == "DELETE" and not query:
            return [("s3:DeleteBucket", barn, ctx)]
        name = next(iter(query), "")
        verb = {"PUT": "Put", "DELETE": "Delete"}.get(method, "Get")
        return [(f"s3:{verb}Bucket{name.title().replace('-', '')}", barn, ctx)]
    oarn = f"{barn}/{key}"
    checks = []
    if method in ("GET", "HEAD"):
        if "tagging" in query:
            action = "s3:GetObjectTagging"
        elif "retention" in query:
            action = "s3:GetObjectRetention"
        elif "legal-hold" in query:
            action = "s3:GetObjectLegalHold"
        elif "acl" in query:
            action = "s3:GetObjectAcl"
        elif "attributes" in query:
            action = "s3:GetObjectAttributes"
        elif "versionId" in query:
            action = "s3:GetObjectVersion"
        elif "uploadId" in query:
            action = "s3:ListMultipartUploadParts"
        else:
            action = "s3:GetObject"
        checks.append((action, oarn, ctx))
    elif method == "PUT":
        if "tagging" in query:
            checks.append(("s3:PutObjectTagging", oarn, ctx))
        elif "retention" in query:
            checks.append(("s3:PutObjectRetention", oarn, ctx))
        elif "legal-hold" in query:
            checks.append(("s3:PutObjectLegalHold", oarn, ctx))
        elif "acl" in query:
            checks.append(("s3:PutObjectAcl", oarn, ctx))
        else:
            checks.append(("s3:PutObject", oarn, ctx))
            source = headers.get("x-amz-copy-source")
            if source:
                src = urllib.parse.unquote(source.split("?")[0]).lstrip("/")
                checks.append(("s3:GetObject", f"arn:{PARTITION}:s3:::{src}", ctx))
            if headers.get("x-amz-tagging"):
                checks.append(("s3:PutObjectTagging", oarn, ctx))
            if headers.get("x-amz-object-lock-mode") or headers.get("x-amz-object-lock-retain-until-date"):
                checks.append(("s3:PutObjectRetention", oarn, ctx))
            if headers.get("x-amz-object-lock-legal-hold"):
                checks.append(("s3:PutObjectLegalHold", oarn, ctx))
    elif method == "POST":
        checks.append(("s3:PutObject", oarn, ctx))
    elif method == "DELETE":
        if "uploadId" in query:
            checks.append(("s3:AbortMultipartUpload", oarn, ctx))
        elif "versionId" in query:
            checks.append(("s3:DeleteObjectVersion", oarn, ctx))
        else:
            checks.append(("s3:DeleteObject", oarn, ctx))
    return checks


def sesv2_checks(method, path, body):
    base = f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}"
    if method == "POST" and path.rstrip("/").endswith("/v2/email/outbound-emails"):
        msg = json.loads(body or b"{}")
        sender = msg.get("FromEmailAddress", "")
        domain = sender.split("@", 1)[-1]
        ctx = {"ses:FromAddress": sender}
        # SES authorizes a send on the identity that verifies the sender: the address if
        # it is verified itself, else its domain; the caller tells which exists.
        return [("ses:SendEmail", [f"{base}:identity/{sender}", f"{base}:identity/{domain}"], ctx)]
    m = re.match(r"/v2/email/([a-z-]+)", path)
    return [(f"ses:{method.title()}{(m.group(1) if m else 'Unknown').title().replace('-', '')}", "*", {})]


def json_service_checks(service, op, body, arn_of):
    """Secrets Manager and SSM: one action on the resource the body names."""
    if service == "secretsmanager":
        return [(f"secretsmanager:{op}", arn_of("secret", body.get("SecretId", "*")), {})]
    if service == "ssm":
        names = body.get("Names") or [body.get("Name", body.get("Path", "*"))]
        return [(f"ssm:{op}", arn_of("parameter", n), {}) for n in names]
    return [(f"{service}:{op}", "*", {})]
