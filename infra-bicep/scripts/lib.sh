# shellcheck shell=sh
# Sourced by deploy.sh, preprovision.sh and postdeploy.sh (POSIX sh, set -eu).
# shellcheck disable=SC2034  # PY is used by the scripts that source this file

# az on azd's subscription (AZURE_SUBSCRIPTION_ID), which need not be az's default: every Azure
# Resource Manager call of the scripts goes through this.
arm() {
  if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then az "$@" --subscription "$AZURE_SUBSCRIPTION_ID"; else az "$@"; fi
}

# A Python 3.8 or newer, as python3 or python: azd runs the hooks with bash on Windows too, where
# python3 is often only the Microsoft Store's placeholder.
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' >/dev/null 2>&1; then
  PY=python3
elif python -c 'import sys; sys.exit(sys.version_info < (3, 8))' >/dev/null 2>&1; then
  PY=python
else
  echo "the deployment scripts need Python 3.8 or newer, as python3 or python on PATH" >&2
  exit 1
fi
