"""The blob trigger's binding: the host's model binding data read with clear errors, and
connection settings other than the host storage read the way the Functions host reads them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from azurefunctions.extensions.base import Datum

from shared.adapters.blob_binding import (
    BlobBindingError,
    BlobConnection,
    StreamingBlob,
    StreamingBlobConverter,
    blob_service_for,
    read_reference,
    resolve_connection,
)

SECRET_KEY = "c2VjcmV0LWtleS1uZXZlci1zaG93bg=="


def binding_data(content, **overrides):
    fields = {"version": "1.0", "source": "AzureStorageBlobs", "content_type": "application/json",
              "content": content if isinstance(content, (bytes, str)) else json.dumps(content)}
    return SimpleNamespace(**{**fields, **overrides})


GOOD = {"Connection": "AzureWebJobsStorage", "ContainerName": "extracts", "BlobName": "gem/123456782.csv"}


def test_the_three_content_keys_are_read():
    reference = read_reference(binding_data(GOOD))
    assert (reference.connection, reference.container, reference.blob) == (
        "AzureWebJobsStorage", "extracts", "gem/123456782.csv")
    assert read_reference(binding_data(json.dumps(GOOD).encode())).blob == "gem/123456782.csv"


@pytest.mark.parametrize("content, expected", [
    ({"ContainerName": "extracts", "BlobName": "b"},
     "lacks Connection (keys present: BlobName, ContainerName)"),
    ({"Connection": "c", "BlobName": "b"}, "lacks ContainerName"),
    ({"Connection": "c", "ContainerName": "extracts"}, "lacks BlobName"),
    ({"Connection": "c", "ContainerName": "", "BlobName": 7}, "lacks ContainerName, BlobName"),
    ({}, "lacks Connection, ContainerName, BlobName (keys present: )"),
    (["Connection"], "not a JSON object"),
    ("{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
])
def test_missing_or_broken_content_is_named_and_no_value_is_echoed(content, expected):
    with pytest.raises(BlobBindingError) as caught:
        read_reference(binding_data(content))
    assert expected in str(caught.value)
    assert "123456782" not in str(caught.value)


def test_a_missing_model_binding_data_object_is_named():
    with pytest.raises(BlobBindingError, match="model binding data is missing"):
        read_reference(None)


@pytest.mark.parametrize("field, value, expected", [
    ("source", "AzureCosmosDB", "from 'AzureCosmosDB', expected 'AzureStorageBlobs'"),
    ("content_type", "application/xml", "content type 'application/xml'"),
])
def test_binding_data_of_another_source_or_type_is_refused(field, value, expected):
    with pytest.raises(BlobBindingError, match=expected):
        read_reference(binding_data(GOOD, **{field: value}))


def test_the_converter_refuses_bytes_and_an_empty_datum_with_the_cause():
    with pytest.raises(BlobBindingError, match=r"'bytes' data .* deferred binding is off"):
        StreamingBlobConverter.decode(Datum(b"BSN;", "bytes"), trigger_metadata={}, pytype=StreamingBlob)
    for empty in (None, Datum(None, None)):
        with pytest.raises(BlobBindingError, match="no data for the blob"):
            StreamingBlobConverter.decode(empty, trigger_metadata={}, pytype=StreamingBlob)


# -- connection settings ---------------------------------------------------------------------------

def test_a_connection_string_setting_wins_also_under_the_hosts_prefix():
    text = f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={SECRET_KEY}"
    env = {"Other": text, "Other__blobServiceUri": "https://b.blob.core.windows.net"}
    assert resolve_connection("Other", env).connection_string == text
    assert resolve_connection("Other", {"AzureWebJobsOther": text}).connection_string == text


def test_the_binding_uri_comes_before_the_triggers_as_in_the_official_extension():
    env = {"Other__serviceUri": "https://a.blob.core.windows.net",
           "Other__blobServiceUri": "https://b.blob.core.windows.net"}
    assert resolve_connection("Other", env).account_url == "https://a.blob.core.windows.net"


@pytest.mark.parametrize("key", ["managedIdentityResourceId", "tenantId", "clientSecret",
                                 "clientCertificate"])
def test_identity_settings_this_binding_does_not_use_are_refused_not_ignored(key):
    env = {"Other__blobServiceUri": "https://acct.blob.core.windows.net", f"Other__{key}": "s3cr3t-value"}
    with pytest.raises(BlobBindingError) as caught:
        resolve_connection("Other", env)
    assert f"'Other__{key}' is not supported" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)


@pytest.mark.parametrize("suffix", ["__blobServiceUri", "__serviceUri"])
def test_a_service_uri_uses_the_apps_credential_chain(suffix):
    got = resolve_connection("Other", {f"Other{suffix}": "https://acct.blob.core.windows.net"})
    assert got == BlobConnection(account_url="https://acct.blob.core.windows.net")


def test_an_account_name_gives_the_public_cloud_blob_endpoint():
    got = resolve_connection("Other", {"Other__accountName": "vishprod01"})
    assert got.account_url == "https://vishprod01.blob.core.windows.net"
    with pytest.raises(BlobBindingError, match="'Other__accountName' is not a storage account name"):
        resolve_connection("Other", {"Other__accountName": "evil.example/x?"})


def test_a_user_assigned_identity_needs_credential_and_client_id():
    base = {"Other__blobServiceUri": "https://acct.blob.core.windows.net"}
    user = resolve_connection("Other", {**base, "Other__credential": "managedidentity",
                                        "Other__clientId": "11111111-2222-3333-4444-555555555555"})
    assert user.managed_identity_client_id == "11111111-2222-3333-4444-555555555555"
    system = resolve_connection("Other", {**base, "Other__credential": "ManagedIdentity"})
    assert system.managed_identity_client_id == ""
    with pytest.raises(BlobBindingError, match="'Other__clientId' needs 'Other__credential'"):
        resolve_connection("Other", {**base, "Other__clientId": "1111"})
    with pytest.raises(BlobBindingError, match="'Other__credential' must be 'managedidentity'"):
        resolve_connection("Other", {**base, "Other__credential": "azurecli"})


def test_an_unconfigured_or_plain_http_connection_is_refused_by_setting_name():
    with pytest.raises(BlobBindingError) as caught:
        resolve_connection("Other", {})
    assert all(name in str(caught.value) for name in
               ("'Other'", "'Other__blobServiceUri'", "'Other__serviceUri'", "'Other__accountName'"))
    with pytest.raises(BlobBindingError, match="must start with https://"):
        resolve_connection("Other", {"Other__serviceUri": "http://acct.blob.core.windows.net"})


def test_the_identity_clients_are_built_with_the_identity_named(monkeypatch):
    from azure.identity import ManagedIdentityCredential

    monkeypatch.setenv("Other__blobServiceUri", "https://acct.blob.core.windows.net")
    monkeypatch.setenv("Other__credential", "managedidentity")
    monkeypatch.setenv("Other__clientId", "11111111-2222-3333-4444-555555555555")
    service = blob_service_for("Other")
    assert service.url == "https://acct.blob.core.windows.net/"
    assert isinstance(service.credential, ManagedIdentityCredential)


@pytest.mark.integration
def test_another_connection_string_setting_reaches_its_storage(azurite, monkeypatch):
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.get_container_client("bindingtest")
    if not container.exists():
        container.create_container()
    container.upload_blob("a/b.csv", b"BSN;x\n", overwrite=True)
    monkeypatch.setenv("ExtractsStorage", azurite.connection_string)
    data = binding_data({"Connection": "ExtractsStorage", "ContainerName": "bindingtest",
                         "BlobName": "a/b.csv"})
    client = StreamingBlobConverter.decode(Datum(data, "model_binding_data"), trigger_metadata={},
                                           pytype=StreamingBlob)
    assert client.download_blob().readall() == b"BSN;x\n"
