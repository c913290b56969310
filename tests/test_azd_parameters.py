"""``infra-bicep/main.parameters.json`` as azd fills it, against main.bicep's parameter types.

No azd here, so its algorithm is re-done (Azure/azure-dev, cli/azd/pkg/infra/provisioning/bicep/
bicep_provider.go, ``loadParameters``), following the source rather than the documentation:

* the file is parsed as JSON first; substitution is per parameter;
* a parameter that main.bicep declares ``object`` or ``array`` whose value is a string: the
  ``${...}`` references in that string are replaced, and the result is parsed as JSON (an
  unset variable leaves the parameter out);
* every other parameter: its entry is serialised to JSON text, the references in that *text* are
  replaced raw (no escaping: a quote in the value ends the JSON string), and the text is parsed
  again; a value that came out empty from an unset variable leaves the parameter out;
* references are drone/envsubst's: ``${NAME}``, ``${NAME=default}`` and ``${NAME:-default}``
  (the default also when the variable is empty).

This is what broke the first ``azd up``: the organisations document pasted raw into a string
parameter. The test below proves that the old form fails in this model, and the new one works.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parent.parent / "infra-bicep"
REFERENCE = re.compile(r"\$\{(\w+)(?::?[=-]([^}]*))?\}")


class AzdParameterError(ValueError):
    pass


@cache
def bicep_parameters() -> dict:
    from pycep import BicepParser

    return BicepParser().parse(file_path=INFRA / "main.bicep")["parameters"]


def envsubst(text: str, environ: dict[str, str]) -> tuple[str, bool]:
    """(the text with references replaced, whether any referenced variable was unset)."""
    unset = False

    def one(match: re.Match) -> str:
        nonlocal unset
        value = environ.get(match.group(1), "")
        if match.group(1) not in environ:
            unset = True
        return value if value or match.group(2) is None else match.group(2)

    return REFERENCE.sub(one, text), unset


def azd_fill(file_text: str, types: dict[str, str], environ: dict[str, str]) -> dict:
    document = json.loads(file_text)
    filled = {}
    for name, entry in document["parameters"].items():
        value = entry.get("value")
        if types.get(name) in ("object", "array") and isinstance(value, str):
            replaced, unset = envsubst(value, environ)
            if not replaced and unset:
                continue
            try:
                filled[name] = {"value": json.loads(replaced)}
            except ValueError as exc:
                raise AzdParameterError(f"substituting parameter '{name}': not valid JSON") from exc
            continue
        text, unset = envsubst(json.dumps(entry), environ)
        try:
            entry = json.loads(text)
        except ValueError as exc:
            raise AzdParameterError(f"error unmarshalling Bicep template parameters: {name}") from exc
        if entry.get("value") == "" and unset:
            continue
        filled[name] = entry
    return filled


PYTHON_TYPE = {"string": str, "int": int, "bool": bool, "object": dict, "array": list}

ORGANISATIONS = {"organisations": [
    {"code": "gemeente-x", "name": "Gemeente X - Schuldhulpverlening \"Samen\"",
     "aansluitcode": "SNG-1234", "gemeentecode": "0123",
     "contact": {"naam": "Team Schuldhulp", "telefoon": "14 0123",
                 "email": "schuldhulp@gemeente-x.nl"},
     "send_time": "06:00", "eligibility_rule": "toelating", "profile": "vish-minimaal",
     "sftp": {"host": "sftp.sng.example", "username": "gemeente-x", "directory": "in\\vish",
              "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests",
              "auth": "key", "secret_name": "sng-gemeente-x-key",
              "passphrase_secret": "sng-gemeente-x-passphrase"}},
    {"code": "wijkteam-noord", "name": "Wijkteam Noord (ééntje)", "aansluitcode": "SNG-1235",
     "gemeentecode": "0123", "send_time": "07:30", "eligibility_rule": "startdatum",
     "sftp": {"host": "sftp.sng.example", "username": "wijkteam-noord", "auth": "password",
              "secret_name": "sng-wijkteam-noord-password"}}]}


def realistic_environment(**changes: str) -> dict[str, str]:
    """What ``azd env set`` and azd itself put in the environment (README, Deploy)."""
    environ = {
        "AZURE_ENV_NAME": "prod", "AZURE_LOCATION": "westeurope",
        "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001",
        "AZURE_PRINCIPAL_ID": "11111111-2222-3333-4444-555555555555",
        "AZURE_PRINCIPAL_TYPE": "User",
        "VISH_ALERT_EMAIL": "beheer@gemeente-x.nl",
        # azd env set VISH_ORGANISATIONS_JSON "$(cat organisations.json)": the file's text
        "VISH_ORGANISATIONS_JSON": json.dumps(ORGANISATIONS, indent=2, ensure_ascii=False),
    }
    environ.update(changes)
    return environ


def parameter_types() -> dict[str, str]:
    return {name: p["type"] for name, p in bicep_parameters().items()}


def allowed_values(name: str) -> list | None:
    for decorator in bicep_parameters()[name].get("decorators", []):
        if decorator.get("type") == "allowed":
            return decorator["argument"]
    return None


@pytest.mark.parametrize("changes", [
    {},
    {"AZURE_PRINCIPAL_TYPE": "ServicePrincipal"},
    {"VISH_KEY_VAULT_SEED": "2"},
    # compact JSON, as `azd env set VISH_ORGANISATIONS_JSON '{"organisations":[...]}'` gives it
    {"VISH_ORGANISATIONS_JSON": json.dumps(ORGANISATIONS, separators=(",", ":"))},
])
def test_azd_fills_the_parameters_file_into_values_of_the_declared_types(changes):
    environ = realistic_environment(**changes)
    text = (INFRA / "main.parameters.json").read_text(encoding="utf-8")
    filled = azd_fill(text, parameter_types(), environ)
    declared = bicep_parameters()
    assert set(filled) <= set(declared), set(filled) - set(declared)
    required = {n for n, p in declared.items() if p.get("default") is None}
    assert required <= set(filled), required - set(filled)
    for name, entry in filled.items():
        assert isinstance(entry["value"], PYTHON_TYPE[declared[name]["type"]]), name
        allowed = allowed_values(name)
        assert allowed is None or entry["value"] in allowed, (name, entry["value"])
    assert filled["organisations"]["value"] == ORGANISATIONS  # quotes, backslash, é intact
    assert filled["principalId"]["value"] == environ["AZURE_PRINCIPAL_ID"]
    assert filled["principalType"]["value"] == environ["AZURE_PRINCIPAL_TYPE"]
    assert filled.get("keyVaultNameSeed", {}).get("value", "") == environ.get("VISH_KEY_VAULT_SEED", "")
    # the app setting is string(organisations): the code reads that text back as the document
    assert json.loads(json.dumps(filled["organisations"]["value"])) == ORGANISATIONS


def test_an_unset_optional_variable_leaves_the_parameter_to_its_default():
    environ = realistic_environment()
    del environ["AZURE_PRINCIPAL_TYPE"]
    filled = azd_fill((INFRA / "main.parameters.json").read_text(), parameter_types(), environ)
    assert "principalType" not in filled and "keyVaultNameSeed" not in filled
    assert bicep_parameters()["principalType"]["default"] == "User"


def test_the_old_string_parameter_breaks_in_this_model_and_the_object_one_does_not():
    """The model is not lenient: the form that broke the first `azd up` fails here too."""
    old = ('{"parameters": {"organisationsJson": {"value": "${VISH_ORGANISATIONS_JSON}"}}}')
    with pytest.raises(AzdParameterError, match="unmarshalling"):
        azd_fill(old, {"organisationsJson": "string"}, realistic_environment())
    new = '{"parameters": {"organisations": {"value": "${VISH_ORGANISATIONS_JSON}"}}}'
    assert azd_fill(new, {"organisations": "object"}, realistic_environment()) == {
        "organisations": {"value": ORGANISATIONS}}


def test_an_organisations_document_that_is_not_json_stops_azd_with_its_own_message():
    broken = realistic_environment(VISH_ORGANISATIONS_JSON='{"organisations": [')
    with pytest.raises(AzdParameterError, match="organisations"):
        azd_fill((INFRA / "main.parameters.json").read_text(), parameter_types(), broken)


def test_every_string_parameter_in_the_file_survives_quotes_in_its_variable_or_is_literal():
    """A string parameter filled from a variable breaks azd when the value holds a quote: only
    values that cannot hold one (names, ids, an e-mail address) may be filled that way."""
    text = (INFRA / "main.parameters.json").read_text()
    types = parameter_types()
    by_reference = {name: REFERENCE.fullmatch(entry["value"]).group(1)
                    for name, entry in json.loads(text)["parameters"].items()
                    if isinstance(entry["value"], str) and REFERENCE.fullmatch(entry["value"])}
    free_text = {n for n, t in types.items() if t == "string" and n in by_reference} - {
        "environmentName", "location", "alertEmail", "principalId", "principalType",
        "keyVaultNameSeed", "secretsOfficer"}
    assert free_text == set(), f"string parameters filled with free text: {free_text}"
    assert types["organisations"] == "object" and by_reference["organisations"] == "VISH_ORGANISATIONS_JSON"


def test_the_project_requires_the_azd_whose_parameter_handling_this_model_follows():
    """Before 1.23.4 (azure-dev PR 6694) azd pasted an object parameter's variable raw into the
    file too: the first defect of the deployment again. azure.yaml refuses such an azd."""
    text = (INFRA.parent / "azure.yaml").read_text(encoding="utf-8")
    match = re.search(r"^requiredVersions:\n  azd: \"(>=\s*[\d.]+)\"$", text, flags=re.M)
    assert match, "azure.yaml has no requiredVersions.azd"
    version = tuple(int(part) for part in match.group(1).lstrip(">= ").split("."))
    assert version >= (1, 23, 4)


def test_uploaders_written_in_the_parameters_file_reach_the_template_unchanged():
    """Upload rights per organisation are an option edited in main.parameters.json (README, Deploy):
    an array literal that azd passes on as it is, next to the variables it fills in."""
    document = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    assert document["parameters"]["uploaders"] == {"value": []}
    uploaders = [{"organisation": "gemeente-x", "principalId": "aaaaaaaa-1111-2222-3333-444444444444",
                  "principalType": "Group"},
                 {"organisation": "wijkteam-noord", "principalId": "bbbbbbbb-1111-2222-3333-444444444444",
                  "principalType": "User"}]
    document["parameters"]["uploaders"] = {"value": uploaders}
    filled = azd_fill(json.dumps(document), parameter_types(), realistic_environment())
    assert filled["uploaders"] == {"value": uploaders}
    assert bicep_parameters()["uploaders"]["type"] == "array"
