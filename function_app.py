"""Azure Functions entry point: only registers the blueprints (logic lives in shared/)."""

import azure.functions as func

from functions.deliver_daily import bp as deliver_daily_bp
from functions.validate_extract import bp as validate_extract_bp

app = func.FunctionApp()
app.register_functions(validate_extract_bp)
app.register_functions(deliver_daily_bp)
