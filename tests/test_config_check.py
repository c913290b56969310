"""``vish config check`` and the Dutch configuration errors: every problem at once, the
organisation and field named, template values refused, never a value echoed."""

from __future__ import annotations

import json

import pytest

from shared import config
from shared.cli import main
from shared.config import ConfigError, host_key_problem, load_organisations, parse_organisations

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILEDm9ivvy2pCzxNJxv2ywmSCLxDh7USx2iNJQgEaZmQ"
ECDSA = ("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI562Gn3iW56JRawgk"
         "Y46ykw9YzqNYbxG6DGMtVHprIfzvkVaiW/rX9Pg0BvuhoepS2l69oDTgVKQZ/z/L3FuY0=")
FINGERPRINT = "SHA256:q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"
SETTINGS = ("VISH_ORGANISATIONS_JSON", "VISH_ORGANISATIONS_FILE", "VISH_KEY_VAULT_URL",
            "VISH_LOG_LEVEL", "VISH_MAX_EXTRACT_BYTES", "VISH_STORAGE_ACCOUNT_NAME",
            "AzureWebJobsStorage__accountName", "VISH_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage",
            "VISH_BLOB_SERVICE_URI", "VISH_TABLE_SERVICE_URI", "AzureWebJobsStorage__blobServiceUri",
            "AzureWebJobsStorage__tableServiceUri", "VISH_SECRETS_DIR", "VISH_WORK_DIR",
            "VISH_DELIVERY_SCHEDULE", "WEBSITE_INSTANCE_ID")


def organisation(code: str = "gemeente-a", **sftp) -> dict:
    return {"code": code, "name": "Gemeente X", "aansluitcode": "SNG-4711",
            "contact": {"naam": "Team Schuldhulp", "telefoon": "14 0345",
                        "email": "schuldhulp@gemeente-a.nl"},
            "sftp": {"host": "sftp.sng.nl", "username": "gemeente-a", "host_key": ED25519,
                     "secret_name": "sng-gemeente-a-key", **sftp}}


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VISH_KEY_VAULT_URL", "https://kv-vish-prod.vault.azure.net/")
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


def run(monkeypatch, capsys, *organisations: dict, args=(), **env) -> tuple[int, str]:
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", json.dumps({"organisations": list(organisations)}))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["config", "check", *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


def test_a_sound_configuration_is_in_order(monkeypatch, capsys):
    code, out = run(monkeypatch, capsys, organisation(), organisation("wijkteam-noord", host_key=ECDSA),
                    organisation("gemeente-y", host_key=FINGERPRINT))
    assert (code, out) == (0, "Configuratie controleren (zonder netwerk)\n"
                              "  organisaties uit VISH_ORGANISATIONS_JSON: 3 (gemeente-a, "
                              "wijkteam-noord, gemeente-y)\n"
                              "Configuratie in orde.\n")


def test_the_readme_template_is_refused_with_every_placeholder_named(monkeypatch, capsys):
    template = organisation(host="sftp.sng.example", host_key="ssh-ed25519 AAAA…(from SNG)")
    template["aansluitcode"] = "CHANGEME"
    code, out = run(monkeypatch, capsys, template)
    assert code == 1
    assert out == (
        "Configuratie controleren (zonder netwerk)\n"
        "Problemen:\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie 'gemeente-a', veld 'aansluitcode': is nog een "
        "voorbeeldwaarde uit een sjabloon (zoals '…', '<...>', '(from SNG)' of 'changeme'); vul de "
        "echte waarde in\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie 'gemeente-a', veld 'sftp.host_key': is nog een "
        "voorbeeldwaarde uit een sjabloon (zoals 'ssh-ed25519 AAAA…(from SNG)'); vraag SNG om de "
        "hostsleutel van de server en vul die in\n"
        "Configuratie NIET in orde: 2 problemen.\n")
    # once those are filled in, the example host name is the one left
    code, out = run(monkeypatch, capsys, organisation(host="sftp.sng.example"))
    assert code == 1 and out.endswith(
        "Probleem:\n"
        "  - organisatie 'gemeente-a', veld 'sftp.host': is een voorbeeldnaam (example, invalid), "
        "niet de server van SNG\n"
        "Configuratie NIET in orde: 1 probleem.\n")


def test_the_functions_refuse_the_template_on_load_in_dutch():
    template = organisation(host_key="ssh-ed25519 AAAA…(from SNG)")
    with pytest.raises(ConfigError) as exc:
        load_organisations(config.Settings(organisations_json=json.dumps(
            {"organisations": [template]})))
    assert exc.value.problems == [
        "VISH_ORGANISATIONS_JSON: organisatie 'gemeente-a', veld 'sftp.host_key': is nog een "
        "voorbeeldwaarde uit een sjabloon (zoals 'ssh-ed25519 AAAA…(from SNG)'); vraag SNG om de "
        "hostsleutel van de server en vul die in"]


@pytest.mark.parametrize(("value", "problem"), [
    ("<sleutel van SNG>", "is nog een voorbeeldwaarde uit een sjabloon (zoals 'ssh-ed25519 "
                          "AAAA…(from SNG)'); vraag SNG om de hostsleutel van de server en vul die in"),
    ("SHA256:abc", "is geen SHA256-vingerafdruk: verwacht 'SHA256:' gevolgd door 43 tekens, zoals "
                   "'ssh-keygen -lf' die toont"),
    ("sftp.sng.nl " + ED25519, "begint met een hostnaam: laat die weg en vul alleen 'type sleutel' "
                               "in, zoals 'ssh-ed25519 AAAAC3Nza...'"),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "is geen hostsleutel: verwacht 'type sleutel' zoals in "
                                       "known_hosts (type een van ssh-ed25519, ecdsa-sha2-nistp256, "
                                       "ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa) of een "
                                       "vingerafdruk 'SHA256:...'"),
    ("ssh-rsa " + ED25519.split()[1], "de sleutel hoort niet bij het type 'ssh-rsa' (knip- of "
                                      "plakfout?)"),
    ("ssh-ed25519 niet*base64", "bevat geen geldige base64-sleutel na het type"),
])
def test_host_keys_that_cannot_be_pinned_are_refused(value, problem):
    assert host_key_problem(value) == problem


@pytest.mark.parametrize("value", [ED25519, ED25519 + " sng-productie", ECDSA, FINGERPRINT,
                                   FINGERPRINT + "="])
def test_host_keys_that_can_be_pinned_pass(value):
    assert host_key_problem(value) is None


def test_a_truncated_key_loads_but_the_check_finds_it(monkeypatch, capsys):
    truncated = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"
    assert parse_organisations(json.dumps({"organisations": [organisation(host_key=truncated)]}), "x")
    code, out = run(monkeypatch, capsys, organisation(host_key=truncated))
    assert code == 1 and (
        "  - organisatie 'gemeente-a', veld 'sftp.host_key': de sleutel is onvolledig of beschadigd "
        "(knip- of plakfout?); neem de hele regel van SNG over\n") in out


def test_settings_and_document_problems_come_all_at_once(monkeypatch, capsys):
    late = organisation("gemeente-y")
    late["send_time"] = "23:55"
    code, out = run(monkeypatch, capsys, organisation(secret_name="changeme"), late,
                    VISH_KEY_VAULT_URL="https://example.com/vault", VISH_LOG_LEVEL="verbose",
                    VISH_MAX_EXTRACT_BYTES="-1", AzureWebJobsStorage__accountName="Opslag_1")
    assert code == 1
    assert out == (
        "Configuratie controleren (zonder netwerk)\n"
        "Problemen:\n"
        "  - instelling VISH_STORAGE_ACCOUNT_NAME of AzureWebJobsStorage__accountName: heeft niet de "
        "juiste vorm: 3 tot 24 kleine letters of cijfers (de naam van het opslagaccount)\n"
        "  - instelling VISH_MAX_EXTRACT_BYTES: moet groter zijn dan 0\n"
        "  - instelling VISH_KEY_VAULT_URL: moet het adres van een Key Vault zijn, zoals "
        "https://<naam>.vault.azure.net/\n"
        "  - instelling VISH_LOG_LEVEL: kies uit DEBUG, INFO, WARNING, ERROR, CRITICAL\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie 'gemeente-a', veld 'sftp.secret_name': is nog een "
        "voorbeeldwaarde uit een sjabloon (zoals '…', '<...>', '(from SNG)' of 'changeme'); vul de "
        "echte waarde in\n"
        "Configuratie NIET in orde: 5 problemen.\n")
    # with the document sound, the schedule check on the send times is reached too
    code, out = run(monkeypatch, capsys, organisation(), late)
    assert code == 1 and (
        "  - organisatie 'gemeente-y': verzendtijd 23:55 valt na de laatste tik van het schema "
        "'0 */15 * * * *' (laatste tik 23:45 lokale tijd); kies een vroegere verzendtijd\n") in out


def test_no_value_from_the_settings_or_the_document_is_echoed(monkeypatch, capsys):
    leaky = organisation()
    leaky["wachtwoord"] = "Geheim-Wachtwoord-7f3a"
    leaky["aansluitcode"] = "123456782 Jansen"
    code, out = run(monkeypatch, capsys, leaky, VISH_STORAGE_CONNECTION_STRING=(
        "DefaultEndpointsProtocol=https;AccountName=stvish;AccountKey=Geheim*Sleutel*9c2e"))
    assert code == 1
    assert out == (
        "Configuratie controleren (zonder netwerk)\n"
        "Problemen:\n"
        "  - instelling VISH_STORAGE_CONNECTION_STRING (of AzureWebJobsStorage): AccountKey is geen "
        "geldige sleutel (base64)\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie 'gemeente-a', veld 'aansluitcode': heeft niet de "
        "juiste vorm: alleen letters, cijfers en koppeltekens (hoogstens 40)\n"
        "  - VISH_ORGANISATIONS_JSON: organisatie 'gemeente-a': onbekend veld 'wachtwoord' (tikfout, "
        "of hoort het op een andere plek?)\n"
        "Configuratie NIET in orde: 3 problemen.\n")
    for value in ("Geheim-Wachtwoord-7f3a", "123456782", "Jansen", "Geheim*Sleutel*9c2e"):
        assert value not in out


def test_in_azure_a_missing_vault_and_organisations_are_problems(monkeypatch, capsys):
    monkeypatch.delenv("VISH_KEY_VAULT_URL")
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "0123abcd")
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "stvishprod")
    code = main(["config", "check", "--json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 1 and answer["ok"] is False and answer["organisations"] == ["voorbeeld"]
    assert answer["problems"] == [
        "VISH_KEY_VAULT_URL is niet ingesteld: geheimen komen uit VISH_SECRET_<NAAM> of "
        "VISH_SECRETS_DIR (alleen voor lokaal gebruik)",
        "geen organisaties ingesteld (VISH_ORGANISATIONS_JSON of VISH_ORGANISATIONS_FILE): het "
        "ingebouwde voorbeeld 'voorbeeld' wordt gebruikt, alleen voor lokaal gebruik"]
    assert answer["notes"] == ["organisatie 'voorbeeld' heeft geen SFTP-bestemming (sftp): er wordt "
                               "niets geleverd"]


def test_a_document_that_is_not_json_or_not_readable(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", '{"organisations": [')
    assert main(["config", "check"]) == 1
    assert ("  - VISH_ORGANISATIONS_JSON: geen geldige JSON (regel 1, kolom 20); controleer komma's, "
            "aanhalingstekens en haakjes\n") in capsys.readouterr().out
    monkeypatch.delenv("VISH_ORGANISATIONS_JSON")
    path = tmp_path / "organisaties.json"
    path.write_bytes(b'{"organisations": [{"name": "Gemeente \xd6"}]}')
    monkeypatch.setenv("VISH_ORGANISATIONS_FILE", str(path))
    assert main(["config", "check"]) == 1
    assert ("  - VISH_ORGANISATIONS_FILE: bestand niet te lezen (geen UTF-8-tekst)\n"
            in capsys.readouterr().out)


# -- the documented example values ---------------------------------------------------------------
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
README_EXAMPLE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAWUzSwLPtKP1a4StqQfkX77sisRICyS1aPUlW+Krd+r"
README_PROBLEMS = (
    "Problemen:\n"
    "  - organisatie 'gemeente-x', veld 'code': is een voorbeeldwaarde uit de README of "
    "organisations.example.json; kies een eigen code voor de organisatie\n"
    "  - organisatie 'gemeente-x', veld 'name': is een voorbeeldwaarde uit de README of "
    "organisations.example.json; vervang die door de echte waarde van de organisatie\n"
    "  - organisatie 'gemeente-x', veld 'aansluitcode': is een voorbeeldwaarde uit de README of "
    "organisations.example.json; vervang die door de echte waarde van SNG\n"
    "  - organisatie 'gemeente-x', veld 'gemeentecode': is een voorbeeldwaarde uit de README of "
    "organisations.example.json; vervang die door de echte waarde van de organisatie\n"
    "  - organisatie 'gemeente-x', veld 'contact.telefoon': is een voorbeeldwaarde uit de README of "
    "organisations.example.json; vervang die door de echte waarde van de organisatie\n"
    "  - organisatie 'gemeente-x', veld 'contact.email': is een voorbeeldwaarde uit de README of "
    "organisations.example.json; vervang die door de echte waarde van de organisatie\n"
    "  - organisatie 'gemeente-x', veld 'sftp.username': is een voorbeeldwaarde uit de README of "
    "organisations.example.json; vervang die door de echte waarde van SNG\n"
    "  - organisatie 'gemeente-x', veld 'sftp.host_key': is de verzonnen voorbeeldsleutel uit de "
    "README; vraag SNG om de hostsleutel van hun server en vul die in\n"
    "Configuratie NIET in orde: 8 problemen.\n")


def readme_document() -> dict:
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return json.loads(re.search(r'```json\n(\{"organisations".*?)\n```', text, re.S).group(1))


def test_the_readme_example_with_only_the_host_changed_is_refused_field_by_field(monkeypatch, capsys):
    document = readme_document()
    [org] = document["organisations"]
    assert org["sftp"]["host_key"] == README_EXAMPLE  # the README still shows this made-up key
    org["sftp"]["host"] = "sftp.sng.nl"
    code, out = run(monkeypatch, capsys, org)
    assert code == 1
    assert out == ("Configuratie controleren (zonder netwerk)\n"
                   "  organisaties uit VISH_ORGANISATIONS_JSON: 1 (gemeente-x)\n" + README_PROBLEMS)
    # the loader (the functions, the demo) takes the same document: only the check names it
    assert load_organisations(config.Settings(organisations_json=json.dumps(document)))


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("aansluitcode", "sng-1234", "veld 'aansluitcode': is een voorbeeldwaarde"),
    ("aansluitcode", "VB-0001", "veld 'aansluitcode': is een voorbeeldwaarde"),
    ("gemeentecode", "9999", "veld 'gemeentecode': is een voorbeeldwaarde"),
    ("telefoon", "14-0123", "veld 'contact.telefoon': is een voorbeeldwaarde"),
    ("telefoon", "140999", "veld 'contact.telefoon': is een voorbeeldwaarde"),
    ("email", "info@Gemeente-X.nl", "veld 'contact.email': is een voorbeeldwaarde"),
    ("email", "schuldhulp@voorbeeld.nl", "veld 'contact.email': is een voorbeeldwaarde"),
    ("name", "Gemeente Voorbeeld - Schuldhulpverlening", "veld 'name': is een voorbeeldwaarde"),
    ("host_key", "SHA256:n5BGfPULRvwieltpKSui6uQnAnNd7TK/l+5ikwUO7B4",
     "veld 'sftp.host_key': is de verzonnen voorbeeldsleutel uit de README"),
    ("host_key", README_EXAMPLE + " sng-productie",
     "veld 'sftp.host_key': is de verzonnen voorbeeldsleutel uit de README"),
])
def test_each_example_value_is_found_in_any_spelling(monkeypatch, capsys, field, value, problem):
    org = organisation()
    if field in ("telefoon", "email"):
        org["contact"][field] = value
    elif field == "host_key":
        org["sftp"]["host_key"] = value
    else:
        org[field] = value
    code, out = run(monkeypatch, capsys, org)
    assert code == 1
    assert f"  - organisatie 'gemeente-a', {problem}" in out
    assert out.endswith("Configuratie NIET in orde: 1 probleem.\n")


def test_the_readme_keys_fingerprint_is_the_one_ssh_keygen_shows():
    from shared.config import _pinned_sha256

    # worked out with ssh-keygen -lf on the README's key line
    assert _pinned_sha256(README_EXAMPLE) == "SHA256:n5BGfPULRvwieltpKSui6uQnAnNd7TK/l+5ikwUO7B4"


@pytest.mark.parametrize("how", ["file", "json"])
def test_the_example_document_is_named_as_the_example_once(monkeypatch, capsys, how):
    """organisations.example.json is what the demo uses: locally a note, in Azure a problem;
    its example values are not named one by one."""
    example = ROOT / "organisations.example.json"
    if how == "file":
        monkeypatch.setenv("VISH_ORGANISATIONS_FILE", str(example))
        source = f"VISH_ORGANISATIONS_FILE ({example})"
        name = "VISH_ORGANISATIONS_FILE"
    else:
        monkeypatch.setenv("VISH_ORGANISATIONS_JSON", example.read_text(encoding="utf-8"))
        source = name = "VISH_ORGANISATIONS_JSON"
    note = (f"{name} is het voorbeelddocument (organisations.example.json, organisatie "
            "'voorbeeld'): alleen voor lokaal gebruik, zoals de demo")
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().out == (
        "Configuratie controleren (zonder netwerk)\n"
        f"  organisaties uit {source}: 1 (voorbeeld)\n"
        "Let op:\n"
        f"  - {note}\n"
        "  - organisatie 'voorbeeld' heeft geen SFTP-bestemming (sftp): er wordt niets geleverd\n"
        "Configuratie in orde.\n")
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "0123abcd")
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "stvishprod")
    assert main(["config", "check", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["problems"] == [note]


def test_the_example_with_one_change_is_no_longer_the_example(monkeypatch, capsys):
    document = json.loads((ROOT / "organisations.example.json").read_text(encoding="utf-8"))
    document["organisations"][0]["name"] = "Gemeente Zuidhaven"
    code, out = run(monkeypatch, capsys, *document["organisations"])
    assert code == 1
    assert out.endswith(
        "Problemen:\n"
        "  - organisatie 'voorbeeld', veld 'code': is een voorbeeldwaarde uit de README of "
        "organisations.example.json; kies een eigen code voor de organisatie\n"
        "  - organisatie 'voorbeeld', veld 'aansluitcode': is een voorbeeldwaarde uit de README of "
        "organisations.example.json; vervang die door de echte waarde van SNG\n"
        "  - organisatie 'voorbeeld', veld 'gemeentecode': is een voorbeeldwaarde uit de README of "
        "organisations.example.json; vervang die door de echte waarde van de organisatie\n"
        "  - organisatie 'voorbeeld', veld 'contact.telefoon': is een voorbeeldwaarde uit de README "
        "of organisations.example.json; vervang die door de echte waarde van de organisatie\n"
        "  - organisatie 'voorbeeld', veld 'contact.email': is een voorbeeldwaarde uit de README of "
        "organisations.example.json; vervang die door de echte waarde van de organisatie\n"
        "Configuratie NIET in orde: 5 problemen.\n")
