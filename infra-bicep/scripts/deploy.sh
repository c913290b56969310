#!/usr/bin/env sh
# Deploy without azd: provision, publish the code (remote build), run the post-deploy step.
# Usage: infra-bicep/scripts/deploy.sh RESOURCE_GROUP LOCATION ENV_NAME ALERT_EMAIL ORGANISATIONS_JSON_FILE
set -eu
RG=$1 LOCATION=$2 ENV=$3 EMAIL=$4 ORGS_FILE=$5
HERE=$(cd "$(dirname "$0")/.." && pwd)

az group create -n "$RG" -l "$LOCATION" --only-show-errors >/dev/null
OUT=$(az deployment group create -g "$RG" -f "$HERE/main.bicep" \
  -p environmentName="$ENV" location="$LOCATION" alertEmail="$EMAIL" \
     organisationsJson="$(cat "$ORGS_FILE")" \
  --query properties.outputs -o json)
get() { echo "$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1']['value'])"; }

export AZURE_RESOURCE_GROUP="$RG"
export AZURE_FUNCTION_APP_NAME="$(get AZURE_FUNCTION_APP_NAME)"
export AZURE_FUNCTION_HOST="$(get AZURE_FUNCTION_HOST)"
export AZURE_EVENTGRID_TOPIC="$(get AZURE_EVENTGRID_TOPIC)"
export AZURE_APP_INSIGHTS_NAME="$(get AZURE_APP_INSIGHTS_NAME)"
export AZURE_ACTION_GROUP_ID="$(get AZURE_ACTION_GROUP_ID)"

( cd "$HERE/.." && zip -qr /tmp/vish-bridge.zip . -x '.venv/*' 'node_modules/*' '.git/*' 'tests/*' 'devtools/*' \
    'benchmarks/*' 'demo-output/*' '.vish-local/*' )
az functionapp deployment source config-zip -g "$RG" -n "$AZURE_FUNCTION_APP_NAME" \
  --src /tmp/vish-bridge.zip --build-remote true --only-show-errors >/dev/null
"$HERE/scripts/postdeploy.sh"
echo "deployed: https://$AZURE_FUNCTION_HOST/api/status"
STATIC_IP=$(get STATIC_OUTBOUND_IP)
[ -n "$STATIC_IP" ] && echo "outbound IP for SNG's allow-list: $STATIC_IP"
