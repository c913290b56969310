"""The SNG file: profiles and build_delivery_file (pure), and `vish build`."""

from __future__ import annotations

import json
from datetime import date

import pytest

from shared.cli import main
from shared.config import ConfigError, parse_organisations
from shared.domain.delivery_file import build_delivery_file
from shared.domain.profile import ProfileError, parse_profile, shipped_profile
from shared.domain.snapshot import SNAPSHOT_FIELDS, iter_snapshot_bytes
from tests.conftest import organisations_for
from tests.helpers import bsns

B = sorted(bsns(8, seed=17))
ON = date(2026, 11, 28)
ORG = organisations_for("gemeente").organisations[0]


def record(bsn, *, eligible="2026-01-01", end="", origin="row", partner="", naam="Jansen",
           geb="1980-02-01", dossier="D1"):
    values = dict.fromkeys(SNAPSHOT_FIELDS, "")
    values.update(bsn=bsn, partner_bsn=partner, achternaam=naam, geboortedatum=geb, startdatum=eligible,
                  toelatingsdatum=eligible, einddatum=end, dossiernummer=dossier, eligible_from=eligible,
                  source_row="2", origin=origin)
    return [values[f] for f in SNAPSHOT_FIELDS]


def lines(built):
    return built.content.decode(shipped_profile("vish-minimaal").encoding).split("\r\n")


def test_default_profile_delivers_the_eligible_people_sorted_by_bsn():
    snapshot = [record(B[3]), record(B[0], origin="partner"), record(B[5], eligible="2026-11-29"),
                record(B[1], end="2026-11-27"), record(B[2], end="2026-11-28")]
    built = build_delivery_file(snapshot, ORG, ON, shipped_profile("vish-minimaal"))
    text = lines(built)
    assert text[0] == "aansluitcode;bsn;datum_aanmelding;einddatum;dossiernummer"
    assert [row.split(";")[1] for row in text[1:-1]] == [B[0], B[2], B[3]]
    assert text[-1] == "" and built.records == built.people == 3
    assert text[1] == f"TST-1;{B[0]};2026-01-01;;D1"
    assert built.name == "VISH_TST-1_20261128_001.csv"


def test_the_same_inputs_give_the_same_bytes_and_hash():
    snapshot = [record(b) for b in B]
    profile = shipped_profile("vish-minimaal")
    one = build_delivery_file(snapshot, ORG, ON, profile)
    two = build_delivery_file(list(reversed(snapshot)), ORG, ON, profile)
    assert one.content == two.content and one.sha256 == two.sha256 and len(one.sha256) == 64
    assert build_delivery_file(snapshot, ORG, ON, profile, sequence=2).name.endswith("_002.csv")


def test_mutations_profile_registers_and_deregisters_against_the_previous_delivery():
    profile = shipped_profile("voorbeeld-mutaties")
    first = build_delivery_file([record(b) for b in B[:4]], ORG, ON, profile)
    text = first.content.decode("windows-1252").split("\r\n")
    assert [t.split("|")[0] for t in text[:4]] == ["A"] * 4 and text[4] == "EINDE|4"
    assert first.name == "TST-1-MUT-20261128-01.txt"
    assert (first.added, first.removed, first.records, first.people) == (4, 0, 4, 4)
    # the manifest is a snapshot (its header checked by the snapshot reader) of who is registered
    previous = list(iter_snapshot_bytes([first.manifest]))
    assert [r[0] for r in previous] == B[:4]

    second = build_delivery_file([record(b) for b in B[1:5]], ORG, date(2026, 11, 29), profile,
                                 previous=previous)
    text = second.content.decode("windows-1252").split("\r\n")
    assert text[:2] == [
        f"V|TST-1|{B[0]}|01-02-1980|01-01-2026||D1|Team Test|14 0999|test@voorbeeld.nl",
        f"A|TST-1|{B[4]}|01-02-1980|01-01-2026||D1|Team Test|14 0999|test@voorbeeld.nl",
    ]
    assert (second.added, second.removed, second.records, second.people) == (1, 1, 2, 4)
    assert text[2] == "EINDE|2"


@pytest.mark.parametrize(("naam", "delivered"), [
    ("Yılmaz|Şahin\r\nx", "Y?lmaz Sahin x"),  # no base letter: '?'; the delimiter, line break: space
    ('O"Brien', "O Brien"),  # no quoting: a quote cannot be carried either
    ("Işığı", "Is?g?"),  # several in a row
    ("Griﬃn", "Griffin"),  # a ligature becomes its letters
    ("Rene\u0301", "René"),  # decomposed: composed first, and the code page holds 'é'
    ("Jansen\u0332", "Jansen?"),  # a combining mark with nothing to compose with
])
def test_eight_bit_profiles_transliterate_and_unquoted_profiles_never_break_the_layout(naam, delivered):
    profile = shipped_profile("voorbeeld-mutaties").model_copy(update={"fields": [
        *shipped_profile("voorbeeld-mutaties").fields[:3],
        shipped_profile("vish-minimaal").fields[0].model_copy(update={"column": "naam",
                                                                      "source": "achternaam"})]})
    built = build_delivery_file([record(B[0], naam=naam)], ORG, ON, profile)
    assert built.content.decode("windows-1252") == f"A|TST-1|{B[0]}|{delivered}\r\nEINDE|1\r\n"


def test_a_utf8_profile_sends_decomposed_letters_composed():
    profile = shipped_profile("vish-minimaal").model_copy(update={"fields": [
        *shipped_profile("vish-minimaal").fields[:2],
        shipped_profile("vish-minimaal").fields[0].model_copy(update={"column": "naam",
                                                                      "source": "achternaam"})]})
    built = build_delivery_file([record(B[0], naam="Rene\u0301 Dani\u00eb")], ORG, ON, profile)
    assert ";René Danië\r\n" in built.content.decode("utf-8")
    assert "e\u0301".encode() not in built.content


@pytest.mark.parametrize("profile", ["vish-minimaal", "voorbeeld-mutaties"])
def test_a_person_twice_in_a_damaged_snapshot_is_delivered_once(profile):
    built = build_delivery_file([record(B[0]), record(B[1]), record(B[0], dossier="D2")], ORG, ON,
                                shipped_profile(profile))
    assert built.records == built.people == 2


@pytest.mark.parametrize(("profile", "b0", "b1"), [
    ("vish-minimaal", f"TST-1;{B[0]};2026-01-01;;D2", f"TST-1;{B[1]};2026-01-01;;D1"),
    ("voorbeeld-mutaties", f"A|TST-1|{B[0]}|01-02-1980|01-01-2026||D2|Team Test|14 0999|test@voorbeeld.nl",
     f"A|TST-1|{B[1]}|01-02-1980|01-01-2026||D1|Team Test|14 0999|test@voorbeeld.nl"),
])
def test_of_a_person_twice_the_first_record_is_delivered_and_the_rest_still_follows(profile, b0, b1):
    snapshot = [record(B[0], dossier="D2"), record(B[0], dossier="D1"), record(B[1])]
    built = build_delivery_file(snapshot, ORG, ON, shipped_profile(profile))
    data = [line for line in built.content.decode(shipped_profile(profile).encoding).split("\r\n")
            if B[0] in line or B[1] in line]
    assert data == [b0, b1]
    assert (built.records, built.people, built.added, built.removed) == (2, 2, 2, 0)


def test_a_full_file_counts_who_came_and_went_since_the_previous_delivery():
    built = build_delivery_file([record(b) for b in B[1:4]], ORG, ON, shipped_profile("vish-minimaal"),
                                previous=[record(B[0]), record(B[1])])
    assert (built.added, built.removed, built.records, built.people) == (2, 1, 3, 3)
    assert [line.split(";")[1] for line in lines(built)[1:-1]] == B[1:4]
    assert built.manifest == b""  # only a mutations file needs one


def custom_profile(**changes):
    document = json.loads(shipped_profile("vish-minimaal").model_dump_json()) | changes
    return parse_profile(json.dumps(document), "test-profiel.json")


@pytest.mark.parametrize(("gemeentecode", "rendered"), [("0363", "0363"), (None, "")])
def test_every_organisation_field_and_constant_reaches_the_file(gemeentecode, rendered):
    org = organisations_for("gemeente", gemeentecode=gemeentecode).organisations[0]
    sources = ["const:VISH-2", "organisation.code", "organisation.name", "organisation.aansluitcode",
               "organisation.gemeentecode", "organisation.contact.naam",
               "organisation.contact.telefoon", "organisation.contact.email", "bsn"]
    profile = custom_profile(
        quoting="all", line_ending="lf", file_name="{org}_{aansluitcode}_{date:%Y%m%d}.csv",
        fields=[{"column": f"k{i}", "source": source} for i, source in enumerate(sources)])
    built = build_delivery_file([record(B[0])], org, ON, profile)
    assert built.content.decode() == (
        '"k0";"k1";"k2";"k3";"k4";"k5";"k6";"k7";"k8"\n'
        f'"VISH-2";"gemeente";"Testgemeente";"TST-1";"{rendered}";"Team Test";"14 0999";'
        f'"test@voorbeeld.nl";"{B[0]}"\n')
    assert built.name == "gemeente_TST-1_20261128.csv"


def test_mutation_codes_come_from_the_profile_even_an_empty_one():
    profile = shipped_profile("voorbeeld-mutaties")
    profile = profile.model_copy(update={"mutation_codes": {"aanmelding": "", "afmelding": "DEL"},
                                         "fields": profile.fields[:3]})
    built = build_delivery_file([record(B[1])], ORG, ON, profile, previous=[record(B[0])])
    assert built.content.decode("windows-1252") == f"DEL|TST-1|{B[0]}\r\n|TST-1|{B[1]}\r\nEINDE|2\r\n"


def test_an_open_end_date_from_an_old_snapshot_is_delivered_as_no_end_date():
    built = build_delivery_file([record(B[0], end="9999-12-31")], ORG, ON, shipped_profile("vish-minimaal"))
    assert lines(built)[1] == f"TST-1;{B[0]};2026-01-01;;D1"


def test_any_delimiter_keeps_each_line_whole_even_nul():
    # Lines are sorted as "bsn NUL line": a NUL inside the line must not cut it.
    profile = custom_profile(delimiter="\0", header=False, fields=[
        {"column": "bsn", "source": "bsn"}, {"column": "naam", "source": "achternaam"},
        {"column": "dossier", "source": "dossiernummer"}])
    built = build_delivery_file([record(B[1]), record(B[0])], ORG, ON, profile)
    assert built.content == f"{B[0]}\0Jansen\0D1\r\n{B[1]}\0Jansen\0D1\r\n".encode()


@pytest.mark.parametrize(("dossier", "delivered"), [
    ("SHV-\x00nul3\x1b[2J١٢\u200b", "SHV-nul312"),
    ("SHV-\x00nul3\x1b[2J7", "SHV-nul37"),  # ASCII only, but not printable
    ("SHV-١٢", "SHV-12"),  # printable, but not ASCII
])
def test_control_characters_and_other_scripts_digits_never_reach_sng(dossier, delivered):
    # A snapshot written before the intake cleaned these (the intake never lets them in now).
    built = build_delivery_file([record(B[0], dossier=dossier)], ORG, ON, shipped_profile("vish-minimaal"))
    assert lines(built)[1] == f"TST-1;{B[0]};2026-01-01;;{delivered}"


@pytest.mark.parametrize(("change", "fragment"), [
    ({"fields": [{"column": "x", "source": "achternaam"}]}, "must deliver the bsn"),
    ({"fields": [{"column": "m", "source": "mutation"}, {"column": "b", "source": "bsn"}]}, "mutation"),
    ({"fields": [{"column": "b", "source": "bsnn"}]}, "unknown source"),
    ({"file_name": "{onbekend}.csv"}, "cannot be rendered"),
    ({"file_name": "../{date:%Y}.csv"}, "path"),
    ({"delimiter": ";;"}, "delimiter"),
])
def test_profile_mistakes_are_refused_with_a_clear_message(change, fragment):
    document = json.loads(shipped_profile("vish-minimaal").model_dump_json()) | change
    with pytest.raises(ProfileError) as exc:
        parse_profile(json.dumps(document), "mijn-profiel.json")
    assert fragment in str(exc.value) and "mijn-profiel.json" in str(exc.value)


def test_an_organisation_names_a_shipped_profile_or_carries_its_own():
    base = organisations_for("ab").organisations[0].model_dump(mode="json")
    with pytest.raises(ConfigError, match="onbekend profiel"):
        parse_organisations(json.dumps({"organisations": [base | {"profile": "bestaat-niet"}]}), "x")
    inline = json.loads(shipped_profile("vish-minimaal").model_dump_json()) | {"name": "eigen"}
    doc = parse_organisations(json.dumps({"organisations": [base | {"profile": inline}]}), "x")
    assert doc.organisations[0].profile.name == "eigen"


def test_vish_build_from_an_extract_equals_the_build_from_its_snapshot(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VISH_ORGANISATIONS_JSON", raising=False)
    from shared import config

    config.get_settings.cache_clear()
    extract = tmp_path / "e.csv"
    from devtools.cli import main as vish_dev

    assert vish_dev(["sample", str(extract), "--rows", "40", "--error-rate", "0"]) == 0
    assert main(["build", str(extract), "--date", "2026-11-28", "--out", str(tmp_path / "a.csv"),
                 "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    from shared.domain.reader import iter_file_chunks
    from shared.domain.validation import validate_extract

    snapshot = tmp_path / "snapshot.csv"
    with open(extract, "rb") as fh, open(snapshot, "w", encoding="utf-8", newline="") as out:
        validate_extract(iter_file_chunks(fh), today=date(2026, 11, 28), snapshot_out=out)
    assert main(["build", str(snapshot), "--date", "28-11-2026", "--out", str(tmp_path)]) == 0
    built = tmp_path / first["name"]
    assert built.read_bytes() == (tmp_path / "a.csv").read_bytes()
    assert first["records"] > 30 and first["sha256"] in capsys.readouterr().out
    config.get_settings.cache_clear()
