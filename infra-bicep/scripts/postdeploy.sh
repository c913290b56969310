#!/usr/bin/env sh
# After code deployment: create the Event Grid subscription that sends BlobCreated events under
# extracts/ to the blob extension's webhook of validate_extract, and an availability test on
# GET /api/status (it fails on 503). Both need keys that exist only once the code is deployed.
# Inputs (azd sets them from the Bicep outputs; set them yourself with deploy.sh):
#   AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_FUNCTION_HOST AZURE_EVENTGRID_TOPIC
#   AZURE_APP_INSIGHTS_NAME AZURE_ACTION_GROUP_ID
set -eu
: "${AZURE_RESOURCE_GROUP:?}" "${AZURE_FUNCTION_APP_NAME:?}" "${AZURE_FUNCTION_HOST:?}"
: "${AZURE_EVENTGRID_TOPIC:?}" "${AZURE_APP_INSIGHTS_NAME:?}"

FUNCTION_NAME=validate_extract   # must be the exact function name: a wrong one drops events silently

echo "waiting for the blobs_extension system key ..."
i=0
until KEY=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
        --query "systemKeys.blobs_extension" -o tsv 2>/dev/null) && [ -n "$KEY" ]; do
  i=$((i + 1)); [ "$i" -gt 30 ] && { echo "no blobs_extension key after 5 minutes" >&2; exit 1; }
  sleep 10
done

ENDPOINT="https://${AZURE_FUNCTION_HOST}/runtime/webhooks/blobs?functionName=Host.Functions.${FUNCTION_NAME}&code=${KEY}"
az eventgrid system-topic event-subscription create \
  --name vish-extracts \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --system-topic-name "$AZURE_EVENTGRID_TOPIC" \
  --endpoint-type webhook \
  --endpoint "$ENDPOINT" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with /blobServices/default/containers/extracts/ \
  --max-delivery-attempts 30 --event-ttl 1440 \
  --only-show-errors >/dev/null
echo "Event Grid subscription vish-extracts -> ${FUNCTION_NAME}"

STATUS_KEY=$(az functionapp function keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
  --function-name status --query default -o tsv)
az monitor app-insights web-test create \
  --resource-group "$AZURE_RESOURCE_GROUP" --name vish-status --web-test-name vish-status \
  --kind standard --frequency 300 --timeout 60 --enabled true --retry-enabled true \
  --defined-web-test-name vish-status --location westeurope \
  --locations Id="emea-nl-ams-azr" --locations Id="emea-gb-db3-azr" --locations Id="emea-fr-pra-edge" \
  --http-verb GET --request-url "https://${AZURE_FUNCTION_HOST}/api/status?code=${STATUS_KEY}" \
  --expected-status-code 200 \
  --tags "hidden-link:$(az monitor app-insights component show -g "$AZURE_RESOURCE_GROUP" \
          -a "$AZURE_APP_INSIGHTS_NAME" --query id -o tsv)=Resource" \
  --only-show-errors >/dev/null
echo "availability test vish-status on /api/status (alerts when it is not 200)"
