"""The function app's wiring as the Functions host indexes it (no host needed)."""

import json
import subprocess
import sys

from shared.devservices import registered_functions

FUNCTIONS = registered_functions()


def test_validate_extract_is_an_event_grid_blob_trigger_on_extracts():
    [binding] = FUNCTIONS["validate_extract"].get_bindings_dict()["bindings"]
    assert binding["type"] == "blobTrigger"
    assert binding["source"] == "EventGrid"
    assert binding["path"] == "extracts/{org}/{name}"
    assert binding["connection"] == "AzureWebJobsStorage"


def test_the_trigger_parameter_is_the_sdk_blob_client_not_input_stream():
    import azurefunctions.extensions.bindings.blob as blob
    from azurefunctions.extensions.bindings.blob import BlobClientConverter

    annotation = FUNCTIONS["validate_extract"].get_user_function().__annotations__["client"]
    resolved = eval(annotation, vars(sys.modules["functions.validate_extract"])) \
        if isinstance(annotation, str) else annotation
    assert resolved is blob.BlobClient
    assert BlobClientConverter.check_input_type_annotation(resolved)


def test_importing_the_app_does_not_load_paramiko_or_key_vault():
    code = ("import sys, json, function_app; print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] == 'paramiko' or m.startswith('azure.keyvault'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == []


def test_deliver_daily_is_a_setting_driven_timer():
    [binding] = FUNCTIONS["deliver_daily"].get_bindings_dict()["bindings"]
    assert binding["type"] == "timerTrigger"
    assert binding["schedule"] == "%VISH_DELIVERY_SCHEDULE%"
    assert binding["runOnStartup"] is False and binding["useMonitor"] is True
