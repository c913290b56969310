#!/usr/bin/env sh
# Deploy without azd: check, provision, publish the code (remote build), post-deploy step.
# Usage: infra-bicep/scripts/deploy.sh RESOURCE_GROUP LOCATION ENV_NAME ALERT_EMAIL ORGANISATIONS_JSON_FILE
# Needs: az (logged in), Python 3.8+ (python3 or python), git (the package is built from the last commit).
# Options (enableStaticOutboundIp, keyVaultPublicNetworkAccess) are read from main.parameters.json.
# From the environment: VISH_KEY_VAULT_SEED; VISH_PRINCIPAL_ID and VISH_PRINCIPAL_TYPE (User, Group or
# ServicePrincipal: who gets Key Vault Secrets Officer; default: the signed-in account);
# VISH_SECRETS_OFFICER=none (nobody gets it). Acts on az's current subscription.
set -eu
[ $# -eq 5 ] || { sed -n 3p "$0" >&2; exit 2; }
RG=$1 LOCATION=$2 ENV=$3 EMAIL=$4 ORGS_FILE=$5
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/scripts/lib.sh"
[ -f "$ORGS_FILE" ] || { echo "no organisations document at $ORGS_FILE" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT   # dash runs the EXIT trap on exit, not on a signal: make the signal an exit
trap 'exit 143' TERM

# The package first: a tree with uncommitted product changes is refused before anything is made.
"$PY" "$HERE/scripts/package.py" "$WORK/vish-bridge.zip"

export AZURE_ENV_NAME="$ENV" AZURE_LOCATION="$LOCATION" AZURE_RESOURCE_GROUP="$RG"
# az's current subscription, named explicitly so the hooks act on the same one
AZURE_SUBSCRIPTION_ID=$(az account show --query id -o tsv)
export AZURE_SUBSCRIPTION_ID
export VISH_ALERT_EMAIL="$EMAIL"
VISH_ORGANISATIONS_JSON=$(cat "$ORGS_FILE")
export VISH_ORGANISATIONS_JSON
"$HERE/scripts/preprovision.sh"

# Who deploys gets Key Vault Secrets Officer, so that they can put the SFTP secrets in: the
# object id ("oid") of the signed-in user, service principal or managed identity, read from its
# own access token as azd does (az ad ... would need Microsoft Graph rights a CI login lacks).
# VISH_SECRETS_OFFICER=none grants it to nobody.
AZURE_PRINCIPAL_ID=${VISH_PRINCIPAL_ID:-}
AZURE_PRINCIPAL_TYPE=${VISH_PRINCIPAL_TYPE:-User}
if [ -z "$AZURE_PRINCIPAL_ID" ]; then
  if [ "$(az account show --query user.type -o tsv)" = servicePrincipal ]; then
    AZURE_PRINCIPAL_TYPE=ServicePrincipal
  fi
  AZURE_PRINCIPAL_ID=$(az account get-access-token --query accessToken -o tsv | "$PY" -c '
import base64, json, sys
try:
    payload = sys.stdin.read().strip().split(".")[1]
    print(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("oid") or "")
except (IndexError, ValueError):
    print("")')
  if [ -z "$AZURE_PRINCIPAL_ID" ]; then
    echo "note: could not tell who is logged in: set VISH_PRINCIPAL_ID (and VISH_PRINCIPAL_TYPE) to give" \
         "them Key Vault Secrets Officer; deploying without" >&2
  fi
fi
export AZURE_PRINCIPAL_ID AZURE_PRINCIPAL_TYPE
"$PY" "$HERE/scripts/parameters.py" "$WORK/parameters.json"

arm group create -n "$RG" -l "$LOCATION" --only-show-errors >/dev/null
arm deployment group create -g "$RG" -n "vish-$ENV" -f "$HERE/main.bicep" -p "@$WORK/parameters.json" \
  --query properties.outputs -o json --only-show-errors >"$WORK/outputs.json"

# ARM does not keep the case of output names (azurE_FUNCTION_APP_NAME): look them up without it.
get() {
  "$PY" -c '
import json, sys
outputs = {k.lower(): v.get("value") for k, v in json.load(open(sys.argv[1])).items()}
value = outputs.get(sys.argv[2].lower())
if value is None:
    sys.exit("deployment output " + sys.argv[2] + " is missing")
print(value)' "$WORK/outputs.json" "$1"
}
AZURE_FUNCTION_APP_NAME=$(get AZURE_FUNCTION_APP_NAME)
AZURE_FUNCTION_HOST=$(get AZURE_FUNCTION_HOST)
AZURE_EVENTGRID_TOPIC=$(get AZURE_EVENTGRID_TOPIC)
AZURE_APP_INSIGHTS_NAME=$(get AZURE_APP_INSIGHTS_NAME)
AZURE_ACTION_GROUP_ID=$(get AZURE_ACTION_GROUP_ID)
AZURE_KEY_VAULT_NAME=$(get AZURE_KEY_VAULT_NAME)
STATIC_OUTBOUND_IP=$(get STATIC_OUTBOUND_IP)
export AZURE_FUNCTION_APP_NAME AZURE_FUNCTION_HOST AZURE_EVENTGRID_TOPIC AZURE_APP_INSIGHTS_NAME \
  AZURE_ACTION_GROUP_ID

arm functionapp deployment source config-zip -g "$RG" -n "$AZURE_FUNCTION_APP_NAME" \
  --src "$WORK/vish-bridge.zip" --build-remote true --only-show-errors >/dev/null
"$HERE/scripts/postdeploy.sh"
echo "deployed: https://$AZURE_FUNCTION_HOST/api/status"
echo "SFTP secrets go in Key Vault $AZURE_KEY_VAULT_NAME (README, Deploy)"
if [ -n "$STATIC_OUTBOUND_IP" ]; then
  echo "outbound IP for SNG's allow-list: $STATIC_OUTBOUND_IP"
fi
