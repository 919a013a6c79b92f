"""The rehearsal's own pieces, checked against what AWS documents: the template's intrinsic
functions, IAM's evaluation, the mapping of requests to actions, API Gateway's route
selection and JWT authorizer. Run: python3 -m unittest discover -s tests/rehearsal
"""

import base64
import json
import time
import unittest

import cfn
import frontdoor
import iam

TEMPLATE = """
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Sender: {Type: String, Default: ""}
  Url: {Type: String, AllowedPattern: "^https://.+$"}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  HasSender: !Not [!Equals [!Ref Sender, ""]]
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          A: !Sub "${Table.Arn}/index/*"
          B: !Sub ["${X}-${AWS::Region}", {X: !Ref Stage}]
          C: !If [HasSender, !Ref Sender, !Ref AWS::NoValue]
          D: !If [IsProd, 3653, 1]
          E: !Join [",", [a, !Select [1, !Split ["/", "x/y/z"]]]]
"""


class Template(unittest.TestCase):
    def stack(self, **params):
        template = cfn.yaml.load(TEMPLATE, Loader=cfn._Loader)
        values, problems = cfn.bind_parameters(template, {"Url": "https://x"}, params)
        stack = cfn.Stack(template, values)
        stack.physical["Table"] = "t"
        stack.attrs["Table"] = {"Arn": "arn:aws:dynamodb:eu-central-1:123456789012:table/t"}
        return stack, problems

    def test_intrinsics_resolve_as_cloudformation_does(self):
        stack, problems = self.stack()
        self.assertEqual(problems, [])
        env = stack.resolve(stack.t["Resources"]["Fn"]["Properties"]["Environment"]["Variables"])
        self.assertEqual(env["A"], "arn:aws:dynamodb:eu-central-1:123456789012:table/t/index/*")
        self.assertEqual(env["B"], "dev-eu-central-1")
        self.assertNotIn("C", env)  # AWS::NoValue removes the key
        self.assertEqual(env["D"], 1)
        self.assertEqual(env["E"], "a,y")
        stack, _ = self.stack(Stage="prod", Sender="a@b.hu")
        env = stack.resolve(stack.t["Resources"]["Fn"]["Properties"]["Environment"]["Variables"])
        self.assertEqual((env["C"], env["D"]), ("a@b.hu", 3653))

    def test_parameters_are_checked(self):
        template = cfn.yaml.load(TEMPLATE, Loader=cfn._Loader)
        _, problems = cfn.bind_parameters(template, {"Stage": "qa"})
        self.assertTrue(any("Url has no default" in p for p in problems), problems)
        self.assertTrue(any("Stage='qa' is not among" in p for p in problems), problems)


TABLE = "arn:aws:dynamodb:eu-central-1:123456789012:table/t"
ALLOW = {"Effect": "Allow", "Action": ["dynamodb:UpdateItem", "dynamodb:GetItem"], "Resource": TABLE}
DENY_AUDIT = {"Effect": "Deny", "Action": "dynamodb:UpdateItem", "Resource": TABLE,
              "Condition": {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}}}


class Evaluation(unittest.TestCase):
    def test_an_explicit_deny_wins_and_only_where_its_condition_holds(self):
        audit = iam.evaluate([ALLOW, DENY_AUDIT], [], "dynamodb:UpdateItem", TABLE,
                             {"dynamodb:LeadingKeys": ["AUDIT#case/1"]})
        self.assertFalse(audit.allowed)
        self.assertIn("explicit deny", audit.reason)
        case = iam.evaluate([ALLOW, DENY_AUDIT], [], "dynamodb:UpdateItem", TABLE,
                            {"dynamodb:LeadingKeys": ["CASE#1"]})
        self.assertTrue(case.allowed)

    def test_nothing_is_allowed_unless_a_statement_allows_it(self):
        d = iam.evaluate([ALLOW], [], "dynamodb:DeleteItem", TABLE, {})
        self.assertFalse(d.allowed)
        self.assertIn("no identity-based policy allows the dynamodb:DeleteItem action", d.reason)
        self.assertFalse(iam.evaluate([ALLOW], [], "dynamodb:GetItem", TABLE + "/index/gsi1", {}).allowed)

    def test_a_secure_transport_deny_spares_tls_requests(self):
        policy = [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]
        allow = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]
        self.assertTrue(iam.evaluate(allow, policy, "s3:GetObject", "arn:aws:s3:::b/k",
                                     {"aws:SecureTransport": "true"}).allowed)
        self.assertFalse(iam.evaluate(allow, policy, "s3:GetObject", "arn:aws:s3:::b/k",
                                      {"aws:SecureTransport": "false"}).allowed)

    def test_sam_policy_templates_expand(self):
        (st,) = iam._expand_template("DynamoDBCrudPolicy", {"TableName": "t"})
        self.assertIn("dynamodb:ConditionCheckItem", st["Action"])
        self.assertEqual(st["Resource"][0], TABLE)


class Actions(unittest.TestCase):
    def test_s3_requests_map_to_their_actions(self):
        self.assertEqual(iam.s3_checks("GET", "/b/uploads/x", {}, {}, b"")[0][:2],
                         ("s3:GetObject", "arn:aws:s3:::b/uploads/x"))
        self.assertEqual(iam.s3_checks("HEAD", "/b/k", {}, {}, b"")[0][0], "s3:GetObject")
        self.assertEqual(iam.s3_checks("GET", "/b", {"list-type": "2", "prefix": "u/"}, {}, b"")[0][:3],
                         ("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "u/"}))
        copy = iam.s3_checks("PUT", "/d/documents/x", {}, {"x-amz-copy-source": "/u/uploads/y"}, b"")
        self.assertEqual([c[:2] for c in copy], [("s3:PutObject", "arn:aws:s3:::d/documents/x"),
                                                 ("s3:GetObject", "arn:aws:s3:::u/uploads/y")])

    def test_a_transaction_needs_each_item_action(self):
        body = {"TransactItems": [
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "AUDIT#c"}, "sk": {"S": "1"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "CASE#1"}, "sk": {"S": "x"}}}}]}
        checks = iam.dynamodb_checks("TransactWriteItems", body, lambda n: f"arn:aws:dynamodb:eu-central-1:123456789012:table/{n}")
        self.assertEqual([(a, c["dynamodb:LeadingKeys"]) for a, _, c in checks],
                         [("dynamodb:UpdateItem", ["AUDIT#c"]), ("dynamodb:ConditionCheckItem", ["CASE#1"])])
        query = iam.dynamodb_checks("Query", {"TableName": "t", "IndexName": "gsi1"}, lambda n: "arn:t")
        self.assertEqual(query[0][:2], ("dynamodb:Query", "arn:t/index/gsi1"))

    def test_credentials_name_the_caller_in_headers_and_presigned_urls(self):
        auth = "AWS4-HMAC-SHA256 Credential=ASIAFN/20261201/eu-central-1/s3/aws4_request, SignedHeaders=host"
        self.assertEqual(iam.credential_of({"authorization": auth}, {}), ("ASIAFN", "s3"))
        self.assertEqual(iam.credential_of({}, {"X-Amz-Credential": "ASIAFN/20261201/eu-central-1/s3/aws4_request"}),
                         ("ASIAFN", "s3"))


class Gateway(unittest.TestCase):
    def test_the_most_specific_route_is_chosen(self):
        routes = sorted([frontdoor.Route("GET", "/cases/{case_id}", "a", (None, None)),
                         frontdoor.Route("GET", "/cases/diary", "b", (None, None)),
                         frontdoor.Route("ANY", "/{proxy+}", "c", (None, None))], key=frontdoor.Route.rank)
        pick = lambda m, p: next(r.function for r in routes if r.match(m, p) is not None)  # noqa: E731
        self.assertEqual(pick("GET", "/cases/diary"), "b")
        self.assertEqual(pick("GET", "/cases/42"), "a")
        self.assertEqual(pick("POST", "/cases/42"), "c")
        self.assertEqual(routes[1].match("GET", "/cases/a%2Fb"), {"case_id": "a/b"})

    def test_the_jwt_authorizer_takes_rsa_only(self):
        authorizer = frontdoor.JwtAuthorizer("J", {"JwtConfiguration": {"issuer": "https://i", "audience": ["a"]}})
        authorizer.keys = []
        enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
        token = f"{enc({'alg': 'ES256', 'kid': 'k'})}.{enc({'iss': 'https://i', 'aud': 'a', 'exp': time.time() + 60})}.c2ln"
        with self.assertRaisesRegex(ValueError, "only RSA-based algorithms"):
            authorizer.check({"authorization": f"Bearer {token}"}, None)
        with self.assertRaisesRegex(ValueError, "no identity source"):
            authorizer.check({}, None)


if __name__ == "__main__":
    unittest.main()


class SecurityOfTheStack(unittest.TestCase):
    """template.yaml as the security office reviews it."""

    @classmethod
    def setUpClass(cls):
        import pathlib
        path = pathlib.Path(__file__).resolve().parents[2] / "template.yaml"
        cls.text = path.read_text()
        cls.template = cfn.load(str(path))

    def test_no_secret_is_resolved_into_a_function_configuration(self):
        self.assertNotIn("{{resolve:secretsmanager", self.text)
        self.assertNotIn("{{resolve:ssm-secure", self.text)

    def test_every_scanner_suppression_gives_its_reason(self):
        skips = 0
        for logical, res in self.template["Resources"].items():
            for skip in (((res.get("Metadata") or {}).get("checkov") or {}).get("skip") or []):
                skips += 1
                self.assertRegex(skip.get("id", ""), r"^CKV2?_AWS_\d+$", logical)
                self.assertGreater(len((skip.get("comment") or "").split()), 5,
                                   f"{logical} suppresses {skip.get('id')} without a reason")
        self.assertGreater(skips, 0)

    def test_every_function_has_a_concurrency_limit_and_an_encrypted_log_group(self):
        resources = self.template["Resources"]
        for logical, res in resources.items():
            if res["Type"] != "AWS::Serverless::Function":
                continue
            props = res["Properties"]
            self.assertIn("ReservedConcurrentExecutions", props, logical)
            group = props["LoggingConfig"]["LogGroup"]["Ref"]
            self.assertIn("KmsKeyId", resources[group]["Properties"], group)


class TheIndexersChangeStream(unittest.TestCase):
    """What the table's change stream delivers to the search index's one writer."""

    @classmethod
    def setUpClass(cls):
        import pathlib
        template = cfn.load(str(pathlib.Path(__file__).resolve().parents[2] / "template.yaml"))
        events = template["Resources"]["CrmIndexerFunction"]["Properties"]["Events"].values()
        cls.filters = [json.loads(f["Pattern"]) for e in events if e["Type"] == "DynamoDB"
                       for f in e["Properties"]["FilterCriteria"]["Filters"]]

    def delivered(self, event_name, pk, sk):
        from journey import stream_filter_matches
        record = {"eventName": event_name, "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}}}
        return any(stream_filter_matches(f, record) for f in self.filters)

    def test_person_records_and_new_rebuild_requests_only(self):
        person = "crm-person#0193a1b2-0000-7000-8000-000000000001"
        self.assertTrue(self.delivered("MODIFY", person, "record"))
        self.assertTrue(self.delivered("INSERT", "crm-reindex", "request#0193a1b2-0000-7000-8000-00000000000a"))
        # The indexer's own answer to a request would make it rebuild again.
        self.assertFalse(self.delivered("MODIFY", "crm-reindex", "request#0193a1b2-0000-7000-8000-00000000000a"))
        self.assertFalse(self.delivered("INSERT", "crm-reindexed", "request#x"))
        self.assertFalse(self.delivered("INSERT", "case#0193a1b2", "record"))

    def test_the_indexer_writes_nothing_of_the_table_but_its_answers(self):
        import pathlib
        template = cfn.load(str(pathlib.Path(__file__).resolve().parents[2] / "template.yaml"))
        statements = [s for p in template["Resources"]["CrmIndexerFunction"]["Properties"]["Policies"]
                      if isinstance(p, dict) for s in p.get("Statement", [])]
        writes = [s for s in statements
                  if any(a.startswith("dynamodb:") and not a.startswith(("dynamodb:Get", "dynamodb:Query",
                                                                        "dynamodb:Describe", "dynamodb:List"))
                         for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))]
        self.assertEqual([s["Sid"] for s in writes], ["AnswerRebuildRequests"])
        self.assertEqual(writes[0]["Condition"], {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["crm-reindex"]}})


class ScheduledFunctionsOfTheStack(unittest.TestCase):
    """The functions EventBridge runs on a schedule: each has its binary, a log group kept
    for a while and an Errors alarm; the registry refresh exists only where a registry
    service is connected, and is told which."""

    @classmethod
    def setUpClass(cls):
        import pathlib
        cls.root = pathlib.Path(__file__).resolve().parents[2]
        cls.template = cfn.load(str(cls.root / "template.yaml"))

    def scheduled(self, **params):
        required = {"MunicipalityName": "Rehearsal", "DomainName": "varos.example.hu"}
        values, problems = cfn.bind_parameters(self.template, required, params)
        self.assertEqual(problems, [])
        stack = cfn.Stack(self.template, values)
        out = {}
        for logical, res in stack.resources("AWS::Serverless::Function"):
            events = (res["Properties"].get("Events") or {}).values()
            if any(e.get("Type") == "Schedule" for e in events):
                out[logical] = res
        return stack, out

    def test_the_registry_refresh_runs_nightly_only_with_a_registry(self):
        _, without = self.scheduled()
        self.assertEqual(sorted(without), ["AppointmentRemindersFunction"])
        stack, with_registry = self.scheduled(RegistryUrl="https://nyilvantartas.example.hu/v1")
        self.assertEqual(sorted(with_registry), ["AppointmentRemindersFunction", "CrmRefreshFunction"])
        refresh = with_registry["CrmRefreshFunction"]
        self.assertEqual(refresh["Metadata"]["BuildProperties"]["Binary"], "crm-refresh")
        schedule = [e["Properties"]["Schedule"] for e in refresh["Properties"]["Events"].values()]
        self.assertEqual(schedule, ["cron(30 1 * * ? *)"])
        env = refresh["Properties"]["Environment"]["Variables"]
        self.assertEqual(stack.resolve(env["VAROSKAPU_REGISTRY_URL"]), "https://nyilvantartas.example.hu/v1")
        # It changes records and searches nothing: no S3, no KMS, no e-mail.
        actions = json.dumps(refresh["Properties"]["Policies"])
        for service in ("s3:", "kms:", "ses:", "sqs:"):
            self.assertNotIn(service, actions)

    def test_every_scheduled_function_is_built_logged_and_alarmed(self):
        import re
        cargo = (self.root / "infra/lambda/Cargo.toml").read_text()
        bins = set(re.findall(r'\[\[bin\]\]\s*name = "([^"]+)"', cargo))
        resources = self.template["Resources"]
        _, scheduled = self.scheduled(RegistryUrl="https://nyilvantartas.example.hu/v1")
        for logical, res in scheduled.items():
            self.assertIn(res["Metadata"]["BuildProperties"]["Binary"], bins, logical)
            group = resources[res["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
            self.assertGreater(group["Properties"]["RetentionInDays"], 0, logical)
            self.assertEqual(group.get("Condition"), res.get("Condition"), logical)
            alarms = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"
                      and r["Properties"].get("MetricName") == "Errors"
                      and {"Name": "FunctionName", "Value": {"Ref": logical}} in r["Properties"]["Dimensions"]]
            self.assertEqual(len(alarms), 1, logical)
            self.assertEqual(alarms[0].get("Condition"), res.get("Condition"), logical)


class RoutesOfTheStack(unittest.TestCase):
    """The HTTP API's routes as the template declares them: one function per method and
    path, the route settings on routes that exist, and the portal's pages on paths of
    their own beside the JSON API's."""

    @classmethod
    def setUpClass(cls):
        import pathlib
        cls.template = cfn.load(str(pathlib.Path(__file__).resolve().parents[2] / "template.yaml"))
        cls.routes = {}  # "METHOD /path" -> [functions]
        for logical, res in cls.template["Resources"].items():
            if res["Type"] != "AWS::Serverless::Function":
                continue
            for event in (res["Properties"].get("Events") or {}).values():
                if event.get("Type") == "HttpApi":
                    key = f"{event['Properties']['Method']} {event['Properties']['Path']}"
                    cls.routes.setdefault(key, []).append(logical)

    def test_no_method_and_path_is_routed_to_two_functions(self):
        shared = {k: v for k, v in self.routes.items() if len(v) > 1}
        self.assertEqual(shared, {})

    def test_every_route_setting_names_a_route(self):
        settings = self.template["Resources"]["HttpApi"]["Properties"]["RouteSettings"]
        self.assertEqual([k for k in settings if k not in self.routes], [])

    def test_the_portal_has_its_own_paths_and_serves_the_stylesheet(self):
        portal = {k for k, v in self.routes.items() if v == ["PortalFunction"]}
        self.assertIn("GET /", portal)
        # Every page links it, the provider's too; nothing else serves it.
        self.assertIn("GET /assets/site.css", portal)
        # Its pages' first path segments are none of the other functions' (static assets
        # are single files under /assets, each of one function: the provider has its script).
        first = lambda key: key.split(" ", 1)[1].strip("/").split("/")[0]  # noqa: E731
        api = {first(k) for k, v in self.routes.items() if v != ["PortalFunction"]} - {"assets"}
        self.assertEqual(sorted({first(k) for k in portal} & api), [])

    def test_the_portals_sign_in_is_throttled_like_the_providers(self):
        settings = self.template["Resources"]["HttpApi"]["Properties"]["RouteSettings"]
        for route in ("GET /auth/login", "GET /auth/callback"):
            self.assertEqual(settings[route], settings["POST /oauth2/login"], route)

    def test_only_each_site_may_read_its_client_secret(self):
        for function, secret, var in (("PortalFunction", "PortalClientSecret", "PORTAL"),
                                      ("OfficeFunction", "OfficeClientSecret", "OFFICE")):
            readers = []
            for logical, res in self.template["Resources"].items():
                if res["Type"] != "AWS::Serverless::Function":
                    continue
                text = json.dumps(res["Properties"].get("Policies"))
                if f'"Ref": "{secret}"' in text:
                    readers.append(logical)
            self.assertEqual(readers, [function], secret)
            env = self.template["Resources"][function]["Properties"]["Environment"]["Variables"]
            self.assertEqual(env[f"VAROSKAPU_{var}_CLIENT_SECRET_ARN"], {"Ref": secret})
            self.assertNotIn(f"VAROSKAPU_{var}_CLIENT_SECRET", env)
            self.assertIn("KmsKeyId", self.template["Resources"][secret]["Properties"])

    def test_the_office_has_its_own_paths_and_its_sign_in_is_throttled(self):
        office = {k for k, v in self.routes.items() if v == ["OfficeFunction"]}
        self.assertEqual(sorted(office), ["ANY /office/{proxy+}", "GET /office",
                                          "GET /office/auth/callback", "GET /office/auth/login"])
        others = {k.split(" ", 1)[1] for k, v in self.routes.items() if v != ["OfficeFunction"]}
        self.assertEqual(sorted(p for p in others if p.startswith("/office")), [])
        settings = self.template["Resources"]["HttpApi"]["Properties"]["RouteSettings"]
        for route in ("GET /office/auth/login", "GET /office/auth/callback"):
            self.assertEqual(settings[route], settings["POST /oauth2/login"], route)

    def test_the_template_routes_exactly_the_portals_pages(self):
        """What `varoskapu_portal::router` routes (read from its source, as rustfmt writes
        it) is what the template sends PortalFunction, the stylesheet besides: a page the
        template lacks would be API Gateway's 404 on AWS while it works locally."""
        import pathlib
        import re
        source = (pathlib.Path(__file__).resolve().parents[2] / "functions/portal/src/lib.rs").read_text()
        router = source[source.index("pub fn router"):]
        routed = set()
        for m in re.finditer(r"\.route\(\s*([^,]+),\s*((?:get|post)\([^)]*\)(?:\s*\.(?:get|post)\([^)]*\))*)", router):
            path = {"config::CALLBACK_PATH": "/auth/callback"}.get(m.group(1).strip(), m.group(1).strip().strip('"'))
            routed |= {f"{method.upper()} {path}" for method in re.findall(r"(get|post)\(", m.group(2))}
        self.assertGreater(len(routed), 10, "the portal's router could not be read")
        portal = {k for k, v in self.routes.items() if v == ["PortalFunction"]} - {"GET /assets/site.css"}
        self.assertEqual(sorted(routed - portal), [], "routed by the portal, not by the template")
        self.assertEqual(sorted(portal - routed), [], "in the template, not routed by the portal")
