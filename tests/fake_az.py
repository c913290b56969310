"""A recording stand-in for the Azure CLI, for ``tests/test_deploy_scripts.py``.

``install(bin_dir, python_log)`` writes this file as ``bin_dir/az``, its first line the Python
that runs the tests, and a ``python3`` that records its arguments before it becomes that Python. Put
``bin_dir`` first on PATH and ``FAKE_AZ_SCENARIO`` on the scenario (a JSON file); everything the
stand-in writes goes into the scenario's folder:

* ``calls.jsonl``: each call's argv, a JSON list per line, written before the call is answered;
* ``state.json``: what Azure holds (resource groups, the app once ``main.bicep`` is deployed,
  registered providers, function keys), so that what one call makes the next one sees;
* ``saved.jsonl`` and copies: each deployment's parameters file (with its mode as found) and each
  package sent by ``config-zip``;
* ``errors.jsonl``: every error answered. ``usage`` errors are the stand-in's "no": a command,
  option, query or output format it does not know (the real az would not have run it either, or
  the stand-in cannot say what it answers). ``azure`` errors are what Azure answers (a resource
  that does not exist, a webhook handshake that fails). A test reads this file, because the
  scripts hide some errors on purpose (``2>/dev/null || true``).

Answers are what the real az prints: the command's whole response, shaped as Azure returns it,
through ``--query`` (the JMESPath the scripts use: paths, quoted names, multi-select lists, ``[]``
and ``[?a=='b']`` projections) and ``-o`` (knack's json and tsv formatting; nothing at all for a
null result). Deployment outputs come back with ARM's camel-casing of the names
(``azurE_FUNCTION_APP_NAME``), and a deployment is checked against the template's ``param``
declarations as ARM checks it (names, required ones, JSON types, ``@allowed``, lengths, values).

Standard library only: it runs outside pytest, on the tests' interpreter.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import sys
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SCENARIO_VARIABLE = "FAKE_AZ_SCENARIO"

ALIASES = {"-g": "--resource-group", "-n": "--name", "-l": "--location", "-f": "--template-file",
           "-p": "--parameters", "-o": "--output"}
FLAGS = {"--only-show-errors", "--wait"}
GLOBAL_OPTIONS = {"--query", "--output", "--only-show-errors"}
# Azure Resource Manager commands also take --subscription (az ad and the token do not)
NOT_ARM = {("ad", "signed-in-user", "show"), ("ad", "sp", "show"), ("account", "get-access-token")}
APP = {"--resource-group", "--name"}

# command words -> (options it needs, other options it takes); global options go with every one
COMMANDS: dict[tuple[str, ...], tuple[set[str], set[str]]] = {
    ("account", "show"): (set(), set()),
    ("account", "get-access-token"): (set(), set()),
    ("ad", "signed-in-user", "show"): (set(), set()),
    ("ad", "sp", "show"): ({"--id"}, set()),
    ("provider", "show"): ({"--namespace"}, set()),
    ("provider", "register"): ({"--namespace"}, {"--wait"}),
    ("keyvault", "list-deleted"): (set(), {"--resource-type"}),
    ("group", "create"): ({"--name", "--location"}, set()),
    ("deployment", "group", "create"): ({"--resource-group", "--template-file"},
                                        {"--name", "--parameters"}),
    ("functionapp", "deployment", "source", "config-zip"): (APP | {"--src"}, {"--build-remote"}),
    ("functionapp", "show"): (APP, set()),
    ("functionapp", "function", "list"): (APP, set()),
    ("functionapp", "keys", "list"): (APP, set()),
    ("functionapp", "function", "keys", "list"): (APP | {"--function-name"}, set()),
    ("functionapp", "function", "keys", "set"): (APP | {"--function-name", "--key-name"},
                                                 {"--key-value"}),
    ("eventgrid", "system-topic", "event-subscription", "create"): (
        {"--name", "--resource-group", "--system-topic-name", "--endpoint"},
        {"--endpoint-type", "--included-event-types", "--subject-begins-with",
         "--max-delivery-attempts", "--event-ttl"}),
}


class Failure(Exception):
    """An error az prints (``ERROR: ...`` on stderr) with its exit status."""

    def __init__(self, message: str, code: int = 1, kind: str = "azure") -> None:
        super().__init__(message)
        self.message, self.code, self.kind = message, code, kind


def usage(message: str) -> Failure:
    return Failure(message, 2, kind="usage")


# -- the command line -----------------------------------------------------------------------------
def command_words(argv: list[str]) -> tuple[str, ...]:
    words = []
    for token in argv:
        if token.startswith("-"):
            break
        words.append(token)
    return tuple(words)


def parse(argv: list[str]) -> tuple[tuple[str, ...], dict[str, str | bool]]:
    words = command_words(argv)
    if words not in COMMANDS:
        raise usage(f"'{' '.join(words)}' is not a command the stand-in knows (argv: {argv})")
    needed, taken = COMMANDS[words]
    options: dict[str, str | bool] = {}
    rest = argv[len(words):]
    i = 0
    while i < len(rest):
        token = rest[i]
        name = ALIASES.get(token, token)
        arm = set() if words in NOT_ARM else {"--subscription"}
        if not token.startswith("-") or name not in needed | taken | GLOBAL_OPTIONS | arm:
            raise usage(f"unrecognized arguments: {token}")
        if name in options:
            raise usage(f"{name} given twice")
        if name in FLAGS:
            options[name] = True
            i += 1
            continue
        if i + 1 >= len(rest):
            raise usage(f"argument {name}: expected one argument")
        options[name] = rest[i + 1]
        i += 2
    missing = sorted(needed - set(options))
    if missing:
        raise usage(f"the following arguments are required: {', '.join(missing)}")
    return words, options


# -- --query: the part of JMESPath the scripts use ---------------------------------------------------
FIELD = r'(?:"[^"\\]*"|[A-Za-z_][A-Za-z0-9_]*)'
PATH = rf"{FIELD}(?:\.{FIELD})*"


def _path(path: str, data):
    for field in re.findall(FIELD, path):
        if not isinstance(data, dict):
            return None
        data = data.get(field.strip('"'))
    return data


def _select(expression: str):
    """A projection's right-hand side: nothing, ``.path`` or ``.[path, path]``."""
    if expression == "":
        return lambda item: item
    if expression.startswith("."):
        inner = expression[1:]
        if re.fullmatch(PATH, inner):
            return lambda item: _path(inner, item)
        multi = _multiselect(inner)
        if multi is not None:
            return multi
    raise usage(f"the stand-in does not evaluate this projection: {expression!r}")


def _multiselect(expression: str):
    if not (expression.startswith("[") and expression.endswith("]")):
        return None
    parts = [part.strip() for part in expression[1:-1].split(",")]
    if not all(re.fullmatch(PATH, part) for part in parts):
        return None
    return lambda data: None if data is None else [_path(part, data) for part in parts]


def _project(items, select):
    if not isinstance(items, list):
        return None
    return [value for value in (select(item) for item in items) if value is not None]


def compile_query(expression: str):
    """A function of the response, as ``jmespath.search(expression, response)``."""
    text = expression.strip()
    found = re.fullmatch(rf"\[\?\s*({PATH})\s*==\s*'([^'\\]*)'\s*\](.*)", text, flags=re.S)
    if found:
        left, literal, select = found[1], found[2], _select(found[3])
        return lambda data: _project(
            [item for item in data if _path(left, item) == literal] if isinstance(data, list) else None,
            select)
    found = re.fullmatch(r"\[\](.*)", text, flags=re.S)
    if found:
        select = _select(found[1])
        return lambda data: _project(data, select)
    multi = _multiselect(text)
    if multi is not None:
        return multi
    if re.fullmatch(PATH, text):
        return lambda data: _path(text, data)
    raise usage(f"the stand-in does not evaluate the query {expression!r}")


# -- -o: knack's formatting ---------------------------------------------------------------------------
def _tsv_cell(value) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict):
        return ""
    return value if isinstance(value, str) else str(value)


def _tsv_row(row) -> str:
    if isinstance(row, dict):
        return "\t".join(_tsv_cell(value) for _, value in sorted(row.items()))
    if isinstance(row, list):
        return "\t".join(_tsv_cell(value) for value in row)
    if isinstance(row, bool):
        return str(row).lower()
    return _tsv_cell(row)


def render(result, output: str) -> str:
    if result is None:  # az prints nothing for a null result, in any format
        return ""
    if output == "json":
        return json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True,
                          separators=(",", ": ")) + "\n"
    if output == "tsv":
        rows = result if isinstance(result, list) else [result]
        return "".join(_tsv_row(row) + "\n" for row in rows)
    raise usage(f"the stand-in does not produce -o {output}")


def arm_case(name: str) -> str:
    """An output name as ARM returns it: Newtonsoft's old camel-casing (the leading capitals
    lowered up to the last one before a non-capital), AZURE_FUNCTION_APP_NAME -> azurE_FUNCTION_APP_NAME."""
    if not name or not name[0].isupper():
        return name
    chars = list(name)
    for i, char in enumerate(chars):
        if i == 1 and not char.isupper():
            break
        if i > 0 and i + 1 < len(chars) and not chars[i + 1].isupper():
            break
        chars[i] = char.lower()
    return "".join(chars)


# -- templates, as ARM checks a deployment ------------------------------------------------------------
ARM_TYPES = {"string": (str, "String"), "securestring": (str, "SecureString"), "int": (int, "Int"),
             "bool": (bool, "Bool"), "object": (dict, "Object"), "secureobject": (dict, "SecureObject"),
             "array": (list, "Array")}


def declarations(bicep: str) -> tuple[dict[str, dict], dict[str, str]]:
    """(params: name -> type, required, decorators; outputs: name -> type) of a template."""
    params: dict[str, dict] = {}
    outputs: dict[str, str] = {}
    decorators: list[str] = []
    lines = iter(bicep.splitlines())
    for line in lines:
        text = line.strip()
        if text.startswith("@"):
            while text.startswith("@allowed(") and text.count("[") > text.count("]"):
                text += " " + next(lines, "]").strip()  # one value a line
            decorators.append(text)
            continue
        found = re.match(r"param (\w+) (\w+)\s*(=)?", text)
        if found:
            params[found[1]] = {"type": found[2], "required": found[3] is None,
                                "decorators": decorators}
        found_output = re.match(r"output (\w+) (\w+)", text)
        if found_output:
            outputs[found_output[1]] = found_output[2]
        if text and not text.startswith("//"):
            decorators = []
    return params, outputs


def _literal(token: str):
    if token.startswith("'"):
        return token[1:-1]
    return {"true": True, "false": False}.get(token, int(token) if re.fullmatch(r"-?\d+", token) else token)


def check_parameters(template: Path, document) -> None:
    where = "InvalidTemplate: Deployment template validation failed: "
    if not isinstance(document, dict) or not isinstance(document.get("parameters"), dict):
        raise Failure("Unable to parse parameter: the parameters file has no \"parameters\" object")
    declared, _ = declarations(template.read_text(encoding="utf-8"))
    given = document["parameters"]
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise Failure(f"{where}'The template parameters '{', '.join(unknown)}' in the parameters file "
                      "are not valid; they are not present in the original template and can therefore "
                      f"not be provided at deployment time. The only supported parameters for this "
                      f"template are '{', '.join(declared)}'.'")
    for name, spec in declared.items():
        if name not in given:
            if spec["required"]:
                raise Failure(f"{where}'The value for the template parameter '{name}' is not provided.'")
            continue
        entry = given[name]
        if not isinstance(entry, dict) or set(entry) != {"value"}:
            raise usage(f"parameter {name}: the stand-in takes only {{\"value\": ...}} entries")
        value = entry["value"]
        if spec["type"].lower() not in ARM_TYPES:
            raise usage(f"parameter {name}: the stand-in does not know the type {spec['type']}")
        python_type, arm_name = ARM_TYPES[spec["type"].lower()]
        if not isinstance(value, python_type) or (python_type is int and isinstance(value, bool)):
            raise Failure(f"{where}'Template parameter JToken type is not valid. Expected '{arm_name}'. "
                          f"Actual '{type(value).__name__}'. Please see https://aka.ms/arm-deploy for "
                          f"usage details.' (parameter '{name}')")
        for decorator in spec["decorators"]:
            allowed = re.fullmatch(r"@allowed\(\s*\[(.*)\]\s*\)", decorator)
            if allowed:
                options = [_literal(t) for t in re.findall(r"'[^']*'|[^\s,']+", allowed[1])]
                if value not in options:
                    raise Failure(f"{where}'The provided value '{value}' for the template parameter "
                                  f"'{name}' is not valid. The parameter value is not part of the "
                                  f"allowed value(s): '{','.join(map(str, options))}'.'")
            bound = re.fullmatch(r"@(minLength|maxLength|minValue|maxValue)\((-?\d+)\)", decorator)
            if bound:
                kind, limit = bound[1], int(bound[2])
                size = value if kind.endswith("Value") else len(value)
                if (size < limit) if kind.startswith("min") else (size > limit):
                    raise Failure(f"{where}'The provided value for the template parameter '{name}' "
                                  f"is not valid: {kind} is {limit}.'")


# -- the commands -------------------------------------------------------------------------------------
class Call:
    def __init__(self, folder: Path, scenario: dict, state: dict, options: dict, number: int) -> None:
        self.folder, self.scenario, self.state = folder, scenario, state
        self.options, self.number = options, number

    @property
    def main_outputs(self) -> dict:
        return self.scenario["outputs"]["main"]

    def save(self, record: dict) -> None:
        with open(self.folder / "saved.jsonl", "a", encoding="utf-8") as saved:
            saved.write(json.dumps(record) + "\n")

    def subscription(self) -> str:
        """The subscription a call acts on: --subscription, else az's default (the scenario's
        ``default_subscription``, the one holding the resources unless a test says otherwise)."""
        default = self.scenario.get("default_subscription", self.scenario["subscription"])
        return str(self.options.get("--subscription") or default)

    def resource_group(self) -> str:
        group = self.options["--resource-group"]
        if group not in self.state["groups"]:
            raise Failure(f"(ResourceGroupNotFound) Resource group '{group}' could not be found.", 3)
        return group

    def app(self) -> str:
        group, name = self.resource_group(), self.options["--name"]
        if self.state["app"] != group or name != self.main_outputs["AZURE_FUNCTION_APP_NAME"]:
            raise Failure(f"(ResourceNotFound) The Resource 'Microsoft.Web/sites/{name}' under resource "
                          f"group '{group}' was not found.", 3)
        return name

    def indexed(self) -> list[str]:
        lists = self.scenario["function_lists"]
        return lists[min(self.number, len(lists)) - 1]


def account_show(call: Call):
    s = call.scenario
    return {"environmentName": "AzureCloud", "id": call.subscription(), "isDefault": True,
            "name": "VISH", "state": "Enabled", "tenantId": s["tenant"], "user": s["user"]}


def get_access_token(call: Call):
    """A token of the logged-in account; its payload carries the object id ("oid")."""
    s = call.scenario
    user = s["user"]
    if user["type"] == "user":
        oid = s["signed_in_object_id"]
    else:
        oid = s["service_principals"].get(user["name"]) or s.get("managed_identity_object_id")

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"aud": "https://management.core.windows.net/", "oid": oid, "tid": s["tenant"],
              "name": ""}
    while len(part(claims)) % 4 == 0:  # as real tokens mostly are: base64url without its padding
        claims["name"] += "x"
    token = ".".join([part({"alg": "RS256", "typ": "JWT"}), part(claims), "c2lnbmF0dXJl"])
    return {"accessToken": token, "expiresOn": "2026-11-29 18:00:00.000000",
            "subscription": s["subscription"], "tenant": s["tenant"], "tokenType": "Bearer"}


def signed_in_user_show(call: Call):
    user = call.scenario["user"]
    if user["type"] != "user":
        raise Failure("/me request is only valid with delegated authentication flow.")
    return {"displayName": "Beheer", "id": call.scenario["signed_in_object_id"],
            "userPrincipalName": user["name"]}


def sp_show(call: Call):
    app_id = call.options["--id"]
    object_id = call.scenario["service_principals"].get(app_id)
    if object_id is None:
        raise Failure(f"Resource '{app_id}' does not exist or one of its queried reference-property "
                      "objects are not present.", 3)
    return {"appId": app_id, "id": object_id, "servicePrincipalType": "Application"}


def provider_show(call: Call):
    namespace = call.options["--namespace"]
    state = call.state["providers"].get(namespace) or call.scenario["providers"].get(namespace, "Registered")
    return {"id": f"/subscriptions/{call.scenario['subscription']}/providers/{namespace}",
            "namespace": namespace, "registrationState": state}


def provider_register(call: Call):
    call.state["providers"][call.options["--namespace"]] = "Registered"
    return None


def keyvault_list_deleted(call: Call):
    if call.options.get("--resource-type", "vault") != "vault":
        raise usage("the stand-in lists deleted vaults only")
    if call.scenario.get("list_deleted_forbidden"):
        raise Failure("(AuthorizationFailed) The client does not have authorization to perform "
                      "action 'Microsoft.KeyVault/deletedVaults/read'")
    return call.scenario["deleted_vaults"]


def group_create(call: Call):
    name, location = call.options["--name"], call.options["--location"]
    if name not in call.state["groups"]:
        call.state["groups"].append(name)
    return {"id": f"/subscriptions/{call.scenario['subscription']}/resourceGroups/{name}",
            "location": location, "managedBy": None, "name": name,
            "properties": {"provisioningState": "Succeeded"}, "tags": None,
            "type": "Microsoft.Resources/resourceGroups"}


def deployment_create(call: Call):
    group = call.resource_group()
    template = Path(call.options["--template-file"])
    if not template.is_file():
        raise Failure(f"the template file {template} does not exist", 2)
    stem = template.stem
    reference = call.options.get("--parameters")
    if not isinstance(reference, str) or not reference.startswith("@"):
        raise usage("the stand-in takes parameters only as @FILE")
    source = Path(reference[1:])
    if stem in call.scenario.get("hang_on", ()):  # a slow deployment, to be interrupted
        (call.folder / f"hanging-{stem}").write_text(str(os.getpid()))
        import time

        time.sleep(60)
    mode = stat.S_IMODE(os.stat(source).st_mode)
    copy = call.folder / f"deployment-{call.number}-{stem}.parameters.json"
    shutil.copyfile(source, copy)
    call.save({"kind": "parameters", "template": stem, "copy": str(copy), "mode": mode,
               "name": call.options.get("--name")})
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise Failure(f"Failed to parse JSON file {source}: {exc}") from None
    check_parameters(template, document)
    if stem != "main" and not call.state["app"]:
        raise Failure("(ResourceNotFound) the resources this template refers to do not exist yet", 3)
    _, declared = declarations(template.read_text(encoding="utf-8"))
    values = call.scenario["outputs"].get(stem, {})
    if set(values) != set(declared):
        raise Failure(f"scenario outputs for {stem} {sorted(values)} differ from the template's "
                      f"{sorted(declared)}", 1, kind="usage")
    if stem == "main":
        call.state["app"] = group  # the function app now exists, in this group
    outputs = {arm_case(name): {"type": ARM_TYPES[kind.lower()][1], "value": values[name]}
               for name, kind in declared.items()}
    name = call.options.get("--name", stem)
    return {"id": f"/subscriptions/{call.scenario['subscription']}/resourceGroups/{group}/providers/"
                  f"Microsoft.Resources/deployments/{name}",
            "name": name, "properties": {"mode": "Incremental", "outputs": outputs,
                                         "provisioningState": "Succeeded"},
            "resourceGroup": group, "type": "Microsoft.Resources/deployments"}


def config_zip(call: Call):
    call.app()
    source = Path(call.options["--src"])
    if not zipfile.is_zipfile(source):
        raise Failure(f"{source} is not a zip file")
    if call.options.get("--build-remote", "false") not in ("true", "false"):
        raise usage("--build-remote takes true or false")
    if call.scenario.get("build_fails"):  # az polls the remote build and exits 1 when it fails
        raise Failure("Deployment failed. Correlation ID: 0000. Check the deployment log.")
    copy = call.folder / f"package-{call.number}.zip"
    shutil.copyfile(source, copy)
    call.save({"kind": "package", "copy": str(copy),
               "build_remote": call.options.get("--build-remote", "false")})
    return {"active": True, "complete": True, "status": 4, "status_text": ""}


def functionapp_show(call: Call):
    """A Flex Consumption app: az returns the resource as ARM does (azure-cli's show_functionapp
    calls get_raw_functionapp for Flex), so everything is under ``properties``."""
    name = call.app()
    group = call.options["--resource-group"]
    return {"id": f"/subscriptions/{call.subscription()}/resourceGroups/{group}/providers/"
                  f"Microsoft.Web/sites/{name}",
            "kind": "functionapp,linux", "location": "West Europe", "name": name,
            "type": "Microsoft.Web/sites",
            "properties": {"defaultHostName": call.main_outputs["AZURE_FUNCTION_HOST"],
                           "state": "Running", "sku": "FlexConsumption",
                           "functionAppConfig": {"runtime": call.scenario["runtime"],
                                                 "scaleAndConcurrency": {"instanceMemoryMB": 512,
                                                                         "maximumInstanceCount": 40}}}}


def function_list(call: Call):
    app = call.app()
    return [{"id": f"/sites/{app}/functions/{name}", "isDisabled": False, "name": f"{app}/{name}",
             "type": "Microsoft.Web/sites/functions"} for name in call.indexed()]


def blob_key(call: Call, number: int) -> str | None:
    return call.scenario["blob_key"] if number > call.scenario["blob_key_after"] else None


def keys_list(call: Call):
    call.app()
    key = blob_key(call, call.number)
    return {"functionKeys": {"default": call.scenario["default_host_key"]},
            "masterKey": call.scenario["master_key"],
            "systemKeys": {"blobs_extension": key} if key else {}}


def _function(call: Call) -> str:
    name = call.options["--function-name"]
    everything = call.scenario["function_lists"][-1]
    if name not in everything:
        raise Failure(f"(NotFound) Function {name} does not exist", 3)
    return name


def function_keys(call: Call) -> dict:
    name = _function(call)
    keys = call.state["function_keys"]
    if name not in keys:
        keys[name] = dict(call.scenario["function_keys"].get(name, {}))
    return keys[name]


def function_keys_list(call: Call):
    call.app()
    keys = dict(function_keys(call))
    for hidden in call.scenario.get("unreadable_keys", ()):  # a key made but not (yet) listed
        keys.pop(hidden, None)
    return keys


def function_keys_set(call: Call):
    app = call.app()
    keys = function_keys(call)
    key_name = call.options["--key-name"]
    keys[key_name] = call.options.get("--key-value") or call.scenario["generated_function_key"]
    # azure-cli 2.60+ (PR 27611) hides the key it made: value null and a warning on stderr
    if not call.options.get("--only-show-errors"):
        print("WARNING: Keys have been redacted. Use `az functionapp function keys list` to view.",
              file=sys.stderr)
    return {"id": f"/sites/{app}/functions/{call.options['--function-name']}/keys/{key_name}",
            "name": key_name, "type": "Microsoft.Web/sites/functions/keys", "value": None}


def event_subscription_create(call: Call):
    call.resource_group()
    topic = call.options["--system-topic-name"]
    if topic != call.main_outputs["AZURE_EVENTGRID_TOPIC"]:
        raise Failure(f"(ResourceNotFound) The Resource 'Microsoft.EventGrid/systemTopics/{topic}' "
                      "was not found.", 3)
    endpoint = urlsplit(call.options["--endpoint"])
    # Event Grid's validation handshake: the blob extension's webhook answers only with its key.
    issued = [blob_key(call, n) for n in range(1, count(call.folder, ("functionapp", "keys", "list")) + 1)]
    code = parse_qs(endpoint.query).get("code", [None])[0]
    if (endpoint.scheme != "https" or endpoint.hostname != call.main_outputs["AZURE_FUNCTION_HOST"]
            or endpoint.path != "/runtime/webhooks/blobs" or code is None or code not in issued):
        raise Failure(f"(URL validation) Webhook validation handshake failed for "
                      f"{endpoint.scheme}://{endpoint.netloc}{endpoint.path}. Http POST request failed "
                      "with response code Unauthorized.")
    return {"destination": {"endpointType": "WebHook", "endpointBaseUrl": f"https://{endpoint.netloc}"
                            f"{endpoint.path}"}, "name": call.options["--name"],
            "provisioningState": "Succeeded"}


HANDLERS = {
    ("account", "show"): account_show,
    ("account", "get-access-token"): get_access_token,
    ("ad", "signed-in-user", "show"): signed_in_user_show,
    ("ad", "sp", "show"): sp_show,
    ("provider", "show"): provider_show,
    ("provider", "register"): provider_register,
    ("keyvault", "list-deleted"): keyvault_list_deleted,
    ("group", "create"): group_create,
    ("deployment", "group", "create"): deployment_create,
    ("functionapp", "deployment", "source", "config-zip"): config_zip,
    ("functionapp", "show"): functionapp_show,
    ("functionapp", "function", "list"): function_list,
    ("functionapp", "keys", "list"): keys_list,
    ("functionapp", "function", "keys", "list"): function_keys_list,
    ("functionapp", "function", "keys", "set"): function_keys_set,
    ("eventgrid", "system-topic", "event-subscription", "create"): event_subscription_create,
}


# -- the process --------------------------------------------------------------------------------------
def read_lines(path: Path) -> list:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def count(folder: Path, words: tuple[str, ...]) -> int:
    return sum(1 for argv in read_lines(folder / "calls.jsonl") if command_words(argv) == words)


def main(argv: list[str]) -> int:
    scenario_file = Path(os.environ[SCENARIO_VARIABLE])
    folder = scenario_file.parent
    with open(folder / "calls.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    scenario = json.loads(scenario_file.read_text(encoding="utf-8"))
    state_file = folder / "state.json"
    state = (json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists()
             else {"groups": [], "app": None, "providers": {}, "function_keys": {}})
    try:
        words, options = parse(argv)
        query = compile_query(str(options["--query"])) if "--query" in options else None
        output = str(options.get("--output", "json"))
        if output not in ("json", "tsv"):
            raise usage(f"the stand-in does not produce -o {output}")
        call = Call(folder, scenario, state, options, count(folder, words))
        if (words not in NOT_ARM and words != ("account", "show")
                and call.subscription() != scenario["subscription"]):
            raise Failure(f"(SubscriptionMismatch) subscription {call.subscription()} holds none of "
                          "this deployment's resources", 3)
        result = HANDLERS[words](call)
        state_file.write_text(json.dumps(state), encoding="utf-8")
        text = render(query(result) if query else result, output)
    except Failure as failure:
        with open(folder / "errors.jsonl", "a", encoding="utf-8") as errors:
            errors.write(json.dumps({"argv": argv, "kind": failure.kind, "message": failure.message}) + "\n")
        print(f"ERROR: {failure.message}", file=sys.stderr)
        return failure.code
    sys.stdout.write(text)
    return 0


PYTHON3 = '''
import json, os, sys
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
'''


def install(bin_dir: Path, python_log: Path) -> None:
    """``bin_dir/az`` (this file) and ``bin_dir/python3`` (records its argv in ``python_log``, then
    runs as the tests' Python), both with the tests' interpreter in their first line."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shebang = f"#!{sys.executable}\n"
    az = bin_dir / "az"
    az.write_text(shebang + Path(__file__).read_text(encoding="utf-8"), encoding="utf-8")
    python3 = bin_dir / "python3"
    python3.write_text(shebang + PYTHON3.format(log=str(python_log)), encoding="utf-8")
    for path in (az, python3):
        path.chmod(0o755)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
