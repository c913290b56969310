"""Azure Functions entry point: only registers the blueprints (logic lives in shared/)."""

import azure.functions as func

from functions.validate_extract import bp as validate_extract_bp

app = func.FunctionApp()
app.register_functions(validate_extract_bp)
