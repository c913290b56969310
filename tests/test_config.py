import pytest

from shared.config import ConfigError, Settings, load_organisations, parse_organisations


def test_defaults_give_the_local_example_organisation_and_azurite(monkeypatch):
    for name in ("VISH_ORGANISATIONS_JSON", "VISH_ORGANISATIONS_FILE", "VISH_STORAGE_CONNECTION_STRING",
                 "AzureWebJobsStorage", "VISH_BLOB_SERVICE_URI", "AzureWebJobsStorage__blobServiceUri"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    orgs = load_organisations(settings)
    [org] = orgs.organisations
    assert org.code == "voorbeeld" and org.eligibility_rule == "toelating"
    assert (org.invalid_threshold, org.mass_drop_threshold) == (0.05, 0.30)
    assert "devstoreaccount1" in settings.connection_string()
    assert settings.outcomes_table == "outcomes"


def test_identity_based_storage_when_only_service_uris_are_set(monkeypatch):
    monkeypatch.delenv("VISH_STORAGE_CONNECTION_STRING", raising=False)
    monkeypatch.delenv("AzureWebJobsStorage", raising=False)
    monkeypatch.setenv("AzureWebJobsStorage__blobServiceUri", "https://st.blob.core.windows.net")
    assert Settings().connection_string() is None
    assert Settings().blob_service_uri == "https://st.blob.core.windows.net"


def test_use_development_storage_means_azurite(monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    assert "127.0.0.1:10000" in Settings().connection_string()


@pytest.mark.parametrize(("document", "fragment"), [
    ("{", "not valid JSON"),
    ('{"organisations": []}', "organisations"),
    ('{"organisations": [{"code": "A b"}]}', "organisations.0.code"),
    ('{"organisations": [{"code": "ok", "name": "n", "aansluitcode": "a", "contact": '
     '{"naam": "x", "telefoon": "14 0999", "email": "x@y.nl"}, "eligibility_rule": "ooit"}]}',
     "eligibility_rule"),
    ('{"organisations": [{"code": "ok", "name": "n", "aansluitcode": "a", "contact": '
     '{"naam": "x", "telefoon": "14 0999", "email": "x@y.nl"}, "column_aliases": {"Nr": "bsnn"}}]}',
     "unknown fields"),
])
def test_invalid_organisation_documents_give_clear_errors(document, fragment):
    with pytest.raises(ConfigError) as exc:
        parse_organisations(document, "VISH_ORGANISATIONS_JSON")
    assert fragment in str(exc.value) and "VISH_ORGANISATIONS_JSON" in str(exc.value)


def test_duplicate_codes_are_refused():
    org = ('{"code": "ok", "name": "n", "aansluitcode": "a", "contact": '
           '{"naam": "x", "telefoon": "14 0999", "email": "x@y.nl"}}')
    with pytest.raises(ConfigError, match="repeated"):
        parse_organisations(f'{{"organisations": [{org}, {org}]}}', "x")


def test_the_shipped_example_file_matches_the_built_in_default():
    import json
    from pathlib import Path

    from shared.config import EXAMPLE_ORGANISATIONS

    shipped = json.loads((Path(__file__).parent.parent / "organisations.example.json").read_text())
    assert shipped == EXAMPLE_ORGANISATIONS
