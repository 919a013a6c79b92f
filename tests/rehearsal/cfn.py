"""The SAM template as CloudFormation would see it: YAML with its short-form tags,
parameters (defaults, samconfig.toml's overrides, the rehearsal's own), conditions and the
intrinsic functions the template uses, resolved against the names and ARNs of the
resources the rehearsal created on moto.

Only what the template uses is implemented; anything else raises `Unsupported`, so a new
construct in the template stops the rehearsal instead of being silently mis-resolved.
"""

import re
import shlex
import tomllib

import yaml

ACCOUNT = "123456789012"
REGION = "eu-central-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"


class Unsupported(Exception):
    pass


class _Loader(yaml.SafeLoader):
    pass


def _tag(name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}
    return construct


for _short, _long in {
    "Ref": "Ref", "GetAtt": "Fn::GetAtt", "Sub": "Fn::Sub", "If": "Fn::If",
    "Equals": "Fn::Equals", "Not": "Fn::Not", "And": "Fn::And", "Or": "Fn::Or",
    "Join": "Fn::Join", "Select": "Fn::Select", "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap", "Base64": "Fn::Base64", "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue", "Condition": "Condition", "Cidr": "Fn::Cidr",
}.items():
    _Loader.add_constructor("!" + _short, _tag(_long))


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)


def samconfig_overrides(path, env="default"):
    """The parameter_overrides of `sam deploy` in samconfig.toml's environment `env`."""
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        return {}
    text = config.get(env, {}).get("deploy", {}).get("parameters", {}).get(
        "parameter_overrides", "")
    if isinstance(text, list):
        text = " ".join(text)
    out = {}
    for word in shlex.split(text):
        key, _, value = word.partition("=")
        out[key] = value
    return out


NO_VALUE = object()


class Stack:
    """The template with its parameters bound; `physical` maps logical ids to what
    `Ref` returns and `attrs` to their `Fn::GetAtt` attributes (filled as resources are
    created)."""

    def __init__(self, template, parameters, stack_name="varoskapu-rehearsal"):
        self.t = template
        self.stack_name = stack_name
        self.params = parameters
        self.physical = {}
        self.attrs = {}
        self.dynamic = None  # resolves {{resolve:...}} references
        self.conditions = {}
        for name in self.t.get("Conditions", {}):
            self.condition(name)

    def resources(self, type_=None):
        for name, res in self.t.get("Resources", {}).items():
            if type_ and res.get("Type") != type_:
                continue
            if "Condition" in res and not self.condition(res["Condition"]):
                continue
            yield name, res

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.t["Conditions"][name]))
        return self.conditions[name]

    def pseudo(self, name):
        return {
            "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX, "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.stack_name}/rehearsal",
            "AWS::NoValue": NO_VALUE,
        }[name]

    def ref(self, name):
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.params:
            return self.params[name]
        if name in self.physical:
            return self.physical[name]
        raise Unsupported(f"Ref {name}: no such parameter, or the resource is not emulated")

    def getatt(self, name, attr):
        try:
            return self.attrs[name][attr]
        except KeyError:
            raise Unsupported(f"GetAtt {name}.{attr} is not emulated") from None

    def sub(self, text, variables=None):
        variables = variables or {}

        def one(match):
            var = match.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"
            if var in variables:
                return str(self.resolve(variables[var]))
            if "." in var and not var.startswith("AWS::"):
                res, attr = var.split(".", 1)
                return str(self.getatt(res, attr))
            return str(self.ref(var))
        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, node):
        """The value of a template node, intrinsic functions applied; AWS::NoValue
        removes keys and list items."""
        if isinstance(node, list):
            return [v for v in (self.resolve(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return self.resolve_dynamic(node) if isinstance(node, str) else node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                res, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.getatt(res, attr)
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self.resolve_dynamic(self.sub(arg[0], arg[1]))
                return self.resolve_dynamic(self.sub(arg))
            if key == "Fn::If":
                cond, yes, no = arg
                return self.resolve(yes if self.condition(cond) else no)
            if key == "Fn::Equals":
                a, b = (self.resolve(x) for x in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(x) for x in arg)
            if key == "Fn::Or":
                return any(self.resolve(x) for x in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(x) for x in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key.startswith("Fn::"):
                raise Unsupported(f"{key} is not emulated")
        out = {}
        for k, v in node.items():
            value = self.resolve(v)
            if value is not NO_VALUE:
                out[k] = value
        return out

    def resolve_dynamic(self, text):
        if "{{resolve:" not in text:
            return text
        if self.dynamic is None:
            raise Unsupported("a dynamic reference before the stack's resources exist")
        return re.sub(r"\{\{resolve:([^}]+)\}\}", lambda m: self.dynamic(m.group(1)), text)


def bind_parameters(template, *layers):
    """Parameter values in CloudFormation's order (default, then each layer of overrides),
    checked against AllowedValues, AllowedPattern and lengths. Returns (values, problems)."""
    values, problems = {}, []
    for name, spec in template.get("Parameters", {}).items():
        value = spec.get("Default")
        for layer in layers:
            if name in layer:
                value = layer[name]
        if value is None:
            problems.append(f"parameter {name} has no default and no value")
            continue
        value = str(value)
        if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
            problems.append(f"parameter {name}={value!r} is not among {spec['AllowedValues']}")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
            problems.append(f"parameter {name}={value!r} does not match {spec['AllowedPattern']}")
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            problems.append(f"parameter {name} is shorter than {spec['MinLength']}")
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            problems.append(f"parameter {name} is longer than {spec['MaxLength']}")
        values[name] = value
    return values, problems
