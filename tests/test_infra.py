"""The Bicep templates, parsed (pycep), against what the product needs and the security baseline.

No Azure and no Bicep CLI here: these tests read the templates as data."""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

import pytest

from shared.config import Settings
from shared.domain.delivery_request import DEFAULT_QUEUE, poison_queue

INFRA = Path(__file__).resolve().parent.parent / "infra-bicep"


@cache
def parsed(name: str) -> dict:
    from pycep import BicepParser

    return BicepParser().parse(file_path=INFRA / name)


def resource(file: str, symbol: str) -> dict:
    return parsed(file)["resources"][symbol]


def test_every_template_parses():
    files = sorted(INFRA.rglob("*.bicep"))
    assert len(files) >= 8
    for path in files:
        document = parsed(str(path.relative_to(INFRA)))
        assert document.get("resources") or document.get("modules")
    modules = parsed("main.bicep")["modules"]
    assert {m["detail"]["path"] for m in modules.values()} == {
        f"modules/{n}.bicep" for n in ("identity", "storage", "keyvault", "monitoring", "network",
                                       "function", "eventgrid", "uploaders")}


def test_function_app_is_flex_consumption_python_313_hardened():
    plan = resource("modules/function.bicep", "plan")["config"]
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True
    app = resource("modules/function.bicep", "app")["config"]
    assert app["kind"] == "functionapp,linux"
    props = app["properties"]
    assert props["httpsOnly"] is True and props["siteConfig"]["minTlsVersion"] == "1.2"
    assert props["siteConfig"]["ftpsState"] == "Disabled"
    config = props["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "pythonVersion"}
    python = parsed("main.bicep")["parameters"]["pythonVersion"]  # which one: test_python_version.py
    assert {"type": "allowed", "argument": [python["default"]]} in python["decorators"]
    module = parsed("main.bicep")["modules"]["functionApp"]["config"]
    assert module["params"]["pythonVersion"] == "pythonVersion"
    assert config["deployment"]["storage"]["authentication"]["type"] == "UserAssignedIdentity"
    assert config["scaleAndConcurrency"]["instanceMemoryMB"] == "instanceMemoryMB"
    assert app["identity"]["type"] == "UserAssigned"
    for policy in ("ftp", "scm"):
        assert resource("modules/function.bicep", policy)["config"]["properties"]["allow"] is False
    main = parsed("main.bicep")["parameters"]
    assert main["instanceMemoryMB"]["default"] == 512
    assert main["maximumInstanceCount"]["default"] <= 40  # the platform's lowest accepted ceiling


def app_settings() -> dict:
    text = (INFRA / "modules/function.bicep").read_text()
    block = text[text.index("resource settings 'config'"):text.index("resource ftp")]
    return dict(re.findall(r"^\s{6}(\w+): (.+)$", block, flags=re.M))


def test_storage_access_is_identity_based_without_keys_or_connection_strings():
    settings = app_settings()
    assert settings["AzureWebJobsStorage__credential"] == "'managedidentity'"
    for name in ("AzureWebJobsStorage__clientId", "AZURE_CLIENT_ID"):
        assert settings[name] == "identityClientId"
    for service in ("blob", "queue", "table"):
        assert f"AzureWebJobsStorage__{service}ServiceUri" in settings
    assert "AzureWebJobsStorage" not in settings and "VISH_STORAGE_CONNECTION_STRING" not in settings
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].endswith("Authorization=AAD'")
    # the storage connection is these settings and nothing else (no key, no connection string)
    assert {name for name in settings if name.startswith("AzureWebJobsStorage")} == {
        f"AzureWebJobsStorage__{part}" for part in ("accountName", "credential", "clientId", "blobServiceUri",
                                                    "queueServiceUri", "tableServiceUri")}
    assert not secret_material_in_the_templates()


def secret_material_in_the_templates() -> list[str]:
    """Lines of the templates that would put a key in play: a list*() call (listKeys,
    listAccountSas, listServiceSas ...), an account key or SAS, or a connection string other than
    Application Insights' (an ingestion endpoint; local auth is off, so it grants nothing)."""
    found = []
    for path in sorted(INFRA.rglob("*.bicep")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//")[0]
            if (re.search(r"\blist\w*\(|accountkey|sharedaccesssignature|\bsas\w*\b|sig=", code, re.I)
                    or (re.search(r"connection_?string", code, re.I) and "insights" not in code.lower())):
                found.append(f"{path.relative_to(INFRA)}:{number}: {line.strip()}")
    return found


def test_the_secret_material_check_finds_what_it_looks_for(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "INFRA", tmp_path)
    for line in ("var k = storage.listKeys().keys[0].value",
                 "var s = storage.listAccountSas('2023-05-01', {}).accountSasToken",
                 "AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountKey=${key}'",
                 "VISH_STORAGE_CONNECTION_STRING: conn", "param storageConnectionString string"):
        (tmp_path / "t.bicep").write_text(f"{line}\n")
        assert secret_material_in_the_templates(), line
    (tmp_path / "t.bicep").write_text("APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString\n"
                                      "// a comment may name listKeys() to say it is not used\n")
    assert secret_material_in_the_templates() == []


# -- the delivery queue (issue 13): the timer sends one request per organisation and day, the queue
# trigger deliver_one takes it, the host moves a request that failed too often to <queue>-poison,
# where deliver_poison records the failure.
def module_output(module: str, output: str) -> dict:
    return accessor(module, accessor("outputs", output))


def evaluated(expression: str, values: dict[str, str]) -> str:
    """A Bicep string (a bare name or an interpolated literal) with the given names filled in."""
    return values[expression] if expression in values else bicep_string(expression, values, {})


def queue_triggers() -> dict[str, dict]:
    from devtools.devservices import registered_functions

    return {name: binding for name, fn in registered_functions().items()
            for binding in fn.get_bindings_dict()["bindings"] if binding["type"] == "queueTrigger"}


AZURE_QUEUE_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


def test_both_delivery_queues_exist_with_the_names_the_code_and_its_triggers_use():
    main = parsed("main.bicep")
    name = main["variables"]["deliveryQueueName"]["value"]
    assert name == DEFAULT_QUEUE == Settings.model_fields["delivery_queue"].default
    assert main["modules"]["storage"]["config"]["params"]["deliveryQueueName"] == "deliveryQueueName"
    storage = parsed("modules/storage.bicep")
    assert storage["resources"]["queueService"]["config"] == {"parent": "storage", "name": "default"}
    queues = {symbol: r["config"] for symbol, r in storage["resources"].items()
              if r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues"}
    assert {q["parent"] for q in queues.values()} == {"queueService"}
    made = {symbol: evaluated(q["name"], {"deliveryQueueName": name}) for symbol, q in queues.items()}
    assert made == {"deliveryQueue": DEFAULT_QUEUE, "deliveryPoisonQueue": poison_queue(DEFAULT_QUEUE)}
    assert all(AZURE_QUEUE_NAME.match(queue) for queue in made.values())
    # the app setting the code and the triggers read names the queue storage.bicep made
    assert app_settings()["VISH_DELIVERY_QUEUE"] == "deliveryQueueName"
    assert main["modules"]["functionApp"]["config"]["params"]["deliveryQueueName"] == \
        module_output("storage", "deliveryQueueName")
    assert storage["outputs"]["deliveryQueueName"]["value"] == accessor("deliveryQueue", "name")
    assert storage["outputs"]["deliveryPoisonQueueName"]["value"] == accessor("deliveryPoisonQueue", "name")
    # the triggers, as the host resolves their %setting% expressions with the deployed settings
    triggers = queue_triggers()
    assert set(triggers) == {"deliver_one", "deliver_poison"}
    listened = {fn: re.sub(r"%(\w+)%", lambda m: {"VISH_DELIVERY_QUEUE": name}[m[1]], b["queueName"])
                for fn, b in triggers.items()}
    assert listened == {"deliver_one": made["deliveryQueue"], "deliver_poison": made["deliveryPoisonQueue"]}
    assert {b["connection"] for b in triggers.values()} == {"AzureWebJobsStorage"}


def test_the_queue_triggers_connection_is_the_apps_storage_by_its_user_assigned_identity():
    settings = app_settings()
    assert settings["AzureWebJobsStorage__queueServiceUri"] == "queueEndpoint"
    assert settings["AzureWebJobsStorage__credential"] == "'managedidentity'"
    assert settings["AzureWebJobsStorage__clientId"] == settings["AZURE_CLIENT_ID"] == "identityClientId"
    params = parsed("main.bicep")["modules"]["functionApp"]["config"]["params"]
    assert params["queueEndpoint"] == module_output("storage", "queueEndpoint")
    assert parsed("modules/storage.bicep")["outputs"]["queueEndpoint"]["value"] == accessor(
        "storage", accessor("properties", accessor("primaryEndpoints", "queue")))
    # the client id is that of the one identity the app runs as
    assert params["identityClientId"] == module_output("identity", "clientId")
    assert params["identityId"] == module_output("identity", "id")
    identity = resource("modules/function.bicep", "app")["config"]["identity"]
    assert identity == {"type": "UserAssigned", "userAssignedIdentities": {"'${identityId}'": {}}}


def test_the_app_identity_holds_a_queue_role_on_the_account_that_holds_both_queues():
    """Storage Queue Data Contributor covers what Microsoft lists for a queue trigger (Storage
    Queue Data Reader + Message Processor) and for sending (Message Sender), the host's move to
    the poison queue included; on the account, because the blob trigger keeps queues there too."""
    storage = parsed("modules/storage.bicep")
    assert storage["variables"]["roles"]["value"]["queueDataContributor"] == \
        ROLE_GUIDS["Storage Queue Data Contributor"]
    body = storage["resources"]["roleAssignments"]["config"]
    assert body["loop_type"]["detail"] == {"item_name": "role", "object_name": "roles"}
    assert body["condition"] is None  # every role, always
    body = body["config"]
    assert body["scope"] == "storage" and body["properties"]["principalId"] == "principalId"
    assert body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"] == \
        accessor("role", "value")
    # the scope holds the queues: queue -> queue service -> this account
    assert storage["resources"]["storage"]["type"] == "Microsoft.Storage/storageAccounts"
    assert storage["resources"]["queueService"]["config"]["parent"] == "storage"
    for queue in ("deliveryQueue", "deliveryPoisonQueue"):
        assert storage["resources"][queue]["config"]["parent"] == "queueService"
    # and the principal is the identity whose client id the app's connection names
    params = parsed("main.bicep")["modules"]["storage"]["config"]["params"]
    assert params["principalId"] == module_output("identity", "principalId")


def test_storage_account_baseline_containers_table_and_lifecycle():
    props = resource("modules/storage.bicep", "storage")["config"]["properties"]
    assert props["allowSharedKeyAccess"] is False and props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2" and props["supportsHttpsTrafficOnly"] is True
    blob = resource("modules/storage.bicep", "blobService")["config"]["properties"]
    assert blob["isVersioningEnabled"] is True and blob["deleteRetentionPolicy"]["enabled"] is True
    containers = parsed("modules/storage.bicep")["variables"]["containerNames"]["value"]
    code_containers = {info.default for name, info in Settings.model_fields.items()
                       if name.endswith("_container")}
    assert code_containers | {"extracts"} <= set(containers)
    assert resource("modules/storage.bicep", "outcomesTable")["config"]["name"] == \
        Settings.model_fields["outcomes_table"].default
    rules = resource("modules/storage.bicep", "lifecycle")["config"]["properties"]["policy"]["rules"]
    expiring = {prefix for r in rules for prefix in r["definition"]["filters"]["prefixMatch"]
                if "baseBlob" in r["definition"]["actions"]}
    assert expiring == {"extracts/", "quarantine/", "reports/", "outbox/", "locks/"}


ROLE_GUIDS = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}


@pytest.mark.parametrize(("file", "symbol", "scope", "roles"), [
    ("modules/storage.bicep", "roleAssignments", "storage",
     ["Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor"]),
    ("modules/keyvault.bicep", "secretsUserAssignment", "vault", ["Key Vault Secrets User"]),
    ("modules/monitoring.bicep", "publisherAssignment", "insights", ["Monitoring Metrics Publisher"]),
])
def test_role_assignments_are_least_privilege_with_the_right_guids_and_scope(file, symbol, scope, roles):
    text = (INFRA / file).read_text()
    assignment = resource(file, symbol)
    assert assignment["type"] == "Microsoft.Authorization/roleAssignments"
    config = assignment["config"]
    config = config.get("config", config)  # a loop or a condition nests the body one level down
    assert config["scope"] == scope
    assert config["properties"]["principalType"] == "ServicePrincipal"
    for role in roles:
        assert ROLE_GUIDS[role] in text, role
    operator = {"modules/keyvault.bicep": ["Key Vault Secrets Officer"]}.get(file, [])
    # one assignment construct for the app's identity, one for the operator where there is one
    assert text.count("roleDefinitions") == 1 + len(operator)
    others = set(ROLE_GUIDS.values()) - {ROLE_GUIDS[r] for r in roles + operator}
    assert not any(guid in text for guid in others)


def test_the_deployer_may_put_secrets_in_the_vault_and_nobody_else_is_named():
    """An RBAC vault gives Owner or Contributor no data-plane rights: without this role the
    operator's `az keyvault secret set` answers 403 and the first delivery fails."""
    officer = resource("modules/keyvault.bicep", "secretsOfficerAssignment")["config"]
    assert officer["condition"] == {"operator": {"type": "not", "operands": {"bool_value": {
        "function": {"type": "empty", "parameters": {"item_to_test": "operatorPrincipalId"}}}}}}
    body = officer["config"]
    assert body["scope"] == "vault"
    assert body["properties"]["principalId"] == "operatorPrincipalId"
    assert body["properties"]["principalType"] == "operatorPrincipalType"
    assert body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"] == \
        "secretsOfficer"
    assert "var secretsOfficer = '" + ROLE_GUIDS["Key Vault Secrets Officer"] + "'" in \
        (INFRA / "modules/keyvault.bicep").read_text()
    main = parsed("main.bicep")
    assert main["parameters"]["principalId"]["default"] == ""
    assert {"type": "allowed", "argument": ["User", "Group", "ServicePrincipal"]} in \
        main["parameters"]["principalType"]["decorators"]
    params = main["modules"]["vault"]["config"]["params"]
    assert params["operatorPrincipalId"] == {"operator": {"type": "conditional", "operands": {
        "condition": {"operator": {"type": "equals", "operands": {
            "operand_1": "secretsOfficer", "operand_2": "deployer"}}},
        "true_value": "principalId", "false_value": ""}}}  # 'none': nobody
    assert {"type": "allowed", "argument": ["deployer", "none"]} in \
        main["parameters"]["secretsOfficer"]["decorators"]
    assert main["parameters"]["secretsOfficer"]["default"] == "deployer"
    assert params["operatorPrincipalType"] == "principalType"
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert parameters["principalId"]["value"] == "${AZURE_PRINCIPAL_ID}"
    assert parameters["principalType"]["value"] == "${AZURE_PRINCIPAL_TYPE}"


def test_publishing_policies_carry_a_location():
    """Without it ARM answers "The parameter location has an invalid value" (bicep-types-az
    issues 1526, 1571; the Azure Verified Module sets it)."""
    for policy in ("ftp", "scm"):
        config = resource("modules/function.bicep", policy)["config"]
        assert config["location"] == "location" and config["properties"]["allow"] is False


def test_the_key_vault_name_follows_the_environment_and_a_seed():
    name = parsed("main.bicep")["modules"]["vault"]["config"]["params"]["name"]
    text = json.dumps(name)
    for part in ("environmentName", "keyVaultNameSeed", "subscription().id", "resourceGroup().id"):
        assert part in text, part
    assert parsed("main.bicep")["parameters"]["keyVaultNameSeed"]["default"] == ""
    # preprovision.sh reads this tag of a deleted vault to tell whether it holds the name
    tags = json.dumps(parsed("main.bicep")["modules"]["vault"]["config"]["params"]["tags"])
    assert "vish-key-vault-seed" in tags and "keyVaultNameSeed" in tags
    assert "vish-key-vault-seed" in (INFRA / "scripts/preprovision.sh").read_text()
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert parameters["keyVaultNameSeed"]["value"] == "${VISH_KEY_VAULT_SEED}"


def test_a_closed_vault_gets_a_private_endpoint_in_the_vnet_or_is_refused():
    vault = resource("modules/keyvault.bicep", "vault")["config"]["properties"]
    access = vault["publicNetworkAccess"]["operator"]["operands"]
    assert access["condition"] == {"operator": {"type": "and", "operands": {
        "operand_1": "private", "operand_2": {"function": {
            "type": "empty", "parameters": {"item_to_test": "privateEndpointSubnetId"}}}}}}
    refusal = access["true_value"]["function"]
    assert refusal["type"] == "json"
    # not a literal: Bicep would parse a literal json() argument at compile time and fail
    assert "${" in json.dumps(refusal["parameters"])
    assert access["false_value"] == "publicNetworkAccess"
    text = (INFRA / "modules/keyvault.bicep").read_text()
    assert "needs enableStaticOutboundIp=true" in text
    endpoint = resource("modules/keyvault.bicep", "endpoint")["config"]
    assert "private" in json.dumps(endpoint["condition"])
    connection = endpoint["config"]["properties"]["privateLinkServiceConnections"][0]["properties"]
    assert connection["groupIds"] == ["vault"]
    assert resource("modules/keyvault.bicep", "zone")["config"]["config"]["name"] == \
        "privatelink.vaultcore.azure.net"
    link = resource("modules/keyvault.bicep", "zoneLink")["config"]["config"]["properties"]
    assert link["virtualNetwork"] == {"id": "vnetId"} and link["registrationEnabled"] is False
    group = resource("modules/keyvault.bicep", "endpointDns")["config"]["config"]["properties"]
    assert "zone" in json.dumps(group)
    subnets = {s["name"]: s["properties"] for s in
               resource("modules/network.bicep", "vnet")["config"]["properties"]["subnets"]}
    assert "delegations" not in subnets["private-endpoints"]  # a delegated subnet cannot hold it
    params = parsed("main.bicep")["modules"]["vault"]["config"]["params"]

    def from_network(output: str) -> dict:
        return {"operator": {"type": "conditional", "operands": {
            "condition": "enableStaticOutboundIp",
            "true_value": {"operator": {"type": "property_accessor", "operands": {
                "operand_1": "network", "operand_2": {"operator": {"type": "property_accessor",
                                                                  "operands": {"operand_1": "outputs",
                                                                               "operand_2": output}}}}}},
            "false_value": ""}}}

    assert params["privateEndpointSubnetId"] == from_network("endpointSubnetId")
    assert params["vnetId"] == from_network("vnetId")  # the zone links to the VNet, not a subnet
    outputs = parsed("modules/network.bicep")["outputs"]
    assert outputs["vnetId"]["value"] == {"operator": {"type": "property_accessor", "operands": {
        "operand_1": "vnet", "operand_2": "id"}}}


def test_the_subnets_fit_the_vnet_and_do_not_overlap():
    import ipaddress

    network = parsed("modules/network.bicep")["parameters"]
    vnet = ipaddress.ip_network(network["addressPrefix"]["default"])
    app = ipaddress.ip_network(network["appSubnetPrefix"]["default"])
    endpoints = ipaddress.ip_network(network["endpointSubnetPrefix"]["default"])
    assert app.subnet_of(vnet) and endpoints.subnet_of(vnet) and not app.overlaps(endpoints)
    assert app.prefixlen <= 27  # Flex Consumption's smallest integration subnet


def test_the_availability_test_is_standard_located_with_the_app_and_alerts():
    document = parsed("availability.bicep")
    test = document["resources"]["statusTest"]
    assert test["type"] == "Microsoft.Insights/webtests" and test["api_version"] >= "2022-06-15"
    config = test["config"]
    assert config["kind"] == "standard" and config["location"] == "location"
    assert document["parameters"]["location"]["default"]["function"]["type"] == "resource_group"
    assert list(config["tags"].values()) == ["Resource"] and "hidden-link:" in next(iter(config["tags"]))
    props = config["properties"]
    assert props["Kind"] == "standard" and props["SyntheticMonitorId"] == "testName"
    assert props["Request"]["HttpVerb"] == "GET" and "/api/status?code=" in props["Request"]["RequestUrl"]
    assert props["ValidationRules"]["ExpectedHttpStatusCode"] == 200
    locations = document["variables"]["probeLocations"]["value"]
    assert len(locations) >= 5 and all(loc.startswith("emea-") for loc in locations)
    assert document["parameters"]["statusKey"]["decorators"][0]["type"] == "secure"
    alert = document["resources"]["statusTestAlert"]["config"]
    assert alert["location"] == "global"
    criteria = alert["properties"]["criteria"]
    assert criteria["'odata.type'"] == "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria"
    assert "statusTest" in json.dumps(criteria["webTestId"])
    assert "insights" in json.dumps(criteria["componentId"])
    assert criteria["failedLocationCount"] == {"operator": {"type": "substract", "operands": {
        "operand_1": {"function": {"type": "length", "parameters": {"arg_1": "probeLocations"}}},
        "operand_2": 2}}}  # all but two locations
    assert alert["properties"]["scopes"] == [
        {"operator": {"type": "property_accessor", "operands": {"operand_1": name, "operand_2": "id"}}}
        for name in ("statusTest", "insights")]
    assert alert["properties"]["actions"] == [{"actionGroupId": "actionGroupId"}]
    assert "westeurope" not in (INFRA / "availability.bicep").read_text()
    # named per environment, as every other resource: a second one in the group keeps its own
    assert document["variables"]["testName"]["value"] == "vish-${environmentName}-status"
    assert alert["name"] == "${testName}-failing"


def test_key_vault_is_rbac_with_purge_protection():
    props = resource("modules/keyvault.bicep", "vault")["config"]["properties"]
    assert props["enableRbacAuthorization"] is True and props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True
    assert props["publicNetworkAccess"]["operator"]["operands"]["false_value"] == "publicNetworkAccess"
    text = "".join(p.read_text() for p in INFRA.rglob("*.bicep"))
    assert "Microsoft.KeyVault/vaults/secrets" not in text  # no secret values in templates


def alert_query(symbol: str) -> str:
    properties = resource("modules/monitoring.bicep", symbol)["config"]["properties"]
    return properties["criteria"]["allOf"][0]["query"]


def trace_filter(query: str):
    """The alert's KQL (``traces | where message <op> "<text>"``) as a predicate on a message.
    KQL's string operators without ``_cs`` ignore case; anything else fails the test."""
    match = re.fullmatch(r'\s*traces\s*\|\s*where\s+message\s+(\w+)\s+"([^"]*)"\s*', query)
    assert match, f"alert query not understood: {query}"
    operator, text = match.groups()
    tests = {"startswith": lambda m: m.lower().startswith(text.lower()),
             "startswith_cs": lambda m: m.startswith(text),
             "contains": lambda m: text.lower() in m.lower(),
             "contains_cs": lambda m: text in m}
    assert operator in tests, operator
    return tests[operator]


def test_monitoring_has_local_auth_off_and_alerts_on_503_of_the_status_functions():
    from devtools.devservices import registered_functions

    insights = resource("modules/monitoring.bicep", "insights")["config"]["properties"]
    assert insights["DisableLocalAuth"] is True
    match = re.fullmatch(r'requests \| where name in \(([^)]*)\) and resultCode == "503"',
                         alert_query("statusUnhealthy"))
    assert match, alert_query("statusUnhealthy")
    names = set(re.findall(r'"([^"]*)"', match.group(1)))
    # App Insights names a request after the function: exactly the functions behind /api/status
    routes = {name: b.get("route") for name, f in registered_functions().items()
              for b in f.get_bindings_dict()["bindings"] if b.get("type") == "httpTrigger"}
    assert names == {name for name, route in routes.items() if route.split("/")[0] == "status"}
    assert names == {"status", "status_org"}


def test_the_failed_delivery_alert_matches_what_a_failed_delivery_logs(settings, org_code, monkeypatch,
                                                                       caplog):
    """Run real failing deliveries (on Azurite) and apply the alert's query to their log records."""
    import json
    import logging
    from datetime import date

    from shared import config
    from shared.wiring import build_delivery, build_intake
    from tests.conftest import organisations_for

    sftp = {"host": "127.0.0.1", "username": "u", "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA",
            "secret_name": "k"}
    unset, empty = f"{org_code}-a", f"{org_code}-b"
    document = {"organisations": [
        organisations_for(unset).organisations[0].model_dump(mode="json"),
        organisations_for(empty, sftp=sftp).organisations[0].model_dump(mode="json")]}
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", json.dumps(document))
    config.get_settings.cache_clear()
    build_intake(config.get_settings()).ensure_storage()
    service = build_delivery(config.get_settings())
    caplog.set_level(logging.DEBUG, logger="vish")
    outcomes = [service.deliver(unset, date(2026, 11, 28), reason="t"),  # no SFTP target
                service.deliver(empty, date(2026, 11, 28), reason="t")]  # no accepted extract yet
    assert [(o.status, o.error_kind) for o in outcomes] == [("failed", "not_configured"),
                                                            ("failed", "no_snapshot")]
    alert = trace_filter(alert_query("deliveryFailed"))
    delivery_records = [r for r in caplog.records if r.name == "vish.delivery"]
    firing = [r for r in delivery_records if alert(r.getMessage())]
    assert len(firing) == 2, [r.getMessage() for r in delivery_records]
    assert all(r.levelno >= logging.ERROR for r in firing)
    assert "not_configured" in firing[0].getMessage() and "no_snapshot" in firing[1].getMessage()


def test_optional_static_outbound_ip_through_a_nat_gateway():
    subnet = resource("modules/network.bicep", "vnet")["config"]["properties"]["subnets"][0]["properties"]
    assert subnet["delegations"][0]["properties"]["serviceName"] == "Microsoft.App/environments"
    ip = resource("modules/network.bicep", "ip")["config"]["properties"]
    assert ip["publicIPAllocationMethod"] == "Static"
    assert parsed("main.bicep")["parameters"]["enableStaticOutboundIp"]["default"] is False
    assert "STATIC_OUTBOUND_IP" in parsed("main.bicep")["outputs"]


OPTIONAL_SETTINGS = {  # read by the code, not set by the Bicep, with the reason
    "storage_connection_string": "local only: Azure uses identity-based URIs",
    "table_service_uri": "read from AzureWebJobsStorage__tableServiceUri",
    "blob_service_uri": "read from AzureWebJobsStorage__blobServiceUri",
    "organisations_file": "alternative to VISH_ORGANISATIONS_JSON",
    "secrets_dir": "local secrets only",
    "secret_cache_seconds": "default 300 s fits Azure",
    "work_dir": "system temp is right on Flex Consumption",
    "max_extract_bytes": "default 512 MiB",
    "max_report_issues": "default 10 000",
    "quarantine_container": "default name, created by storage.bicep",
    "snapshots_container": "default name, created by storage.bicep",
    "reports_container": "default name, created by storage.bicep",
    "outbox_container": "default name, created by storage.bicep",
    "locks_container": "default name, created by storage.bicep",
    "outcomes_table": "default name, created by storage.bicep",
}


def test_every_setting_the_code_reads_is_set_by_the_bicep_or_documented_optional():
    settings = app_settings()
    readme = (INFRA.parent / "README.md").read_text()
    for field, info in Settings.model_fields.items():
        names = {f"VISH_{field.upper()}"}
        if info.validation_alias is not None:
            names |= set(info.validation_alias.choices)
        if names & set(settings):
            continue
        assert field in OPTIONAL_SETTINGS, f"{field} is neither set by the Bicep nor documented optional"
        assert f"VISH_{field.upper()}" in readme


def test_the_organisations_document_is_an_object_parameter_written_as_json_text():
    """azd parses an object parameter's variable as JSON; a string parameter it pastes raw into
    the parameters file (tests/test_azd_parameters.py). The app reads the setting as JSON text."""
    main = parsed("main.bicep")
    assert main["parameters"]["organisations"]["type"] == "object"
    assert "organisationsJson" not in main["parameters"]
    written = main["modules"]["functionApp"]["config"]["params"]["organisationsJson"]
    assert written == {"function": {"type": "string", "parameters": {"value_to_convert": "organisations"}}}
    assert app_settings()["VISH_ORGANISATIONS_JSON"] == "organisationsJson"


# -- upload rights per organisation (modules/uploaders.bicep) -----------------------------------------
BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
UPLOADER_CONDITION_FOR_GEMEENTE_X = (  # written out: what ARM receives for organisation gemeente-x
    "((!(ActionMatches{'" + BLOBS + "/write'}) AND !(ActionMatches{'" + BLOBS + "/add/action'})) OR "
    "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'extracts' AND "
    "@Resource[" + BLOBS + ":path] StringStartsWith 'gemeente-x/')) AND "
    "((!(ActionMatches{'" + BLOBS + "/read'} AND NOT SubOperationMatches{'Blob.List'})) OR "
    "((@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'extracts' OR "
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'reports') AND "
    "@Resource[" + BLOBS + ":path] StringStartsWith 'gemeente-x/')) AND "
    "((!(ActionMatches{'" + BLOBS + "/read'} AND SubOperationMatches{'Blob.List'})) OR "
    "((@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'extracts' OR "
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'reports') AND "
    "@Request[" + BLOBS + ":prefix] StringStartsWith 'gemeente-x/'))")


def accessor(left: str, right: str) -> dict:
    return {"operator": {"type": "property_accessor", "operands": {"operand_1": left, "operand_2": right}}}


def bicep_string(text: str, variables: dict[str, str], item: dict[str, str]) -> str:
    """A Bicep string literal as pycep keeps it (escapes and ``${...}`` intact), evaluated: the
    template's string variables and the loop item's properties filled in."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("uploader."):
            return item[name.removeprefix("uploader.")]
        return bicep_string(variables[name], variables, item)

    filled = re.sub(r"\$\{([\w.]+)\}", value, text)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), filled)


def uploader_condition(organisation: str) -> str:
    document = parsed("modules/uploaders.bicep")
    variables = {name: v["value"] for name, v in document["variables"].items() if isinstance(v["value"], str)}
    body = resource("modules/uploaders.bicep", "uploaderAssignments")["config"]["config"]
    text = body["properties"]["condition"]
    return bicep_string(text, variables, {"organisation": organisation})


TOKEN = re.compile(r"\s*(\(|\)|!|AND\b|OR\b|NOT\b|(?:ActionMatches|SubOperationMatches)\{'[^']*'\}"
                   r"|@(?:Resource|Request)\[[^\]]*\]|StringEquals\b|StringStartsWith\b|'[^']*')")


def abac_allows(condition: str, request: dict) -> bool:
    """Evaluate a role assignment condition (the subset used here) for one request:
    ``{"action", "suboperation", "attributes": {"@Resource[...]": value, ...}}``. Per the format's
    rules, AND and OR are not mixed at one level without parentheses; a missing attribute compares
    false."""
    tokens, end = [], 0
    while end < len(condition.rstrip()):
        match = TOKEN.match(condition, end)
        assert match, f"condition not understood at: {condition[end:end + 60]}"
        tokens.append(match.group(1))
        end = match.end()
    position = 0

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def expression() -> bool:
        values, operators = [term()], set()
        while position < len(tokens) and tokens[position] in ("AND", "OR"):
            operators.add(take())
            values.append(term())
        assert len(operators) <= 1, "AND and OR mixed without parentheses"
        return all(values) if operators == {"AND"} else any(values)

    def term() -> bool:
        token = take()
        if token in ("!", "NOT"):
            return not term()
        if token == "(":
            inner = expression()
            assert take() == ")"
            return inner
        if token.startswith("ActionMatches"):
            return request["action"] == token[len("ActionMatches{'"):-2]
        if token.startswith("SubOperationMatches"):
            return request.get("suboperation") == token[len("SubOperationMatches{'"):-2]
        assert token.startswith("@"), token
        operator, literal = take(), take()[1:-1]
        actual = request["attributes"].get(token)
        if actual is None:
            return False
        return actual == literal if operator == "StringEquals" else actual.startswith(literal)

    result = expression()
    assert position == len(tokens), tokens[position:]
    return result


CONTAINER = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"


def blob_request(verb: str, container: str, path: str) -> dict:
    return {"action": f"{BLOBS}/{verb}",
            "attributes": {CONTAINER: container, f"@Resource[{BLOBS}:path]": path}}


def list_request(container: str, prefix: str | None) -> dict:
    attributes = {CONTAINER: container}
    if prefix is not None:
        attributes[f"@Request[{BLOBS}:prefix]"] = prefix
    return {"action": f"{BLOBS}/read", "suboperation": "Blob.List", "attributes": attributes}


def uploader_may(request: dict, organisation: str = "gemeente-x") -> bool:
    """What an uploader of ``organisation`` may do: the role's data actions, then the condition."""
    permissions = resource("modules/uploaders.bicep", "uploaderRole")["config"]["properties"]["permissions"]
    variables = {"blobs": BLOBS}
    data_actions = {bicep_string(a, variables, {}) for p in permissions for a in p["dataActions"]}
    return request["action"] in data_actions and abac_allows(uploader_condition(organisation), request)


def test_an_uploaders_condition_is_the_exact_text_arm_gets_and_version_2():
    assert uploader_condition("gemeente-x") == UPLOADER_CONDITION_FOR_GEMEENTE_X
    body = resource("modules/uploaders.bicep", "uploaderAssignments")["config"]["config"]
    assert body["properties"]["conditionVersion"] == "2.0"


@pytest.mark.parametrize(("request_", "allowed"), [
    (blob_request("write", "extracts", "gemeente-x/clienten-2026-11-28.csv"), True),
    (blob_request("add/action", "extracts", "gemeente-x/clienten-2026-11-28.csv"), True),
    (blob_request("read", "extracts", "gemeente-x/clienten-2026-11-28.csv"), True),
    (blob_request("read", "reports", "gemeente-x/20261128T083400Z-0123456789ab.csv"), True),
    (list_request("extracts", "gemeente-x/"), True),
    (list_request("reports", "gemeente-x/"), True),
    # another organisation, also one whose code starts with this one's
    (blob_request("write", "extracts", "gemeente-xy/clienten.csv"), False),
    (blob_request("write", "extracts", "andere/clienten.csv"), False),
    (blob_request("read", "reports", "andere/20261128T083400Z-0123456789ab.csv"), False),
    (blob_request("read", "reports", "gemeente-xy/20261128T083400Z-0123456789ab.csv"), False),
    (list_request("extracts", "gemeente-x"), False),  # would show gemeente-xy's names too
    (list_request("reports", "andere/"), False),
    # outside the folder, other containers, whole containers
    (blob_request("write", "extracts", "clienten.csv"), False),
    (blob_request("write", "reports", "gemeente-x/vals-rapport.csv"), False),
    (blob_request("write", "snapshots", "gemeente-x/current.csv"), False),
    (blob_request("read", "snapshots", "gemeente-x/current.csv"), False),
    (blob_request("read", "quarantine", "gemeente-x/20261128T083400Z-clienten.csv"), False),
    (blob_request("read", "outbox", "gemeente-x/bestand.csv"), False),
    (list_request("extracts", None), False),
    (list_request("extracts", ""), False),
    (list_request("snapshots", "gemeente-x/"), False),
    (list_request("quarantine", "gemeente-x/"), False),
    # actions the role does not hold at all
    (blob_request("delete", "extracts", "gemeente-x/clienten.csv"), False),
    (blob_request("move/action", "extracts", "gemeente-x/clienten.csv"), False),
])
def test_an_uploader_writes_only_its_own_extracts_and_reads_only_its_own_folders(request_, allowed):
    assert uploader_may(request_) is allowed


def test_the_condition_names_the_containers_the_code_uses():
    from shared.usecases.intake import EXTRACTS_CONTAINER

    assert EXTRACTS_CONTAINER == "extracts"
    assert Settings.model_fields["reports_container"].default == "reports"
    condition = uploader_condition("gemeente-x")
    assert set(re.findall(r"containers:name\] StringEquals '([^']*)'", condition)) == {"extracts", "reports"}


def test_the_uploader_role_writes_no_control_plane_and_is_assigned_per_entry_on_the_storage_account():
    """Of the control plane only reading a container's properties: Storage Blob Data Contributor
    would also let an uploader delete or change whole containers through Resource Manager, where
    no condition reaches."""
    role = resource("modules/uploaders.bicep", "uploaderRole")
    assert role["type"] == "Microsoft.Authorization/roleDefinitions"
    props = role["config"]["properties"]
    assert props["type"] == "CustomRole"
    [permission] = props["permissions"]
    assert permission["actions"] == ["Microsoft.Storage/storageAccounts/blobServices/containers/read"]
    assert permission["notActions"] == [] and permission["notDataActions"] == []
    assert sorted(permission["dataActions"]) == ["${blobs}/add/action", "${blobs}/read", "${blobs}/write"]
    assert props["assignableScopes"] == [{"function": {"type": "resource_group", "parameters": {
        "resource_group_name": None, "subscription_id": None}, "property_name": "id"}}]
    variables = parsed("modules/uploaders.bicep")["variables"]
    assert variables["roleName"]["value"] == "vish-bridge uploader (${storageName})"  # unique per tenant
    assignments = resource("modules/uploaders.bicep", "uploaderAssignments")
    assert assignments["type"] == "Microsoft.Authorization/roleAssignments"
    assert assignments["config"]["loop_type"]["detail"] == {"item_name": "uploader",
                                                             "array_name": "uploaders"}
    body = assignments["config"]["config"]
    assert body["scope"] == "storage"
    assert resource("modules/uploaders.bicep", "storage")["existing"] is True

    def item(name: str) -> dict:
        return accessor("uploader", name)

    # deterministic: the same entry deployed again is the same assignment
    assert body["name"] == {"function": {"type": "guid", "parameters": {
        "base_string": {"operator": {"type": "property_accessor", "operands": {
            "operand_1": "storage", "operand_2": "id"}}},
        "extra_string_1": item("organisation"), "extra_string_2": item("principalId"),
        "extra_string_3": "roleId"}}}
    assert body["properties"]["roleDefinitionId"] == {"operator": {"type": "property_accessor", "operands": {
        "operand_1": "uploaderRole", "operand_2": "id"}}}
    assert parsed("modules/uploaders.bicep")["variables"]["roleId"]["value"]["function"]["type"] == "guid"


def test_an_uploader_for_an_unknown_organisation_or_type_is_refused():
    body = resource("modules/uploaders.bicep", "uploaderAssignments")["config"]["config"]["properties"]
    principal = body["principalId"]["operator"]["operands"]
    known = principal["condition"]["operator"]["operands"]
    assert known["operand_1"] == {"function": {"type": "contains", "parameters": {
        "container": "organisationCodes", "item_to_find": accessor("uploader", "organisation")}}}
    # a quote would end the condition's string: refused too
    quote = known["operand_2"]["operator"]["operands"]["bool_value"]["function"]
    assert quote["type"] == "contains" and quote["parameters"]["item_to_find"] == "\\'"
    assert principal["true_value"]["operator"]["operands"]["operand_2"] == "principalId"
    refusal = principal["false_value"]["function"]
    assert refusal["type"] == "json" and "${uploader.organisation}" in refusal["parameters"]["arg_1"]
    assert "is not a code in the organisations document" in refusal["parameters"]["arg_1"]
    kind = body["principalType"]["operator"]["operands"]
    assert kind["condition"]["function"]["parameters"]["container"] == "principalTypes"
    assert parsed("modules/uploaders.bicep")["variables"]["principalTypes"]["value"] == [
        "Group", "User", "ServicePrincipal"]
    assert kind["false_value"]["function"]["type"] == "json"
    codes = parsed("main.bicep")["variables"]["organisationCodes"]["value"]
    assert codes["loop_type"]["detail"]["array_name"] == accessor("organisations", "organisations")
    assert codes["config"] == accessor("organisation", "code")


def test_without_uploaders_nothing_is_created_and_the_option_is_in_the_parameters_file():
    main = parsed("main.bicep")
    parameter = main["parameters"]["uploaders"]
    assert parameter["type"] == "array" and parameter["default"] == []
    module = main["modules"]["uploaderRights"]
    assert module["detail"]["path"] == "modules/uploaders.bicep"
    assert module["config"]["condition"] == {"operator": {"type": "not", "operands": {"bool_value": {
        "function": {"type": "empty", "parameters": {"item_to_test": "uploaders"}}}}}}
    params = module["config"]["config"]["params"]
    assert params["uploaders"] == "uploaders" and params["organisationCodes"] == "organisationCodes"
    assert params["storageName"] == {"operator": {"type": "property_accessor", "operands": {
        "operand_1": "storage", "operand_2": {"operator": {"type": "property_accessor", "operands": {
            "operand_1": "outputs", "operand_2": "name"}}}}}}
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert parameters["uploaders"] == {"value": []}


def test_the_condition_evaluator_is_not_lenient():
    """The evaluator above refuses what ARM would not read, and tells allow from deny."""
    with pytest.raises(AssertionError, match="mixed"):
        abac_allows("@Resource[a] StringEquals 'x' AND @Resource[b] StringEquals 'y' OR "
                    "@Resource[c] StringEquals 'z'", {"action": "r", "attributes": {}})
    with pytest.raises(AssertionError, match="not understood"):
        abac_allows("@Resource[a] StringContains 'x'", {"action": "r", "attributes": {}})
    starts = "@Resource[a] StringStartsWith 'x/'"
    assert abac_allows(starts, {"action": "r", "attributes": {"@Resource[a]": "x/1"}})
    assert not abac_allows(starts, {"action": "r", "attributes": {"@Resource[a]": "x1"}})
    assert not abac_allows(starts, {"action": "r", "attributes": {}})
