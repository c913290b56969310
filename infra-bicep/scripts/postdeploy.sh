#!/usr/bin/env sh
# After code deployment (azd's postdeploy hook; deploy.sh runs it too):
# 1. check that the app runs the Python the tests ran on and that the worker indexed all eleven
#    functions (a build with another Python cannot install the pinned worker: none are indexed);
# 2. create the Event Grid subscription that sends BlobCreated events under extracts/ to the
#    blob extension's webhook of validate_extract (it needs the blobs_extension system key);
# 3. deploy availability.bicep: the availability test on GET /api/status and its alert (it
#    needs a function key). Keys exist only once the code is deployed, hence this step.
# Inputs (azd sets them from the Bicep outputs; deploy.sh exports them):
#   AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_FUNCTION_HOST AZURE_EVENTGRID_TOPIC
#   AZURE_APP_INSIGHTS_NAME AZURE_ACTION_GROUP_ID AZURE_ENV_NAME; AZURE_SUBSCRIPTION_ID (azd's
#   subscription, which need not be az's default); VISH_POLL_SECONDS (default 10) between tries.
set -eu
: "${AZURE_RESOURCE_GROUP:?}" "${AZURE_FUNCTION_APP_NAME:?}" "${AZURE_FUNCTION_HOST:?}"
: "${AZURE_EVENTGRID_TOPIC:?}" "${AZURE_APP_INSIGHTS_NAME:?}" "${AZURE_ACTION_GROUP_ID:?}"
: "${AZURE_ENV_NAME:?}"

HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/scripts/lib.sh"
RG=$AZURE_RESOURCE_GROUP APP=$AZURE_FUNCTION_APP_NAME
POLL=${VISH_POLL_SECONDS:-10}
TRIES=30   # 30 x 10 s: five minutes for the host to start and index
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT   # dash runs the EXIT trap on exit, not on a signal: the key file must go
trap 'exit 143' TERM

# The eleven functions of function_app.py (tests/test_deploy_scripts.py keeps this list true).
FUNCTIONS="confirm_delivery connection_test deliver_daily deliver_one deliver_poison redeliver release_delivery release_extract status status_org validate_extract"
FUNCTION_NAME=validate_extract   # the Event Grid endpoint must name it exactly: a wrong one drops events silently

# 1. Python and the indexed functions.
WANT_PYTHON=$(sed -n "s/^param pythonVersion string = '\(.*\)'$/\1/p" "$HERE/main.bicep")
# For a Flex Consumption app az returns the resource as ARM does, with everything under properties.
RUNTIME=$(arm functionapp show -g "$RG" -n "$APP" \
  --query "[properties.functionAppConfig.runtime.name, properties.functionAppConfig.runtime.version]" -o tsv)
RUNTIME=$(printf '%s\n' "$RUNTIME" | tr '\t\n' '  ')
case "$RUNTIME" in
  "python $WANT_PYTHON "*) echo "runtime: python $WANT_PYTHON" ;;
  *) echo "the app runs '$RUNTIME', not python $WANT_PYTHON (pythonVersion in main.bicep): the pinned worker needs $WANT_PYTHON" >&2; exit 1 ;;
esac
echo "waiting for the worker to index the eleven functions ..."
i=0
while :; do
  # the host may still be starting: an error here is a try, its text kept for the last one
  LISTED=$(arm functionapp function list -g "$RG" -n "$APP" --query "[].name" -o tsv 2>"$WORK/list.err" || true)
  INDEXED=$(printf '%s\n' "$LISTED" | sed 's|.*/||' | sort | tr '\n' ' ')
  MISSING=""
  for f in $FUNCTIONS; do
    case " $INDEXED" in *" $f "*) ;; *) MISSING="$MISSING $f" ;; esac
  done
  [ -z "$MISSING" ] && break
  i=$((i + 1))
  if [ "$i" -ge "$TRIES" ]; then
    echo "not indexed after $((TRIES * POLL)) s:$MISSING. The remote build or the worker failed: read the" \
         "deployment log (Python $WANT_PYTHON, requirements.txt) and Application Insights (README, The worker)" >&2
    cat "$WORK/list.err" >&2
    exit 1
  fi
  sleep "$POLL"
done
echo "indexed: $FUNCTIONS"

# 2. Event Grid subscription to the blob extension's webhook.
echo "waiting for the blobs_extension system key ..."
i=0
until KEY=$(arm functionapp keys list -g "$RG" -n "$APP" --query "systemKeys.blobs_extension" -o tsv 2>"$WORK/keys.err") \
      && [ -n "$KEY" ]; do
  i=$((i + 1))
  if [ "$i" -ge "$TRIES" ]; then
    echo "no blobs_extension key after $((TRIES * POLL)) s" >&2; cat "$WORK/keys.err" >&2; exit 1
  fi
  sleep "$POLL"
done
ENDPOINT="https://${AZURE_FUNCTION_HOST}/runtime/webhooks/blobs?functionName=Host.Functions.${FUNCTION_NAME}&code=${KEY}"
arm eventgrid system-topic event-subscription create \
  --name vish-extracts \
  --resource-group "$RG" \
  --system-topic-name "$AZURE_EVENTGRID_TOPIC" \
  --endpoint-type webhook \
  --endpoint "$ENDPOINT" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with /blobServices/default/containers/extracts/ \
  --max-delivery-attempts 30 --event-ttl 1440 \
  --only-show-errors >/dev/null
echo "Event Grid subscription vish-extracts -> ${FUNCTION_NAME}"

# 3. The availability test, with the status function's own key (revocable on its own).
STATUS_KEY=$(arm functionapp function keys list -g "$RG" -n "$APP" --function-name status \
  --query availability -o tsv)
if [ -z "$STATUS_KEY" ]; then
  # az does not show the key it makes (it prints "Keys have been redacted"): read it back
  arm functionapp function keys set -g "$RG" -n "$APP" --function-name status --key-name availability \
    --only-show-errors >/dev/null
  STATUS_KEY=$(arm functionapp function keys list -g "$RG" -n "$APP" --function-name status \
    --query availability -o tsv)
  if [ -z "$STATUS_KEY" ]; then
    echo "the status function's key 'availability' was made but cannot be read back: the availability test needs it" >&2
    exit 1
  fi
fi
# The key goes to python3 through the environment and into a file only this user can read, never
# onto a command line that others on the machine can see.
umask 077
STATUS_KEY=$STATUS_KEY "$PY" -c '
import json, os
values = {"environmentName": os.environ["AZURE_ENV_NAME"],
          "appInsightsName": os.environ["AZURE_APP_INSIGHTS_NAME"],
          "actionGroupId": os.environ["AZURE_ACTION_GROUP_ID"],
          "functionHost": os.environ["AZURE_FUNCTION_HOST"], "statusKey": os.environ["STATUS_KEY"]}
print(json.dumps({"parameters": {n: {"value": v} for n, v in values.items()}}))' >"$WORK/availability.json"
arm deployment group create -g "$RG" -n "vish-$AZURE_ENV_NAME-availability" -f "$HERE/availability.bicep" \
  -p "@$WORK/availability.json" --only-show-errors >/dev/null
echo "availability test vish-$AZURE_ENV_NAME-status on /api/status, alert vish-$AZURE_ENV_NAME-status-failing" \
     "(not 200 from three or more of five locations)"
