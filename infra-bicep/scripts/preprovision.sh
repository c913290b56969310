#!/usr/bin/env sh
# Before provisioning (azd's preprovision hook; deploy.sh runs it too): refuse what would fail
# halfway through a deployment, with a sentence that says what to do, and register the resource
# provider the VNet option needs.
# Inputs: AZURE_ENV_NAME, VISH_ALERT_EMAIL, VISH_ORGANISATIONS_JSON (the document's text),
# AZURE_RESOURCE_GROUP (optional: to find this group's deleted Key Vault); options are read
# from infra-bicep/main.parameters.json (enableStaticOutboundIp, keyVaultPublicNetworkAccess).
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
: "${AZURE_ENV_NAME:?set AZURE_ENV_NAME (the azd environment)}"
[ -n "${VISH_ALERT_EMAIL:-}" ] || { echo "set VISH_ALERT_EMAIL (azd env set VISH_ALERT_EMAIL beheer@...)" >&2; exit 1; }
[ -n "${VISH_ORGANISATIONS_JSON:-}" ] || {
  echo "set VISH_ORGANISATIONS_JSON to the organisations document (azd env set VISH_ORGANISATIONS_JSON \"\$(cat organisations.json)\")" >&2
  exit 1
}
printf '%s' "$VISH_ORGANISATIONS_JSON" | python3 -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError as exc:
    sys.exit(f"VISH_ORGANISATIONS_JSON is not valid JSON (line {exc.lineno}, column {exc.colno})")
if not isinstance(doc, dict) or not isinstance(doc.get("organisations"), list) or not doc["organisations"]:
    sys.exit("VISH_ORGANISATIONS_JSON must be an object with a non-empty \"organisations\" list (README, Deploy)")
' || exit 1

option() {
  python3 -c 'import json, sys; print(str(json.load(open(sys.argv[1]))["parameters"][sys.argv[2]]["value"]).lower())' \
    "$HERE/main.parameters.json" "$1"
}
STATIC_IP=$(option enableStaticOutboundIp)
KV_ACCESS=$(option keyVaultPublicNetworkAccess)

if [ "$KV_ACCESS" = disabled ] && [ "$STATIC_IP" != true ]; then
  echo "keyVaultPublicNetworkAccess=Disabled needs enableStaticOutboundIp=true in main.parameters.json:" \
       "the app reaches a closed vault only through a private endpoint in its VNet" >&2
  exit 1
fi

if [ "$STATIC_IP" = true ]; then
  STATE=$(az provider show --namespace Microsoft.App --query registrationState -o tsv 2>/dev/null || true)
  if [ "$STATE" != Registered ]; then
    echo "registering the Microsoft.App resource provider (VNet integration of Flex Consumption needs it) ..."
    az provider register --namespace Microsoft.App --wait --only-show-errors >/dev/null
  fi
fi

# Purge protection keeps a deleted vault, and its name, for 90 days: provisioning the same
# environment with the same seed into the same resource group again then fails halfway. The
# vault's tags say its environment and seed (main.bicep); say so before starting.
if [ -n "${AZURE_RESOURCE_GROUP:-}" ]; then
  SEED=${VISH_KEY_VAULT_SEED:-none}
  if DELETED=$(az keyvault list-deleted --resource-type vault \
      --query "[?properties.tags.\"azd-env-name\"=='$AZURE_ENV_NAME'].[name, properties.vaultId, properties.scheduledPurgeDate, properties.tags.\"vish-key-vault-seed\"]" \
      -o tsv 2>/dev/null); then
    MINE=$(printf '%s\n' "$DELETED" | awk -F '\t' -v seed="$SEED" \
      -v rg="/resourcegroups/$(echo "$AZURE_RESOURCE_GROUP" | tr '[:upper:]' '[:lower:]')/" '
      NF >= 2 && index(tolower($2), rg) {
        tag = ($4 == "" || $4 == "None") ? "none" : $4   # a vault from before the tag: no seed
        if (tag == seed) print $1 " (kept until " $3 ")"
      }')
    if [ -n "$MINE" ]; then
      echo "a deleted Key Vault of environment $AZURE_ENV_NAME in $AZURE_RESOURCE_GROUP still holds the name this deployment would use: $MINE." >&2
      echo "Either recover it, with its SFTP secrets: az keyvault recover --name <name> (then provision again)," >&2
      echo "or start a new vault: set VISH_KEY_VAULT_SEED to a value not used before (azd env set VISH_KEY_VAULT_SEED 2) and put the secrets in again." >&2
      exit 1
    fi
  else
    echo "note: could not list deleted Key Vaults (no right to?): a deleted vault of this environment would stop the provisioning halfway" >&2
  fi
fi
echo "preprovision: checks passed"
