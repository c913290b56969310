"""Azure Functions entry point: only registers the blueprints (logic lives in shared/)."""

import azure.functions as func

# Imported here, not only by functions/validate_extract.py: the Python 3.13 worker turns deferred
# binding on only when azurefunctions.extensions.base (imported by this module) is loaded once
# function_app is; without it the host would send every extract's bytes instead of a reference
# (tests/test_host_contract.py drives the worker to prove it).
import shared.adapters.blob_binding  # noqa: F401
from functions.admin import bp as admin_bp
from functions.deliver_daily import bp as deliver_daily_bp
from functions.deliver_queue import bp as deliver_queue_bp
from functions.status import bp as status_bp
from functions.validate_extract import bp as validate_extract_bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (validate_extract_bp, deliver_daily_bp, deliver_queue_bp, status_bp, admin_bp):
    app.register_functions(blueprint)
