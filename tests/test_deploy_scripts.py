"""The deploy scripts (``infra-bicep/scripts``), run end to end against a recording stand-in for az.

``deploy.sh`` runs in a fresh clone of the repository (package.py builds the zip from the last
commit and refuses uncommitted product files; the clone's work tree is clean apart from what a
test plants). The scripts under test are the work tree's: its ``infra-bicep`` is copied over the
clone's, which package.py does not look at. ``tests/fake_az.py`` answers each az command as Azure
would, keeps what Azure holds between calls, and records every call, the parameters files of the
deployments and the package. Proved here:

* a first deployment by a user ends 0 without a static IP, after exactly the expected commands
  in order: the app named by ARM's camel-cased output, the functions polled until all nine are
  indexed, the blob key polled until it exists, the Event Grid webhook of the blob-triggered
  function with that key, a new "availability" key for status, the availability deployment;
* a second deployment by a service principal, with a static IP and a closed vault: the
  Microsoft.App provider registered, the principal looked up as a service principal, the
  existing availability key kept, the outbound IP printed last;
* the parameters file is JSON that ARM accepts for main.bicep: the organisations document as an
  object, the deployer as principal, literal values kept, nothing main.bicep does not declare;
* the package is exactly the committed product files, none of the litter planted beside them;
* refusals before anything is made: a changed or new product file, an organisations document
  that is not JSON or not a document, a closed vault without VNet, a deleted vault of the same
  environment and group (unless VISH_KEY_VAULT_SEED is set); after the code: another Python, a
  function that is never indexed;
* no key reaches a command line (the blob key only in the Event Grid endpoint, by design), the
  output, or a file left behind; the availability parameters file is readable by its owner only;
* the lists the scripts keep agree with the app (the nine functions, the blob-triggered one),
  shellcheck is clean on every shell script, azure.yaml's hooks run these scripts, and
  parameters.py converts and refuses as it says.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from shared.config import OrganisationsDocument
from tests import fake_az
from tests.layering import PRODUCT_FILE
from tests.test_host_contract import EXPECTED_BINDINGS

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "infra-bicep" / "scripts"

# git without this machine's configuration (no global excludes, hooks or commit signing)
GIT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false")

RG, LOCATION, ENV, EMAIL = "rg-vish-test", "westeurope", "test", "beheer@voorbeeld.nl"
SUBSCRIPTION = "3f2b8c1e-7d4a-4e59-9c0b-5a6d7e8f9012"
TENANT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
USER_OBJECT_ID = "6c1d2e3f-4a5b-4c6d-8e7f-90a1b2c3d4e5"
SP_APP_ID = "0e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"
SP_OBJECT_ID = "d7e8f9a0-b1c2-4d3e-8f4a-5b6c7d8e9f01"
APP_NAME = "func-vish-test-x7k2q9"
HOST = f"{APP_NAME}.azurewebsites.net"
MAIN_OUTPUTS = {
    "AZURE_FUNCTION_APP_NAME": APP_NAME,
    "AZURE_FUNCTION_HOST": HOST,
    "AZURE_STORAGE_ACCOUNT": "stvishx7k2q9ab3c",
    "AZURE_KEY_VAULT_NAME": "kv-vish-x7k2q9ab3c",
    "AZURE_KEY_VAULT_URI": "https://kv-vish-x7k2q9ab3c.vault.azure.net/",
    "AZURE_EVENTGRID_TOPIC": "vish-test-extracts",
    "AZURE_APP_INSIGHTS_NAME": "vish-test-appi",
    "AZURE_ACTION_GROUP_ID": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/"
                             "microsoft.insights/actionGroups/vish-test-ag",
    "AZURE_CLIENT_ID": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
    "STATIC_OUTBOUND_IP": "",
}
AVAILABILITY_OUTPUTS = {
    "webTestId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/microsoft.insights/"
                 "webtests/vish-status",
    "alertId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/microsoft.insights/"
               "metricalerts/vish-status-failing",
}
# Keys shaped as the Functions host makes them (url-safe base64 with padding), each unique.
BLOB_KEY = "Blb7QxZk2mW9vR4tY1uE8oP3aS6dF0gH5jK-_lZ2xC9vB4nM7qA=="
STATUS_KEY = "StA9pQ2wE5rT8yU1iO4pA7sD0fG3hJ6kL9zX2cV5bN8mQ1wE4rT=="
EXISTING_STATUS_KEY = "ExSt3mN6bV9cX2zL5kJ8hG1fD4sA7pO0iU3yT6rE9wQ2-_aB5cD=="
MASTER_KEY = "MaSt8rK3yQ6wE9rT2yU5iO8pA1sD4fG7hJ0kL3zX6cV9bN2mQ5w=="
HOST_DEFAULT_KEY = "HoSt2dF5gH8jK1lZ4xC7vB0nM3qW6eR9tY2uI5oP8aS1dF4gH7j=="
STATUS_DEFAULT_KEY = "FuNc7kL0zX3cV6bN9mQ2wE5rT8yU1iO4pA7sD0fG3hJ6kL9zX2c=="
KEYS = {"blob": BLOB_KEY, "status": STATUS_KEY, "existing status": EXISTING_STATUS_KEY,
        "master": MASTER_KEY, "host default": HOST_DEFAULT_KEY, "status default": STATUS_DEFAULT_KEY}

# Two organisations as the README describes them for Azure: secrets named, never inlined. The
# second's name holds what a shell or a JSON writer could get wrong: quotes, a backslash, $HOME,
# a backtick command and non-ASCII letters must arrive as written.
ORGANISATIONS = {"organisations": [
    {"code": "voorbeeld", "name": "Gemeente Voorbeeld - Schuldhulpverlening", "aansluitcode": "VB-0001",
     "gemeentecode": "9999",
     "contact": {"naam": "Team Schuldhulpverlening", "telefoon": "14 0999",
                 "email": "schuldhulp@voorbeeld.nl"},
     "send_time": "06:00", "eligibility_rule": "toelating", "profile": "vish-minimaal",
     "sftp": {"host": "sftp.sng.example", "port": 22, "username": "voorbeeld", "directory": "in",
              "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7yQhYk2hE5w5x6c0f3G0wJ9uVjvQK1c2xO6pQ9Zt",
              "auth": "key", "secret_name": "sng-voorbeeld-key",
              "passphrase_secret": "sng-voorbeeld-passphrase"}},
    {"code": "sudwest", "name": 'Gemeente Súdwest-Fryslân "Team Geld" $HOME \\ `id` \'s',
     "aansluitcode": "SWF-0002",
     "gemeentecode": "1900",
     "contact": {"naam": "Team Geld", "telefoon": "+31 515 48 90 00", "email": "geld@sudwest.example"},
     "send_time": "05:30", "eligibility_rule": "start",
     "sftp": {"host": "sftp.sng.example", "username": "sudwest", "directory": "in/sudwest",
              "host_key": "SHA256:q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c",
              "auth": "password", "secret_name": "sng-sudwest-password"}},
]}
ORGANISATIONS_TEXT = json.dumps(ORGANISATIONS, indent=2, ensure_ascii=False) + "\n"

# What a developer's work tree holds besides the committed files; none of it may ship.
LITTER = {
    "secrets/sng-key": "-----BEGIN OPENSSH PRIVATE KEY-----\nlitter\n",
    "local.settings.json": '{"Values": {"VISH_STORAGE_CONNECTION_STRING": "litter"}}\n',
    ".venv-tools/bin/x": "#!/bin/sh\n",
    "shared/__pycache__/x.pyc": "\0litter",
    "id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\nlitter\n",
}
# The product, independently of .funcignore: the app's modules, its SNG profiles, host.json and
# requirements.txt.
# What makes or changes something in Azure.
PROVISIONING = {"group create", "deployment group create", "provider register",
                "functionapp deployment source config-zip", "functionapp function keys set",
                "eventgrid system-topic event-subscription create"}


# -- the clone ----------------------------------------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *IDENTITY, *args], env=GIT_ENV,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout


def clone(dest: Path) -> Path:
    """The last commit of this repository, with the work tree's infra-bicep over it."""
    done = subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], env=GIT_ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for path in git(ROOT, "ls-files", "-z", "infra-bicep").split("\0"):
        if path:
            source, target = ROOT / path, dest / path
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
            else:
                target.unlink(missing_ok=True)
    return dest


def plant_litter(repo: Path) -> None:
    for path, text in LITTER.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)


def set_options(repo: Path, commit: bool, **values) -> None:
    """Change options in the clone's main.parameters.json (preprovision and parameters.py read it)."""
    path = repo / "infra-bicep" / "main.parameters.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    for name, value in values.items():
        assert name in document["parameters"]
        document["parameters"][name] = {"value": value}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if commit:
        git(repo, "commit", "-q", "-m", "options", "--", "infra-bicep/main.parameters.json")


def product_files(repo: Path) -> list[str]:
    return sorted(p for p in git(repo, "ls-files", "-z").split("\0")
                  if p and PRODUCT_FILE.fullmatch(p))


def bicep_params(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^param (\w+) (\w+)", path.read_text(encoding="utf-8"), flags=re.M))


def python_version(repo: Path) -> str:
    text = (repo / "infra-bicep" / "main.bicep").read_text(encoding="utf-8")
    return re.search(r"^param pythonVersion string = '([^']+)'$", text, flags=re.M)[1]


# -- the scenario and the run ---------------------------------------------------------------------------
def deleted_vault(name: str, group: str, env: str, seed: str | None = None) -> dict:
    """A deleted vault as ``az keyvault list-deleted`` shows it (``seed``: the tag main.bicep
    gives the vault, ``none`` without a seed; None: a vault from before that tag)."""
    tags = {"application": "vish-bridge", "azd-env-name": env}
    if seed is not None:
        tags["vish-key-vault-seed"] = seed
    return {"id": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/locations/{LOCATION}/"
                  f"deletedVaults/{name}",
            "name": name, "type": "Microsoft.KeyVault/deletedVaults",
            "properties": {"deletionDate": "2026-07-03T08:15:00+00:00", "location": LOCATION,
                           "purgeProtectionEnabled": True,
                           "scheduledPurgeDate": "2026-10-01T08:15:00+00:00",
                           "tags": tags,
                           "vaultId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/"
                                      f"Microsoft.KeyVault/vaults/{name}"}}


# Deleted vaults that are not in the way: the same environment in another group (whose name
# begins with this one's), another environment in this group.
DECOYS = [deleted_vault("kv-vish-old4d2", f"{RG}-old", ENV), deleted_vault("kv-vish-acc9z1", RG, "acc")]
# In the way: this environment, this group (ARM's casing of the group differs from ours).
IN_THE_WAY = deleted_vault("kv-vish-gone7k", RG.upper(), ENV)
FUNCTIONS = sorted(EXPECTED_BINDINGS)


def scenario(repo: Path, **changes) -> dict:
    """A first deployment by a user: the worker indexes four functions, then all nine; the blob
    extension's key appears on the third look; status has only its default key."""
    return {
        "subscription": SUBSCRIPTION, "tenant": TENANT,
        "user": {"name": "beheer@voorbeeld.nl", "type": "user"},
        "signed_in_object_id": USER_OBJECT_ID,
        "service_principals": {SP_APP_ID: SP_OBJECT_ID},
        "providers": {"Microsoft.App": "NotRegistered"},
        "deleted_vaults": DECOYS,
        "outputs": {"main": MAIN_OUTPUTS, "availability": AVAILABILITY_OUTPUTS},
        "runtime": {"name": "python", "version": python_version(repo)},
        "function_lists": [FUNCTIONS[:4], FUNCTIONS],
        "blob_key": BLOB_KEY, "blob_key_after": 2,
        "master_key": MASTER_KEY, "default_host_key": HOST_DEFAULT_KEY,
        "function_keys": {"status": {"default": STATUS_DEFAULT_KEY}},
        "generated_function_key": STATUS_KEY,
    } | changes


@dataclass
class Run:
    repo: Path
    folder: Path
    tmp: Path
    returncode: int
    stdout: str
    stderr: str

    @cached_property
    def calls(self) -> list[list[str]]:
        return fake_az.read_lines(self.folder / "calls.jsonl")

    @cached_property
    def python_calls(self) -> list[list[str]]:
        return fake_az.read_lines(self.folder / "python3.jsonl")

    @cached_property
    def saved(self) -> list[dict]:
        return fake_az.read_lines(self.folder / "saved.jsonl")

    @cached_property
    def errors(self) -> list[dict]:
        return fake_az.read_lines(self.folder / "errors.jsonl")

    def commands(self) -> list[str]:
        return [" ".join(fake_az.command_words(argv)) for argv in self.calls]

    def called(self, command: str) -> list[list[str]]:
        return [argv for argv in self.calls if " ".join(fake_az.command_words(argv)) == command]

    def parameters(self, template: str) -> dict:
        records = [r for r in self.saved if r["kind"] == "parameters" and r["template"] == template]
        assert len(records) == 1, records
        return records[0] | {"document": json.loads(Path(records[0]["copy"]).read_text(encoding="utf-8"))}

    def explain(self) -> str:
        return (f"exit {self.returncode}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}\n"
                f"az calls: {self.commands()}\naz errors: {self.errors}")


def option(argv: list[str], name: str) -> str | None:
    """The value of an option (long name or its short alias) in one az call; None if absent."""
    names = {name} | {short for short, long in fake_az.ALIASES.items() if long == name}
    values = [argv[i + 1] for i, token in enumerate(argv[:-1]) if token in names]
    assert len(values) <= 1, argv
    return values[0] if values else None


def stage(work: Path, setting: dict, environ: dict[str, str] | None = None,
          organisations: str = ORGANISATIONS_TEXT) -> tuple[Path, Path, Path, dict[str, str]]:
    """The stand-in az on PATH, a scenario, an organisations file, a HOME and TMPDIR of its own:
    (the stand-in's folder, TMPDIR, the organisations file, the environment to run in)."""
    folder, bin_dir, home, tmp = (work / n for n in ("az", "bin", "home", "tmp"))
    for path in (folder, home, tmp):
        path.mkdir(parents=True)
    fake_az.install(bin_dir, folder / "python3.jsonl")
    (folder / "scenario.json").write_text(json.dumps(setting), encoding="utf-8")
    orgs_file = work / "organisations.json"
    orgs_file.write_text(organisations, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "AZURE_", "VISH_", "AZD_", "PYTHON"))}
    env |= {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(home), "TMPDIR": str(tmp),
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "VISH_POLL_SECONDS": "0",
            fake_az.SCENARIO_VARIABLE: str(folder / "scenario.json")} | (environ or {})
    return folder, tmp, orgs_file, env


def deploy(repo: Path, work: Path, setting: dict, environ: dict[str, str] | None = None,
           organisations: str = ORGANISATIONS_TEXT, environment: str = ENV,
           script: str = "deploy.sh") -> Run:
    """deploy.sh with the usual arguments; or one hook (``script``) alone, as azd runs it, with
    ``environ`` as azd's environment."""
    folder, tmp, orgs_file, env = stage(work, setting, environ, organisations)
    arguments = [RG, LOCATION, environment, EMAIL, str(orgs_file)] if script == "deploy.sh" else []
    done = subprocess.run([str(repo / "infra-bicep" / "scripts" / script), *arguments], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    return Run(repo, folder, tmp, done.returncode, done.stdout, done.stderr)


def assert_no_key_leaks(run: Run) -> None:
    """No key on an az or python3 command line, except the blob key in the Event Grid endpoint
    (the webhook's URL carries it by design); none in the output; no file left in TMPDIR."""
    for argv in run.calls:
        for name, key in KEYS.items():
            holders = [token for token in argv if key in token]
            if not holders:
                continue
            assert name == "blob", f"the {name} key is on the command line of az {argv[:4]}"
            assert argv[:4] == ["eventgrid", "system-topic", "event-subscription", "create"], argv[:4]
            assert holders == [option(argv, "--endpoint")], holders
    for argv in run.python_calls:
        assert not [name for name, key in KEYS.items() if key in " ".join(argv)], argv[:2]
    for name, key in KEYS.items():
        assert key not in run.stdout + run.stderr, f"the {name} key is in deploy.sh's output"
    assert list(run.tmp.iterdir()) == [], "deploy.sh left files behind in TMPDIR"


# -- a first deployment by a user ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Run:
    work = tmp_path_factory.mktemp("first")
    repo = clone(work / "repo")
    plant_litter(repo)
    return deploy(repo, work, scenario(repo))


def test_a_first_deployment_runs_the_commands_in_order_and_ends_0_without_a_static_ip(first):
    run = first
    assert run.returncode == 0, run.explain()
    assert run.errors == []
    assert run.commands() == [
        "account show",  # the subscription, named on every later Resource Manager call
        "keyvault list-deleted",
        "account show", "account get-access-token",  # who deploys: the token's oid
        "group create",
        "deployment group create",
        "functionapp deployment source config-zip",
        "functionapp show",
        "functionapp function list", "functionapp function list",
        "functionapp keys list", "functionapp keys list", "functionapp keys list",
        "eventgrid system-topic event-subscription create",
        # az hides the key it makes: set, then read it back
        "functionapp function keys list", "functionapp function keys set", "functionapp function keys list",
        "deployment group create",
    ], run.explain()
    assert run.stdout.splitlines()[-2:] == [
        f"deployed: https://{HOST}/api/status",
        f"SFTP secrets go in Key Vault {MAIN_OUTPUTS['AZURE_KEY_VAULT_NAME']} (README, Deploy)"]
    assert "outbound IP" not in run.stdout
    assert f"runtime: python {python_version(run.repo)}" in run.stdout
    assert not run.called("provider show") and not run.called("provider register")


def test_a_first_deployment_passes_the_right_arguments(first):
    run = first
    subscription_id, user_type = run.called("account show")
    assert option(subscription_id, "--query") == "id" and option(subscription_id, "--output") == "tsv"
    assert option(user_type, "--query") == "user.type" and option(user_type, "--output") == "tsv"
    # every Resource Manager call names the subscription (the hooks act on azd's, not az's default)
    arm_calls = [argv for argv in run.calls if argv[0] not in ("account", "ad")]
    assert arm_calls and all(option(argv, "--subscription") == SUBSCRIPTION for argv in arm_calls)
    (group,) = run.called("group create")
    assert (option(group, "--name"), option(group, "--location")) == (RG, LOCATION)
    main, availability = run.called("deployment group create")
    assert option(main, "--template-file") == str(run.repo / "infra-bicep" / "main.bicep")
    assert option(main, "--resource-group") == RG and option(main, "--name") == f"vish-{ENV}"
    assert option(availability, "--template-file") == str(run.repo / "infra-bicep" / "availability.bicep")
    (zip_call,) = run.called("functionapp deployment source config-zip")
    assert option(zip_call, "--build-remote") == "true"
    app_calls = [argv for argv in run.calls if argv[0] == "functionapp"]
    assert app_calls and all(option(argv, "--name") == APP_NAME and option(argv, "--resource-group") == RG
                             for argv in app_calls)
    for argv in run.called("functionapp function keys list") + run.called("functionapp function keys set"):
        assert option(argv, "--function-name") == "status"
    (key_set,) = run.called("functionapp function keys set")
    assert option(key_set, "--key-name") == "availability" and option(key_set, "--key-value") is None
    (subscription,) = run.called("eventgrid system-topic event-subscription create")
    assert option(subscription, "--system-topic-name") == MAIN_OUTPUTS["AZURE_EVENTGRID_TOPIC"]
    assert option(subscription, "--resource-group") == RG
    assert option(subscription, "--endpoint-type") == "webhook"
    assert option(subscription, "--included-event-types") == "Microsoft.Storage.BlobCreated"
    assert option(subscription, "--endpoint") == (
        f"https://{HOST}/runtime/webhooks/blobs?functionName=Host.Functions.validate_extract&code={BLOB_KEY}")
    # the container the blob trigger watches is the one the events are filtered on
    container = EXPECTED_BINDINGS["validate_extract"][0]["path"].split("/")[0]
    assert option(subscription, "--subject-begins-with") == f"/blobServices/default/containers/{container}/"


def test_the_parameters_file_is_json_that_arm_accepts_for_main_bicep(first):
    run = first
    record = run.parameters("main")
    document = record["document"]
    values = {name: entry["value"] for name, entry in document["parameters"].items()}
    declared = bicep_params(run.repo / "infra-bicep" / "main.bicep")
    assert set(values) <= set(declared), set(values) - set(declared)
    assert values["organisations"] == ORGANISATIONS
    assert (values["principalId"], values["principalType"]) == (USER_OBJECT_ID, "User")
    assert "keyVaultNameSeed" not in values and "secretsOfficer" not in values
    assert (values["environmentName"], values["location"], values["alertEmail"]) == (ENV, LOCATION, EMAIL)
    template = json.loads((run.repo / "infra-bicep" / "main.parameters.json").read_text(encoding="utf-8"))
    literals = {name: entry["value"] for name, entry in template["parameters"].items()
                if not (isinstance(entry["value"], str) and "${" in entry["value"])}
    assert literals["instanceMemoryMB"] == 512 and literals["enableStaticOutboundIp"] is False
    assert {name: values[name] for name in literals} == literals
    assert set(values) == set(template["parameters"]) - {"keyVaultNameSeed", "secretsOfficer"}
    assert document["$schema"] == template["$schema"]


def test_the_package_is_the_committed_product_and_none_of_the_litter(first):
    run = first
    assert all((run.repo / path).is_file() for path in LITTER)  # planted, untracked, in the clone
    (record,) = [r for r in run.saved if r["kind"] == "package"]
    expected = product_files(run.repo)
    assert "function_app.py" in expected and "host.json" in expected
    assert any(p.startswith("functions/") for p in expected) and any(p.endswith(".json") for p in expected)
    with zipfile.ZipFile(record["copy"]) as archive:
        names = archive.namelist()
        assert sorted(names) == expected and len(set(names)) == len(names)
        for name in names:
            assert archive.read(name) == (run.repo / name).read_bytes(), name
    for litter in LITTER:
        assert litter not in names and not any(Path(name).name == Path(litter).name for name in names)
    assert re.search(rf"package: \S+ \({len(expected)} files, ", run.stdout), run.stdout


def test_the_keys_stay_off_command_lines_and_the_availability_file_is_private(first):
    run = first
    assert_no_key_leaks(run)
    record = run.parameters("availability")
    assert record["mode"] == 0o600, oct(record["mode"])
    assert {name: entry["value"] for name, entry in record["document"]["parameters"].items()} == {
        "environmentName": ENV, "appInsightsName": MAIN_OUTPUTS["AZURE_APP_INSIGHTS_NAME"],
        "actionGroupId": MAIN_OUTPUTS["AZURE_ACTION_GROUP_ID"],
        "functionHost": HOST, "statusKey": STATUS_KEY}


# -- a second deployment by a service principal, with a static IP and a closed vault -------------------
@pytest.fixture(scope="module")
def second(tmp_path_factory) -> Run:
    work = tmp_path_factory.mktemp("second")
    repo = clone(work / "repo")
    set_options(repo, commit=True, enableStaticOutboundIp=True, keyVaultPublicNetworkAccess="Disabled")
    setting = scenario(
        repo, user={"name": SP_APP_ID, "type": "servicePrincipal"},
        outputs={"main": MAIN_OUTPUTS | {"STATIC_OUTBOUND_IP": "20.61.12.34"},
                 "availability": AVAILABILITY_OUTPUTS},
        function_lists=[FUNCTIONS], blob_key_after=0,
        function_keys={"status": {"default": STATUS_DEFAULT_KEY, "availability": EXISTING_STATUS_KEY}})
    return deploy(repo, work, setting)


def test_a_service_principal_with_a_static_ip_registers_the_provider_and_keeps_the_key(second):
    run = second
    assert run.returncode == 0, run.explain()
    assert run.errors == []
    assert run.commands() == [
        "account show",
        "provider show", "provider register",
        "keyvault list-deleted",
        "account show", "account get-access-token",
        "group create",
        "deployment group create",
        "functionapp deployment source config-zip",
        "functionapp show",
        "functionapp function list",
        "functionapp keys list",
        "eventgrid system-topic event-subscription create",
        "functionapp function keys list",
        "deployment group create",
    ], run.explain()
    (register,) = run.called("provider register")
    assert option(register, "--namespace") == "Microsoft.App" and "--wait" in register
    assert option(run.called("account show")[1], "--query") == "user.type"
    assert not [c for c in run.calls if c[0] == "ad"]  # no Microsoft Graph rights needed
    values = {n: e["value"] for n, e in run.parameters("main")["document"]["parameters"].items()}
    assert (values["principalId"], values["principalType"]) == (SP_OBJECT_ID, "ServicePrincipal")
    assert (values["enableStaticOutboundIp"], values["keyVaultPublicNetworkAccess"]) == (True, "Disabled")
    availability = run.parameters("availability")["document"]["parameters"]
    assert availability["statusKey"] == {"value": EXISTING_STATUS_KEY}
    assert run.stdout.splitlines()[-1] == "outbound IP for SNG's allow-list: 20.61.12.34"
    assert_no_key_leaks(run)


# -- Key Vault: a deleted vault in the way --------------------------------------------------------------
def test_a_deleted_vault_of_this_environment_and_group_stops_everything(tmp_path):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo, deleted_vaults=[*DECOYS, IN_THE_WAY]))
    assert run.returncode == 1, run.explain()
    assert "az keyvault recover --name" in run.stderr and "VISH_KEY_VAULT_SEED" in run.stderr
    assert f"{IN_THE_WAY['name']} (kept until {IN_THE_WAY['properties']['scheduledPurgeDate']})" in run.stderr
    assert not [d["name"] for d in DECOYS if d["name"] in run.stderr]
    assert run.commands() == ["account show", "keyvault list-deleted"], run.explain()
    assert run.errors == []


def test_with_a_key_vault_seed_and_a_principal_given_the_deployment_proceeds(tmp_path):
    repo = clone(tmp_path / "repo")
    set_options(repo, commit=False, enableStaticOutboundIp=True)  # not a product file: no refusal
    run = deploy(repo, tmp_path, scenario(repo, deleted_vaults=[*DECOYS, IN_THE_WAY],
                                          providers={"Microsoft.App": "Registered"}),
                 environ={"VISH_KEY_VAULT_SEED": "2", "VISH_PRINCIPAL_ID": SP_OBJECT_ID})
    assert run.returncode == 0, run.explain()
    assert run.errors == []
    values = {n: e["value"] for n, e in run.parameters("main")["document"]["parameters"].items()}
    assert values["keyVaultNameSeed"] == "2" and values["principalId"] == SP_OBJECT_ID
    assert len(run.called("account show")) == 1  # the subscription only: the principal is given
    assert not run.called("account get-access-token") and not [c for c in run.calls if c[0] == "ad"]
    assert len(run.called("provider show")) == 1 and not run.called("provider register")
    assert_no_key_leaks(run)


# -- after the code: the runtime and the indexed functions ------------------------------------------------
def test_another_python_stops_postdeploy_before_the_event_grid_subscription(tmp_path):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo, runtime={"name": "python", "version": "3.11"}))
    assert run.returncode == 1, run.explain()
    want = python_version(repo)
    assert "python 3.11" in run.stderr and f"python {want}" in run.stderr and want != "3.11"
    assert run.commands()[-1] == "functionapp show", run.explain()
    assert not run.called("eventgrid system-topic event-subscription create")
    assert len(run.called("deployment group create")) == 1
    assert run.errors == []
    assert list(run.tmp.iterdir()) == []


def test_a_function_never_indexed_is_named_after_the_scripts_tries(tmp_path):
    repo = clone(tmp_path / "repo")
    tries = int(re.search(r"^TRIES=(\d+)", (repo / "infra-bicep/scripts/postdeploy.sh").read_text(),
                          flags=re.M)[1])
    partial = [name for name in FUNCTIONS if name != "validate_extract"]
    run = deploy(repo, tmp_path, scenario(repo, function_lists=[FUNCTIONS[:2], partial]))
    assert run.returncode == 1, run.explain()
    missing = re.search(r"not indexed after \d+ s:(.*?)\. ", run.stderr)
    assert missing and missing[1].split() == ["validate_extract"], run.stderr
    assert len(run.called("functionapp function list")) == tries
    assert not run.called("functionapp keys list")
    assert not run.called("eventgrid system-topic event-subscription create")
    assert run.errors == []


# -- refusals before anything is made ---------------------------------------------------------------------
@pytest.mark.parametrize("change", ["changed", "new"])
def test_an_uncommitted_product_file_is_refused_before_the_resource_group(tmp_path, change):
    repo = clone(tmp_path / "repo")
    if change == "changed":
        path = "shared/config.py"
        with open(repo / path, "a") as module:
            module.write("# not committed\n")
    else:
        path = "functions/extra.py"
        (repo / path).write_text("x = 1\n")
    run = deploy(repo, tmp_path, scenario(repo))
    assert run.returncode != 0, run.explain()
    assert "not committed" in run.stderr and path in run.stderr
    assert not PROVISIONING & set(run.commands()), run.explain()
    assert run.errors == []


NOT_JSON = "VISH_ORGANISATIONS_JSON is not valid JSON (line 1, column "
NOT_A_DOCUMENT = 'VISH_ORGANISATIONS_JSON must be an object with a non-empty "organisations" list'


@pytest.mark.parametrize(("text", "message"), [
    ('{"organisations": [{"code": "geheim-7f3a", "name": ', NOT_JSON),
    ('[{"code": "geheim-7f3a"}]', NOT_A_DOCUMENT),
    ('{"organisations": [], "note": "geheim-7f3a"}', NOT_A_DOCUMENT),
])
def test_an_organisations_file_that_is_not_a_document_is_refused(tmp_path, text, message):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo), organisations=text)
    assert run.returncode != 0, run.explain()
    assert message in run.stderr
    assert "geheim-7f3a" not in run.stdout + run.stderr  # the document's text is not repeated
    assert not PROVISIONING & set(run.commands()), run.explain()


def test_a_closed_vault_without_the_vnet_is_refused_before_anything_is_made(tmp_path):
    repo = clone(tmp_path / "repo")
    set_options(repo, commit=False, enableStaticOutboundIp=False, keyVaultPublicNetworkAccess="Disabled")
    run = deploy(repo, tmp_path, scenario(repo))
    assert run.returncode == 1, run.explain()
    assert "keyVaultPublicNetworkAccess=Disabled needs enableStaticOutboundIp=true" in run.stderr
    assert not PROVISIONING & set(run.commands()), run.explain()
    assert run.errors == []


# -- the stand-in answers as az does ------------------------------------------------------------------------
def test_the_stand_in_formats_queries_as_az_does():
    show = {"functionAppConfig": {"runtime": {"name": "python", "version": "3.13"}}}
    runtime = "[functionAppConfig.runtime.name, functionAppConfig.runtime.version]"
    assert fake_az.render(fake_az.compile_query(runtime)(show), "tsv") == "python\n3.13\n"
    names = [{"name": "app/status"}, {"name": "app/redeliver"}]
    assert fake_az.render(fake_az.compile_query("[].name")(names), "tsv") == "app/status\napp/redeliver\n"
    deleted = fake_az.compile_query("[?properties.tags.\"azd-env-name\"=='test']"
                                    ".[name, properties.vaultId, properties.scheduledPurgeDate]")
    assert fake_az.render(deleted([*DECOYS, IN_THE_WAY]), "tsv") == "".join(
        f"{v['name']}\t{v['properties']['vaultId']}\t{v['properties']['scheduledPurgeDate']}\n"
        for v in [DECOYS[0], IN_THE_WAY])
    no_key = fake_az.compile_query("systemKeys.blobs_extension")({"systemKeys": {}})
    assert no_key is None and fake_az.render(no_key, "tsv") == ""
    assert fake_az.render({"b": 1, "a": [True]}, "json") == '{\n  "a": [\n    true\n  ],\n  "b": 1\n}\n'
    assert fake_az.arm_case("AZURE_FUNCTION_APP_NAME") == "azurE_FUNCTION_APP_NAME"
    assert fake_az.arm_case("STATIC_OUTBOUND_IP") == "statiC_OUTBOUND_IP"
    assert fake_az.arm_case("webTestId") == "webTestId"
    with pytest.raises(fake_az.Failure):
        fake_az.compile_query("length(@)")


def test_the_stand_in_refuses_what_az_would_not_run(tmp_path):
    fake_az.install(tmp_path / "bin", tmp_path / "python3.jsonl")
    (tmp_path / "scenario.json").write_text("{}")
    env = os.environ | {fake_az.SCENARIO_VARIABLE: str(tmp_path / "scenario.json")}
    for argv in (["webapp", "list"], ["account", "show", "--bogus", "x"], ["ad", "sp", "show"]):
        done = subprocess.run([str(tmp_path / "bin" / "az"), *argv], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2 and done.stderr.startswith("ERROR: "), (argv, done.stderr)
    errors = fake_az.read_lines(tmp_path / "errors.jsonl")
    assert [e["kind"] for e in errors] == ["usage"] * 3
    assert len(fake_az.read_lines(tmp_path / "calls.jsonl")) == 3


def test_the_stand_in_answers_every_output_main_bicep_declares_and_only_those():
    def outputs(name: str) -> dict[str, str]:
        return fake_az.declarations((ROOT / "infra-bicep" / name).read_text(encoding="utf-8"))[1]

    main, availability = outputs("main.bicep"), outputs("availability.bicep")
    assert set(main) == set(MAIN_OUTPUTS) and set(availability) == set(AVAILABILITY_OUTPUTS)
    assert all(fake_az.arm_case(name) != name for name in main)  # the scripts must ignore case


def test_the_organisations_document_of_these_tests_is_one_the_app_accepts():
    assert len(OrganisationsDocument.model_validate(ORGANISATIONS).organisations) == 2


# -- what the scripts keep in step with the app ----------------------------------------------------------
def test_postdeploy_waits_for_every_function_and_subscribes_the_blob_triggered_one():
    text = (SCRIPTS / "postdeploy.sh").read_text(encoding="utf-8")
    listed = re.search(r'^FUNCTIONS="([^"]*)"$', text, flags=re.M)[1].split()
    # EXPECTED_BINDINGS is what test_host_contract proves the worker indexes
    assert sorted(listed) == sorted(EXPECTED_BINDINGS) and len(listed) == len(set(listed))
    name = re.search(r"^FUNCTION_NAME=(\w+)", text, flags=re.M)[1]
    blob_triggered = [f for f, bindings in EXPECTED_BINDINGS.items()
                      if any(b["type"] == "blobTrigger" for b in bindings)]
    assert blob_triggered == [name]


def tracked_shell_scripts() -> list[str]:
    found = []
    for path in git(ROOT, "ls-files", "-z").split("\0"):
        if not path or not (ROOT / path).is_file():
            continue
        with open(ROOT / path, "rb") as file:
            first = file.readline()
        if path.endswith(".sh") or re.match(rb"#!\S*(?:/|env\s+)(?:ba)?sh\b", first):
            found.append(path)
    return sorted(found)


def test_shellcheck_is_clean_on_every_shell_script():
    scripts = tracked_shell_scripts()
    assert {"run", ".ci/run", "infra-bicep/scripts/deploy.sh", "infra-bicep/scripts/preprovision.sh",
            "infra-bicep/scripts/postdeploy.sh", "infra-bicep/scripts/lib.sh"} <= set(scripts), scripts
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not on PATH: ./run setup installs it"
    done = subprocess.run([shellcheck, "--format=gcc", "--external-sources", *scripts], cwd=ROOT,
                          capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def read_simple_yaml(text: str) -> dict:
    """Nested ``key: value`` mappings (what azure.yaml holds); anything else is refused."""
    root: dict = {}
    stack: list[tuple[int, dict]] = [(-1, root)]
    for raw in text.splitlines():
        line = re.sub(r"\s+#.*$", "", raw.rstrip())
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        key, colon, value = line.strip().partition(":")
        assert colon and not key.startswith("-"), f"not a simple mapping line: {raw!r}"
        while indent <= stack[-1][0]:
            stack.pop()
        parent = stack[-1][1]
        assert key not in parent, f"{key} twice"
        if value.strip():
            parent[key] = value.strip()
        else:
            parent[key] = {}
            stack.append((indent, parent[key]))
    return root


def test_azure_yaml_runs_the_hooks_of_these_scripts():
    document = read_simple_yaml((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    hooks = document["hooks"]
    assert set(hooks) == {"preprovision", "postdeploy"}
    for hook in hooks:
        assert hooks[hook]["run"] == f"./infra-bicep/scripts/{hook}.sh"
        assert hooks[hook]["shell"] == "sh" and hooks[hook]["continueOnError"] == "false"
    assert (document["infra"]["provider"], document["infra"]["path"]) == ("bicep", "infra-bicep")
    assert (ROOT / document["infra"]["path"] / f"{document['infra']['module']}.bicep").is_file()


def test_the_scripts_deploy_sh_runs_are_executable_in_git():
    modes = {line.split("\t", 1)[1]: line.split(" ", 1)[0]
             for line in git(ROOT, "ls-files", "-s", "infra-bicep/scripts").splitlines()}
    for script in ("deploy.sh", "preprovision.sh", "postdeploy.sh"):
        assert modes[f"infra-bicep/scripts/{script}"] == "100755", script


# -- parameters.py -----------------------------------------------------------------------------------------
def run_parameters(tmp_path: Path, **environ: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = tmp_path / "parameters.json"
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "VISH_"))} | environ
    done = subprocess.run(["python3", str(SCRIPTS / "parameters.py"), str(out)], env=env,
                          capture_output=True, text=True, timeout=60)
    document = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return done, document


BASE_ENVIRON = {"AZURE_ENV_NAME": ENV, "AZURE_LOCATION": LOCATION, "VISH_ALERT_EMAIL": EMAIL,
                "VISH_ORGANISATIONS_JSON": ORGANISATIONS_TEXT}


def test_parameters_refuses_an_object_that_is_not_json_without_repeating_it(tmp_path):
    done, document = run_parameters(
        tmp_path, **BASE_ENVIRON | {"VISH_ORGANISATIONS_JSON": '{"organisations": [{"x": "geheim-91c'})
    assert done.returncode == 2 and document is None
    assert "organisations" in done.stderr and "VISH_ORGANISATIONS_JSON" in done.stderr
    assert "geheim-91c" not in done.stderr and '"x"' not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_parameters_refuses_an_array_for_an_object(tmp_path):
    done, document = run_parameters(tmp_path, **BASE_ENVIRON | {"VISH_ORGANISATIONS_JSON": '[{"code": "x"}]'})
    assert done.returncode == 2 and document is None
    assert "organisations (VISH_ORGANISATIONS_JSON) must be a JSON object" in done.stderr


def test_parameters_leaves_out_what_is_not_set_and_keeps_strings_exactly(tmp_path):
    email = 'a"b\\c@x.nl'
    done, document = run_parameters(tmp_path, **BASE_ENVIRON | {"VISH_ALERT_EMAIL": email,
                                                                 "AZURE_PRINCIPAL_ID": ""})
    assert done.returncode == 0, done.stderr
    values = {name: entry["value"] for name, entry in document["parameters"].items()}
    assert values["alertEmail"] == email
    assert values["organisations"] == ORGANISATIONS
    assert "keyVaultNameSeed" not in values and "principalId" not in values and "principalType" not in values


def load_parameters_module():
    spec = importlib.util.spec_from_file_location("deploy_parameters", SCRIPTS / "parameters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameters_fill_converts_arrays_and_refuses_a_reference_inside_a_text():
    parameters = load_parameters_module()
    template = {"parameters": {"ips": {"value": "${IPS}"}, "n": {"value": 3}}}
    types = {"ips": "array", "n": "int"}
    filled = parameters.fill(template, types, {"IPS": '["10.0.0.1"]'})
    assert filled == {"parameters": {"ips": {"value": ["10.0.0.1"]}, "n": {"value": 3}}}
    with pytest.raises(SystemExit, match=r"ips \(IPS\) must be a JSON array"):
        parameters.fill(template, types, {"IPS": '{"a": 1}'})
    with pytest.raises(SystemExit, match="only a whole value"):
        parameters.fill({"parameters": {"name": {"value": "vish-${AZURE_ENV_NAME}"}}}, {}, {})


# -- review: the seed tag, other logins, a forbidden list, an interrupted deployment ------------
def test_a_deleted_vault_blocks_only_the_seed_it_was_made_with(tmp_path):
    """The seed is in the name's hash: a vault deleted with seed 2 holds that name, not the
    name without a seed, and the other way round."""
    with_seed = deleted_vault("kv-vish-seed2x", RG, ENV, seed="2")
    without = deleted_vault("kv-vish-none1y", RG, ENV, seed="none")
    cases = [({"VISH_KEY_VAULT_SEED": "2"}, [with_seed], 1), ({}, [with_seed], 0),
             ({"VISH_KEY_VAULT_SEED": "2"}, [without], 0), ({}, [without], 1)]
    for number, (environ, vaults, expected) in enumerate(cases):
        repo = clone(tmp_path / f"repo{number}")
        run = deploy(repo, tmp_path / f"work{number}", scenario(repo, deleted_vaults=vaults),
                     environ=environ)
        assert run.returncode == expected, (environ, vaults[0]["name"], run.explain())
        if expected:
            assert vaults[0]["name"] in run.stderr and not run.called("group create")


MANAGED_IDENTITY_OBJECT_ID = "7a9d0c1e-2f3b-4c5d-8e6f-a0b1c2d3e4f5"


def test_a_managed_identity_login_gets_the_officer_role_by_its_token(tmp_path):
    """az says only "systemAssignedIdentity" for such a login; its token carries the object id."""
    repo = clone(tmp_path / "repo")
    login = {"name": "systemAssignedIdentity", "type": "servicePrincipal",
             "assignedIdentityInfo": "MSI"}
    run = deploy(repo, tmp_path, scenario(repo, user=login,
                                          managed_identity_object_id=MANAGED_IDENTITY_OBJECT_ID))
    assert run.returncode == 0, run.explain()
    assert not [c for c in run.calls if c[0] == "ad"]
    values = {n: e["value"] for n, e in run.parameters("main")["document"]["parameters"].items()}
    assert (values["principalId"], values["principalType"]) == (MANAGED_IDENTITY_OBJECT_ID,
                                                                 "ServicePrincipal")
    assert run.errors == []


def test_a_login_whose_token_names_nobody_deploys_without_the_role_and_says_so(tmp_path):
    repo = clone(tmp_path / "repo")
    login = {"name": "userAssignedIdentity", "type": "servicePrincipal"}
    run = deploy(repo, tmp_path, scenario(repo, user=login))  # no object id in its token
    assert run.returncode == 0, run.explain()
    assert "VISH_PRINCIPAL_ID" in run.stderr
    assert "principalId" not in run.parameters("main")["document"]["parameters"]


def test_nobody_gets_the_officer_role_when_the_operator_says_none(tmp_path):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo), environ={"VISH_SECRETS_OFFICER": "none"})
    assert run.returncode == 0, run.explain()
    values = {n: e["value"] for n, e in run.parameters("main")["document"]["parameters"].items()}
    assert values["secretsOfficer"] == "none"


def test_the_hooks_act_on_azds_subscription_not_azs_default(tmp_path):
    """azd's subscription (AZURE_SUBSCRIPTION_ID) need not be az's default: a hook that does not
    name it registers providers, looks for vaults and reads the app in the wrong subscription."""
    repo = clone(tmp_path / "repo")
    set_options(repo, commit=False, enableStaticOutboundIp=True)
    other = "00000000-0000-0000-0000-00000000beef"
    setting = scenario(repo, default_subscription=other)  # the resources are in SUBSCRIPTION
    run = deploy(repo, tmp_path, setting, script="preprovision.sh",
                 environ={"AZURE_ENV_NAME": ENV, "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
                          "AZURE_RESOURCE_GROUP": RG, "VISH_ALERT_EMAIL": EMAIL,
                          "VISH_ORGANISATIONS_JSON": ORGANISATIONS_TEXT})
    assert run.returncode == 0, run.explain()
    assert run.errors == [] and run.called("provider register")
    assert all(option(argv, "--subscription") == SUBSCRIPTION for argv in run.calls)
    # and the stand-in does hold a hook to it: without the variable the calls go to az's default
    bare = deploy(repo, tmp_path / "bare", setting, script="preprovision.sh",
                  environ={"AZURE_ENV_NAME": ENV, "AZURE_RESOURCE_GROUP": RG,
                           "VISH_ALERT_EMAIL": EMAIL, "VISH_ORGANISATIONS_JSON": ORGANISATIONS_TEXT})
    assert bare.returncode != 0 and "SubscriptionMismatch" in bare.stderr


@pytest.mark.parametrize("name", ["prod_a", "a", "thirteen-char", "-prod", "prod-", "prod.a"])
def test_an_environment_name_azure_would_refuse_halfway_is_refused_first(tmp_path, name):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo), environment=name)
    assert run.returncode == 1, run.explain()
    assert "environment name" in run.stderr and not run.called("group create")


def test_a_principal_given_keeps_its_type(tmp_path):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo),
                 environ={"VISH_PRINCIPAL_ID": SP_OBJECT_ID, "VISH_PRINCIPAL_TYPE": "Group"})
    assert run.returncode == 0, run.explain()
    values = {n: e["value"] for n, e in run.parameters("main")["document"]["parameters"].items()}
    assert (values["principalId"], values["principalType"]) == (SP_OBJECT_ID, "Group")


def test_a_forbidden_list_of_deleted_vaults_is_said_and_does_not_stop_the_deployment(tmp_path):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo, list_deleted_forbidden=True))
    assert run.returncode == 0, run.explain()
    assert "could not list deleted Key Vaults" in run.stderr
    assert [e["kind"] for e in run.errors] == ["azure"]


def test_an_interrupted_deployment_leaves_no_key_file(tmp_path):
    """Stopped (Ctrl-C, a CI timeout) while the availability test deploys: the parameters file
    with the status key must not stay behind (dash runs an EXIT trap on exit, not on a signal)."""
    import signal
    import time

    repo = clone(tmp_path / "repo")
    folder, tmp, orgs_file, env = stage(tmp_path, scenario(repo, hang_on=["availability"]))
    for signum in (signal.SIGTERM, signal.SIGINT):
        for leftover in folder.glob("hanging-*"):
            leftover.unlink()
        process = subprocess.Popen([str(repo / "infra-bicep" / "scripts" / "deploy.sh"), RG, LOCATION,
                                    ENV, EMAIL, str(orgs_file)], cwd=repo, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        deadline = time.monotonic() + 60
        while not list(folder.glob("hanging-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(folder.glob("hanging-*")), "the availability deployment never started"
        assert any("availability" in str(p) or p.is_dir() for p in tmp.iterdir())  # the key file is there
        os.killpg(process.pid, signum)  # as a terminal's Ctrl-C or a CI runner reaches the group
        assert process.wait(timeout=30) != 0
        assert list(tmp.iterdir()) == [], (signum, list(tmp.rglob("*")))


def hook_environment(**changes: str) -> dict[str, str]:
    """What azd gives the preprovision hook of an environment (its .env and the subscription)."""
    return {"AZURE_ENV_NAME": ENV, "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION, "AZURE_RESOURCE_GROUP": RG,
            "VISH_ALERT_EMAIL": EMAIL, "VISH_ORGANISATIONS_JSON": ORGANISATIONS_TEXT} | changes


def test_a_new_azd_environment_without_a_group_yet_is_asked_for_it_when_a_vault_may_block(tmp_path):
    """On a new environment's first `azd up` azd asks for the resource group only after this hook:
    a deleted vault of this environment and seed then cannot be placed, so the hook asks."""
    repo = clone(tmp_path / "repo")
    environ = hook_environment()
    del environ["AZURE_RESOURCE_GROUP"]
    blocked = deploy(repo, tmp_path / "a", scenario(repo, deleted_vaults=[*DECOYS, IN_THE_WAY]),
                     script="preprovision.sh", environ=environ)
    assert blocked.returncode == 1, blocked.explain()
    assert "azd env set AZURE_RESOURCE_GROUP" in blocked.stderr and RG.lower() in blocked.stderr
    free = deploy(repo, tmp_path / "b", scenario(repo, deleted_vaults=[IN_THE_WAY]),
                  script="preprovision.sh", environ=environ | {"VISH_KEY_VAULT_SEED": "3"})
    assert free.returncode == 0, free.explain()


def test_the_resource_group_is_compared_without_case(tmp_path):
    """ARM keeps a group's name as first written; the operator may type it otherwise."""
    repo = clone(tmp_path / "repo")
    in_the_way = deleted_vault("kv-vish-case1q", "Rg-Vish-Test", ENV, seed="none")
    for number, group in enumerate(("RG-VISH-TEST", "rg-vish-test", "Rg-Vish-Test")):
        run = deploy(repo, tmp_path / f"w{number}", scenario(repo, deleted_vaults=[in_the_way]),
                     script="preprovision.sh", environ=hook_environment(AZURE_RESOURCE_GROUP=group))
        assert run.returncode == 1 and "kv-vish-case1q" in run.stderr, (group, run.explain())


def test_a_status_key_that_cannot_be_read_back_stops_before_an_empty_availability_test(tmp_path):
    """az hides the key `keys set` makes; read back empty, the test would poll `?code=` and
    alert every 5 minutes: postdeploy stops instead."""
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo, unreadable_keys=["availability"]))
    assert run.returncode == 1, run.explain()
    assert "availability" in run.stderr and "cannot be read back" in run.stderr
    assert len(run.called("deployment group create")) == 1  # main only, no availability test


def test_the_seed_none_is_refused_because_it_is_the_tag_of_no_seed(tmp_path):
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo), script="preprovision.sh",
                 environ=hook_environment(VISH_KEY_VAULT_SEED="none"))
    assert run.returncode == 1 and "VISH_KEY_VAULT_SEED" in run.stderr, run.explain()


def test_a_failed_remote_build_stops_the_deployment_before_the_hooks_after_it(tmp_path):
    """az polls a Flex app's remote build and exits 1 when it fails: nothing after it runs."""
    repo = clone(tmp_path / "repo")
    run = deploy(repo, tmp_path, scenario(repo, build_fails=True))
    assert run.returncode == 1, run.explain()
    assert "Deployment failed" in run.stderr
    assert run.commands()[-1] == "functionapp deployment source config-zip"
    assert list(run.tmp.iterdir()) == []
