#!/usr/bin/env sh
# Before provisioning (azd's preprovision hook; deploy.sh runs it too): refuse what would fail
# halfway through a deployment, with a sentence that says what to do, and register the resource
# provider the VNet option needs.
# Inputs: AZURE_ENV_NAME, VISH_ALERT_EMAIL, VISH_ORGANISATIONS_JSON (the document's text),
# AZURE_SUBSCRIPTION_ID (azd's subscription, which need not be az's default), AZURE_RESOURCE_GROUP
# (azd asks for it only after this hook on a new environment), VISH_KEY_VAULT_SEED; options are
# read from infra-bicep/main.parameters.json (enableStaticOutboundIp, keyVaultPublicNetworkAccess).
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/scripts/lib.sh"
: "${AZURE_ENV_NAME:?set AZURE_ENV_NAME (the azd environment)}"


# Resource names are vish-<environment>-logs, -storage-events ...: what Log Analytics, Event
# Grid and the others all accept (azd itself also allows _ . and parentheses).
if ! printf '%s' "$AZURE_ENV_NAME" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9-]{0,10}[A-Za-z0-9]$'; then
  echo "environment name '$AZURE_ENV_NAME': use 2 to 12 letters, digits or hyphens, beginning and ending with a letter or digit" >&2
  exit 1
fi
[ -n "${VISH_ALERT_EMAIL:-}" ] || { echo "set VISH_ALERT_EMAIL (azd env set VISH_ALERT_EMAIL beheer@...)" >&2; exit 1; }
[ -n "${VISH_ORGANISATIONS_JSON:-}" ] || {
  echo "set VISH_ORGANISATIONS_JSON to the organisations document (azd env set VISH_ORGANISATIONS_JSON \"\$(cat organisations.json)\")" >&2
  exit 1
}
printf '%s' "$VISH_ORGANISATIONS_JSON" | "$PY" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError as exc:
    sys.exit(f"VISH_ORGANISATIONS_JSON is not valid JSON (line {exc.lineno}, column {exc.colno})")
if not isinstance(doc, dict) or not isinstance(doc.get("organisations"), list) or not doc["organisations"]:
    sys.exit("VISH_ORGANISATIONS_JSON must be an object with a non-empty \"organisations\" list (README, Deploy)")
' || exit 1

option() {
  "$PY" -c 'import json, sys; print(str(json.load(open(sys.argv[1]))["parameters"][sys.argv[2]]["value"]).lower())' \
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
  STATE=$(arm provider show --namespace Microsoft.App --query registrationState -o tsv)
  if [ "$STATE" != Registered ]; then
    echo "registering the Microsoft.App resource provider (VNet integration of Flex Consumption needs it) ..."
    arm provider register --namespace Microsoft.App --wait --only-show-errors >/dev/null
  fi
fi

# Purge protection keeps a deleted vault, and its name, for 90 days: provisioning the same
# environment with the same seed into the same resource group again then fails halfway. The
# vault's tags say its environment and seed (main.bicep); say so before starting.
SEED=${VISH_KEY_VAULT_SEED:-none}
if [ "${VISH_KEY_VAULT_SEED:-}" = none ]; then
  echo "VISH_KEY_VAULT_SEED=none is taken (it is the tag of a vault without a seed): choose another value" >&2
  exit 1
fi
if DELETED=$(arm keyvault list-deleted --resource-type vault \
    --query "[?properties.tags.\"azd-env-name\"=='$AZURE_ENV_NAME'].[name, properties.vaultId, properties.scheduledPurgeDate, properties.tags.\"vish-key-vault-seed\"]" \
    -o tsv); then
  GROUP=$(printf '%s' "${AZURE_RESOURCE_GROUP:-}" | tr '[:upper:]' '[:lower:]')
  # name, group (from the vault id), purge date, for each deleted vault with this seed
  SAME_SEED=$(printf '%s\n' "$DELETED" | awk -F '\t' -v seed="$SEED" '
    NF >= 2 {
      tag = ($4 == "" || $4 == "None") ? "none" : $4   # a vault from before the tag: no seed
      group = ""; n = split(tolower($2), part, "/")
      for (i = 1; i < n; i++) if (part[i] == "resourcegroups") group = part[i + 1]
      if (tag == seed) print $1 "\t" group "\t" $3
    }')
  if [ -n "$SAME_SEED" ] && [ -z "$GROUP" ]; then
    echo "a deleted Key Vault of environment $AZURE_ENV_NAME (resource group $(printf '%s\n' "$SAME_SEED" | cut -f2 | sort -u | tr '\n' ' '| sed 's/ $//')) would block provisioning into that group again." >&2
    echo "Name the resource group first (azd env set AZURE_RESOURCE_GROUP <rg>), so that this check can tell." >&2
    exit 1
  fi
  MINE=$(printf '%s\n' "$SAME_SEED" | awk -F '\t' -v rg="$GROUP" 'rg != "" && $1 != "" && $2 == rg { print $1 " (kept until " $3 ")" }')
  if [ -n "$MINE" ]; then
    echo "a deleted Key Vault of environment $AZURE_ENV_NAME in $AZURE_RESOURCE_GROUP still holds the name this deployment would use: $MINE." >&2
    echo "Either recover it, with its SFTP secrets: az keyvault recover --name <name> (then provision again)," >&2
    echo "or start a new vault: set VISH_KEY_VAULT_SEED to a value not used before (azd env set VISH_KEY_VAULT_SEED 2) and put the secrets in again." >&2
    exit 1
  fi
else
  echo "note: could not list deleted Key Vaults (no right to?): a deleted vault of this environment would stop the provisioning halfway" >&2
fi
echo "preprovision: checks passed"
