"""The function app's wiring as the Functions host indexes it (no host needed)."""

import json
import subprocess
import sys

from devtools.devservices import registered_functions

FUNCTIONS = registered_functions()


def test_validate_extract_is_an_event_grid_blob_trigger_on_extracts():
    [binding] = FUNCTIONS["validate_extract"].get_bindings_dict()["bindings"]
    assert binding["type"] == "blobTrigger"
    assert binding["source"] == "EventGrid"
    assert binding["path"] == "extracts/{org}/{name}"
    assert binding["connection"] == "AzureWebJobsStorage"


def test_the_trigger_parameter_is_an_sdk_type_so_the_host_sends_a_reference_not_the_bytes():
    """The worker asks azurefunctions.extensions.base whether the annotation is an SdkType with a
    converter for the binding; only then does the host send model binding data."""
    import typing
    from types import SimpleNamespace

    from azurefunctions.extensions.base import meta

    from shared.adapters.blob_binding import StreamingBlob, StreamingBlobConverter

    fn = FUNCTIONS["validate_extract"]
    pytype = typing.get_type_hints(fn.get_user_function())["client"]
    assert pytype is StreamingBlob and meta._ConverterMeta.check_supported_type(pytype)
    assert meta._ConverterMeta.get("blobTrigger") is StreamingBlobConverter
    raw, logs = meta._ConverterMeta.get_raw_bindings(fn, {"client": SimpleNamespace(pytype=pytype)})
    assert json.loads(raw[0])["properties"] == {"SupportsDeferredBinding": True}
    assert logs == {"client": {StreamingBlob: "True"}}
    assert StreamingBlobConverter.check_input_type_annotation(pytype)


def test_importing_the_app_loads_none_of_the_heavy_sdks():
    code = ("import sys, json, function_app; print(json.dumps(sorted(m for m in sys.modules if "
            "m.split('.')[0] == 'paramiko' or m.startswith(('azure.keyvault', 'azure.identity', "
            "'azure.storage.blob', 'azure.data.tables')))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == []


def test_deliver_daily_is_a_setting_driven_timer():
    [binding] = FUNCTIONS["deliver_daily"].get_bindings_dict()["bindings"]
    assert binding["type"] == "timerTrigger"
    assert binding["schedule"] == "%VISH_DELIVERY_SCHEDULE%"
    assert binding["runOnStartup"] is False and binding["useMonitor"] is True
