"""Azure Functions entry point: only registers the blueprints (logic lives in shared/)."""

import azure.functions as func

from functions.admin import bp as admin_bp
from functions.deliver_daily import bp as deliver_daily_bp
from functions.status import bp as status_bp
from functions.validate_extract import bp as validate_extract_bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (validate_extract_bp, deliver_daily_bp, status_bp, admin_bp):
    app.register_functions(blueprint)
