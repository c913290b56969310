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


STORAGE_SETTINGS = ("VISH_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage", "VISH_BLOB_SERVICE_URI",
                    "AzureWebJobsStorage__blobServiceUri", "VISH_TABLE_SERVICE_URI",
                    "AzureWebJobsStorage__tableServiceUri", "VISH_STORAGE_ACCOUNT_NAME",
                    "AzureWebJobsStorage__accountName", "WEBSITE_INSTANCE_ID")


def test_the_account_name_alone_gives_identity_based_blob_and_table_uris(monkeypatch):
    for name in STORAGE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "stvishprod")
    settings = Settings()
    assert settings.connection_string() is None
    assert settings.blob_service_uri == "https://stvishprod.blob.core.windows.net"
    assert settings.table_service_uri == "https://stvishprod.table.core.windows.net"
    monkeypatch.setenv("AzureWebJobsStorage__tableServiceUri", "https://other.table.core.windows.net")
    assert Settings().table_service_uri == "https://other.table.core.windows.net"  # explicit wins


def test_in_azure_no_storage_setting_is_an_error_never_azurite(monkeypatch):
    for name in STORAGE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert "127.0.0.1" in Settings().connection_string()  # locally: Azurite
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "0123abcd")
    with pytest.raises(ConfigError, match="AzureWebJobsStorage__accountName"):
        Settings().connection_string()


def test_use_development_storage_means_azurite(monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    assert "127.0.0.1:10000" in Settings().connection_string()


@pytest.mark.parametrize(("document", "fragment"), [
    ("{", "geen geldige JSON (regel 1, kolom 2)"),
    ('{"organisations": []}', "organisations"),
    ('{"organisations": [{"code": "A b"}]}', "organisatie nr. 1, veld 'code': heeft niet de juiste vorm"),
    ('{"organisations": [{"code": "ok", "name": "n", "aansluitcode": "a", "contact": '
     '{"naam": "x", "telefoon": "14 0999", "email": "x@y.nl"}, "eligibility_rule": "ooit"}]}',
     "eligibility_rule"),
    ('{"organisations": [{"code": "ok", "name": "n", "aansluitcode": "a", "contact": '
     '{"naam": "x", "telefoon": "14 0999", "email": "x@y.nl"}, "column_aliases": {"Nr": "bsnn"}}]}',
     "verwijst naar een onbekend veld bsnn; bekend zijn: "),
])
def test_invalid_organisation_documents_give_clear_errors(document, fragment):
    with pytest.raises(ConfigError) as exc:
        parse_organisations(document, "VISH_ORGANISATIONS_JSON")
    assert fragment in str(exc.value) and "VISH_ORGANISATIONS_JSON" in str(exc.value)


def test_duplicate_codes_are_refused():
    org = ('{"code": "ok", "name": "n", "aansluitcode": "a", "contact": '
           '{"naam": "x", "telefoon": "14 0999", "email": "x@y.nl"}}')
    with pytest.raises(ConfigError, match="elke organisatiecode mag maar één keer voorkomen; dubbel: ok"):
        parse_organisations(f'{{"organisations": [{org}, {org}]}}', "x")


def test_the_shipped_example_file_matches_the_built_in_default():
    import json
    from pathlib import Path

    from shared.config import EXAMPLE_ORGANISATIONS

    shipped = json.loads((Path(__file__).parent.parent / "organisations.example.json").read_text())
    assert shipped == EXAMPLE_ORGANISATIONS


def _document(*send_times: str) -> str:
    import json

    return json.dumps({"organisations": [
        {"code": f"gem{i}", "name": "n", "aansluitcode": "a", "send_time": send_time,
         "contact": {"naam": "x", "telefoon": "14 0999", "email": "x@y.nl"}}
        for i, send_time in enumerate(send_times)]})


def _settings(**values) -> Settings:
    return Settings(**{"organisations_json": None, "organisations_file": None, **values})


def test_a_send_time_the_schedule_never_reaches_is_refused_in_dutch():
    with pytest.raises(ConfigError) as exc:
        load_organisations(_settings(organisations_json=_document("23:45", "23:50")))
    assert str(exc.value) == (
        "organisatie 'gem1': verzendtijd 23:50 valt na de laatste tik van het schema '0 */15 * * * *' "
        "(laatste tik 23:45 lokale tijd); kies een vroegere verzendtijd")
    [a, b] = load_organisations(_settings(organisations_json=_document("23:45", "06:00"))).organisations
    assert (a.code, b.code) == ("gem0", "gem1")


def test_the_check_uses_the_configured_schedule_and_names_every_organisation():
    hourly = _settings(delivery_schedule="0 0 * * * *", organisations_json=_document("23:30", "23:01"))
    with pytest.raises(ConfigError) as exc:
        load_organisations(hourly)
    assert str(exc.value) == (
        "organisatie 'gem0': verzendtijd 23:30 valt na de laatste tik van het schema '0 0 * * * *' "
        "(laatste tik 23:00 lokale tijd); kies een vroegere verzendtijd; "
        "organisatie 'gem1': verzendtijd 23:01 valt na de laatste tik van het schema '0 0 * * * *' "
        "(laatste tik 23:00 lokale tijd); kies een vroegere verzendtijd")
    assert load_organisations(_settings(delivery_schedule="0 0 * * * *",
                                        organisations_json=_document("23:00"))).organisations


def test_the_organisations_file_is_checked_too(tmp_path):
    path = tmp_path / "organisations.json"
    path.write_text(_document("22:00"), encoding="utf-8")
    with pytest.raises(ConfigError, match="laatste tik 21:45 lokale tijd in de winter"):
        load_organisations(_settings(organisations_file=path, delivery_schedule="0 */15 4-20 * * *"))
    path.write_text(_document("21:45"), encoding="utf-8")
    assert load_organisations(_settings(organisations_file=path, delivery_schedule="0 */15 4-20 * * *"))


@pytest.mark.parametrize(("schedule", "detail"), [
    ("0 */15 * * *", "'0 */15 * * *' heeft 5 velden; verwacht zes"),
    ("0 0 6 * * 1-5", "veld 'dag van de week': alleen '*' wordt ondersteund"),
    ("0 0 25 * * *", "veld 'uur': 25 valt buiten 0-23"),
])
def test_an_unreadable_schedule_is_refused(schedule, detail):
    for settings in (_settings(delivery_schedule=schedule),  # the built-in example organisation
                     _settings(delivery_schedule=schedule, organisations_json=_document("06:00"))):
        with pytest.raises(ConfigError) as exc:
            load_organisations(settings)
        assert str(exc.value).startswith(f"VISH_DELIVERY_SCHEDULE: schema '{schedule}' is niet te lezen: ")
        assert detail in str(exc.value)


def test_parse_organisations_checks_send_times_only_when_given_a_schedule():
    assert parse_organisations(_document("23:50"), "x").organisations[0].code == "gem0"
    with pytest.raises(ConfigError, match="verzendtijd 23:50 valt na de laatste tik"):
        parse_organisations(_document("23:50"), "x", "0 */15 * * * *")


def test_an_os_error_without_a_dutch_word_names_no_class_only_its_code():
    import errno

    from shared.config import dutch_os_error

    assert dutch_os_error(OSError(errno.ENOSPC, "No space left on device")) == "de schijf is vol"
    assert dutch_os_error(OSError(errno.ENXIO, "No such device or address")) == (
        "onverwachte systeemfout (technisch: ENXIO)")
    assert dutch_os_error(OSError("no errno")) == "onverwachte systeemfout (technisch: geen foutcode)"
