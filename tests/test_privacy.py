"""What may be shown of personal data: masks for BSNs, blob names, values and terminals."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.bsn import is_valid_bsn
from shared.domain.privacy import mask_bsns, printable, redact, safe_name, shown_value
from tests.helpers import bsns, invalid_checksum

TODAY = date(2026, 11, 29)
B = bsns(5)


@pytest.mark.parametrize("layout", ["{}", "{0}{1}{2}{3}.{4}{5}.{6}{7}{8}", "{0}{1}{2}-{3}{4}{5}-{6}{7}{8}",
                                    "{0}{1}{2} {3}{4}{5} {6}{7}{8}", "D-{}", "2024/{}", "a{}b",
                                    "dossier {} (zie brief)"])
def test_a_bsn_is_masked_in_any_punctuation(layout):
    bsn = B[0]
    text = layout.format(*bsn) if "{0}" in layout else layout.format(bsn)
    masked = mask_bsns(text)
    assert "*****" + bsn[-4:] in masked
    digits = "".join(c for c in masked if c.isdigit())
    assert bsn not in digits and bsn[:5] not in digits


@pytest.mark.parametrize("text", [
    "123_456_782", "123,456,782", "123\u2013456\u2013782", "123\uff0d456\uff0d782", "123  456  782",
    "123:456:782", "123+456+782", "123-/456-/782", "(123)456-782",
    # Not printable: redact, which does not drop them first, must see through them as well.
    "123\xa0456\xa0782", "123\u2009456\u2009782", "12345\u200b6782", "123\xad456782",
])
def test_a_bsn_is_masked_whatever_joins_its_digit_groups(text):
    # Any one or two characters that are neither letters nor digits join two digit groups.
    for masked in (mask_bsns(text), redact(text), redact(f"zie {text}.", TODAY)):
        assert "*****6782" in masked, repr(text)
        assert "12345" not in "".join(c for c in masked if c.isdigit()), repr(text)


def test_up_to_three_characters_join_digit_groups_and_four_part_two_numbers():
    # "123 - 456 - 782" is how people write a BSN in a free-text reason: masked, as are three
    # spaces; four characters part two numbers.
    assert mask_bsns("123 - 456 - 782") == "*****6782"
    assert mask_bsns("123   456 782") == "*****6782"
    assert mask_bsns("123 \u2013 456 782") == "*****6782"
    assert mask_bsns("123    456 782") == "123    456 782"
    assert mask_bsns("123 \u2013\u2013 456 782") == "123 \u2013\u2013 456 782"


def test_overlapping_bsns_are_masked_as_one_number():
    # 123456782 and 456782xyz both pass the 11-proef: masking only the first would show six
    # digits of the second.
    last = next(f"{n:03d}" for n in range(1000) if is_valid_bsn("456782" + f"{n:03d}"))
    assert mask_bsns(f"nr 123 456 782 {last} eind") == f"nr *****{('782' + last)[-4:]} eind"


def test_a_bsn_in_other_scripts_is_masked_too():
    arabic = B[1].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    fullwidth = B[1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert mask_bsns(arabic) == "*****" + B[1][-4:]
    assert mask_bsns(fullwidth) == "*****" + B[1][-4:]


def test_an_eight_digit_bsn_is_masked_only_as_one_plain_number():
    eight = next(b[1:] for b in bsns(200) if b[0] == "0")  # a BSN whose leading zero was lost
    assert mask_bsns(f"x {eight} y") == f"x *****{eight[-4:]} y"
    # The same digits split by punctuation are a date or a code, not a spreadsheet's BSN.
    assert mask_bsns(f"{eight[:4]}-{eight[4:6]}-{eight[6:]}") == f"{eight[:4]}-{eight[4:6]}-{eight[6:]}"


def test_only_what_can_be_a_bsn_is_masked():
    keep = ["VISH_VB-0001_20261129_001.csv", "2026-11-29 10:15:29", invalid_checksum(B[2]),
            "12345678", "1234567890123", "hash a123456789b", "127.0.0.1", "tel 0612345678",
            "2026-11-29T10:15:29Z", "VISH_VB-0001_20261129_001.csv, 1234 rijen, 12 fouten",
            "http://127.0.0.1:10000/devstoreaccount1/extracts?comp=list&timeout=30",
            "versie 1.2.3_build_4567", "12-34-56-78"]
    for text in keep:
        assert mask_bsns(text) == text, text
        assert redact(text) == text


@settings(max_examples=300, derandomize=True)
@given(st.integers(min_value=0, max_value=10**9 - 1),
       st.sampled_from(["", " ", ".", "-", "/", "_", ",", ":", "+", "  ", " - ", "\u2013", "\uff0d",
                        "\xa0", "\u2009", "\u200b", "\xad", "\u202f"]))
def test_no_valid_bsn_survives_the_mask(n, sep):
    digits = f"{n:09d}"
    text = f"nr {digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]} eind"
    masked = mask_bsns(text)
    if is_valid_bsn(digits):
        assert digits[:5] not in "".join(c for c in masked if c.isdigit())
    else:
        assert masked == text  # nothing else is touched


@pytest.mark.parametrize(("name", "shown"), [
    ("123456782-jansen-01-02-1980.csv", "xxxxx6782-jxxxxx-xx-xx-xxxx.csv"),
    ("VISH_VB-0001_20261129_001.csv", "Vxxxxx_Vxxxxx-0001_20261129_001.csv"),
    ("clienten 1234.56.782 Ünal.xlsx", "cxxxxx_xxxxx6782_Uxxxxx.xlsx"),
    ("export 0612345678.csv", "exxxxx_xxxxxxxxxx.csv"),
    ("19800201.csv", "xxxxxxxx.csv"),
    ("01021980 de Vries.txt", "xxxxxxxx_dxxxxx_Vxxxxx.txt"),
    ("extract 29-11-2026.csv", "exxxxx_29-11-2026.csv"),
    ("a/b\x1b[2J.csv", "a_b_2J.csv"),
    # Only a known extension is kept: anything else after a dot can be a name.
    ("Jansen.piet", "Jxxxxx.pxxxxx"),
    ("jansen.csv.piet", "jxxxxx.cxxxxx.pxxxxx"),
    ("export.CSV.gz", "exxxxx.CSV.gz"),
    ("export.xlsx.part", "exxxxx.xlsx.part"),
    # Dates with a two-digit year can always be a birth date (the century is unknown).
    ("jansen 170671.csv", "jxxxxx_xxxxxx.csv"),
    ("1-2-80 jansen.csv", "x-x-xx_jxxxxx.csv"),
    ("01.02.80.csv", "xx.xx.xx.csv"),
    ("17-06-71.csv", "xx-xx-xx.csv"),
    ("80-02-01.csv", "xx-xx-xx.csv"),
    ("export 261129.csv", "exxxxx_xxxxxx.csv"),  # yymmdd export date: masked too, by design
    # Six digits that are no date, a counter, a version number: kept.
    ("export_000123.csv", "exxxxx_000123.csv"),
    ("export_101500.csv", "exxxxx_101500.csv"),
    ("export 10-15-29.csv", "exxxxx_10-15-29.csv"),
    ("v1.2.3.csv", "v1.2.3.csv"),
])
def test_blob_names_keep_what_finds_the_file_and_mask_what_identifies_a_person(name, shown):
    assert safe_name(name, TODAY) == shown


@pytest.mark.parametrize("name", ["Jansen/01/02/1980.csv", "Jansen – 01–02–1980.csv",
                                  "Jansen,01,02,1980.csv", "Jansen 01 - 02 - 1980.csv",
                                  "a+01+02+1980.csv", "x 01:02:1980.csv",
                                  "y\u200b01\u200b02\u200b1980.csv", "z 01/02/80.csv"])
def test_a_birth_date_in_a_name_is_masked_whatever_separates_its_parts(name):
    shown = safe_name(name, TODAY)
    assert "1980" not in shown and "02" not in shown and "80" not in shown, shown


def test_a_birth_date_in_a_name_is_masked_until_it_could_be_an_export_date():
    # A client is an adult: a date at least 16 years back can be a birth date.
    assert safe_name("x_01-02-2010.csv", TODAY) == "x_xx-xx-xxxx.csv"
    assert safe_name("x_01-02-2011.csv", TODAY) == "x_01-02-2011.csv"


def test_a_storage_folder_keeps_its_letters_but_never_a_bsn():
    assert safe_name("onbekende-gemeente", TODAY, words=False) == "onbekende-gemeente"
    assert safe_name(f"map-{B[3]}", TODAY, words=False) == f"map-xxxxx{B[3][-4:]}"


def test_shown_values_are_printable_masked_and_bounded():
    assert shown_value(f"\x1b[31m{B[0]}\x00") == f"[31m*****{B[0][-4:]}"
    assert len(shown_value("D" * 500)) == 50
    assert printable("a\x1b[2Jb\x00\u202e") == "a\\x1b[2Jb\\x00\\u202e"
    assert printable("Müller é ١٢") == "Müller é ١٢"


def test_masks_never_fail_on_any_text():
    rng = random.Random(4)
    alphabet = "0123456789 .-/ab\x00\x1b\u200b١٢"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert isinstance(mask_bsns(text), str)
        shown = safe_name(text, TODAY)
        assert shown and all(c.isascii() and (c.isalnum() or c in "._-") for c in shown)
        assert printable(shown_value(text)) == shown_value(text)


def test_the_file_name_in_an_extract_path_is_masked_in_free_text_and_urls():
    url = ("Request URL: 'http://127.0.0.1:10000/devstoreaccount1/extracts/vb/"
           f"{B[0]}-jansen%20de%20vries-01-02-1980.csv?comp=lease'")
    shown = redact(url, TODAY)
    assert f"extracts/vb/xxxxx{B[0][-4:]}-jxxxxx_dxxxxx_vxxxxx-xx-xx-xxxx.csv?comp=lease'" in shown
    assert "jansen" not in shown and "1980" not in shown
    assert redact("reports/vb/20261129T101500Z-abc.json", TODAY) == "reports/vb/20261129T101500Z-abc.json"


@pytest.mark.parametrize(("path", "shown"), [
    ("extracts/vb/jansen%2017-06-1971.csv", "extracts/vb/jxxxxx_xx-xx-xxxx.csv"),
    ("extracts/vb/jansen%20piet%20123%20456%20782.csv", "extracts/vb/jxxxxx_pxxxxx_xxxxx6782.csv"),
    ("extracts%2Fvb%2Fjansen%20piet%2017-06-1971.csv", "extracts%2Fvb%2Fjxxxxx_pxxxxx_xx-xx-xxxx.csv"),
    ("extracts%2fvb%2fjansen%2Fpiet%2E123456782.csv", "extracts%2fvb%2fjxxxxx_pxxxxx.xxxxx6782.csv"),
    ("extracts/vb/M%C3%BCller%E2%80%93170671.csv", "extracts/vb/Mxxxxx_xxxxxx.csv"),
])
def test_the_file_name_in_an_extract_path_is_percent_decoded_before_it_is_masked(path, shown):
    url = f"Request URL: 'http://127.0.0.1:10000/devstoreaccount1/{path}?comp=lease&timeout=30'"
    masked = redact(url, TODAY)
    assert masked == f"Request URL: 'http://127.0.0.1:10000/devstoreaccount1/{shown}?comp=lease&timeout=30'"
    digits = "".join(c for c in masked if c.isdigit())
    for leak in ("jansen", "piet", "ller", "1971", "17-06", "1706", "170671", "12345", "123456"):
        assert leak not in masked.lower() and leak not in digits, leak


def test_a_percent_encoded_bsn_is_masked_anywhere_but_nothing_else_is_decoded():
    assert redact("GET /x?naam=a%0Ab&bsn=123%20456%20782&n=1%25") == "GET /x?naam=a%0Ab&bsn=*****6782&n=1%25"
    assert redact("q=%31%32%33%34%35%36%37%38%32") == "q=*****6782"  # every digit encoded
    assert redact("q=123%E2%80%93456%E2%80%93782 %ZZ 100%") == "q=*****6782 %ZZ 100%"
    assert redact("q=123%C0%AF456782") == "q=*****6782"  # no UTF-8: a replacement character
    report = "reports%2Fvb%2F20261129T101500Z-abc.json"
    assert redact(report, TODAY) == report


@settings(max_examples=200, derandomize=True)
@given(st.sampled_from(B), st.lists(st.booleans(), min_size=11, max_size=11),
       st.sampled_from(["", " ", "-", "."]))
def test_no_percent_encoded_bsn_survives_redact(bsn, encode, sep):
    text = f"{bsn[:3]}{sep}{bsn[3:6]}{sep}{bsn[6:]}"
    encoded = "".join(f"%{ord(c):02X}" if e else c for c, e in zip(text, encode + [False] * 4, strict=False))
    masked = redact(f"GET /extracts?prefix={encoded}&x=1")
    assert masked == f"GET /extracts?prefix=*****{bsn[-4:]}&x=1"


# -- review 2 (S3): names that still gave a birth date or a name away -----------------------------
@pytest.mark.parametrize(("name", "shown"), [
    ("jansen-1-februari-1980.csv", "jxxxxx-x-fxxxxx-xxxx.csv"),
    ("jansen 1 feb 1980.csv", "jxxxxx_x_fxxxxx_xxxx.csv"),
    ("01 feb '80.csv", "xx_fxxxxx_xx.csv"),
    ("17 March 1971.csv", "xx_Mxxxxx_xxxx.csv"),
    ("j\u200ba\u200bn\u200bsen.csv", "jxxxxx.csv"),  # zero-width spaces split no word
    ("jan\u00adsen\u2060.csv", "jxxxxx.csv"),  # soft hyphen, word joiner
    ("P.Jansen_geb1980.csv", "P.Jxxxxx_gxxxxxxxxx.csv"),
    ("jansen geboren 3-4.csv", "jxxxxx_gxxxxx_x-x.csv"),
    ("jansen 1980-02-01.csv", "jxxxxx_xxxx-xx-xx.csv"),
    ("jansen 01021980.csv", "jxxxxx_xxxxxxxx.csv"),
    ("jansen 19800201.csv", "jxxxxx_xxxxxxxx.csv"),
    ("jansen_1975.csv", "jxxxxx_xxxx.csv"),  # a year alone that can be a birth year
    ("j.a.n.s.e.n.csv", "jxxxxx.csv"),  # a name spelt out
    ("J A N S E N.csv", "Jxxxxx.csv"),
    ("P.J. de Vries.csv", "P.J._dxxxxx_Vxxxxx.csv"),  # initials stay initials
    ("Al.csv", "Axxxxx.csv"),
    ("Wolfeschlegelsteinhausen.csv", "Wxxxxx.csv"),  # every word as long as any other
])
def test_a_name_gives_away_no_birth_date_nor_the_length_of_a_name(name, shown):
    assert safe_name(name, TODAY) == shown


@pytest.mark.parametrize(("name", "shown"), [
    ("export jan 2026.csv", "exxxxx_jxxxxx_2026.csv"),  # this year: an export date
    ("export 29-11-2026.csv", "exxxxx_29-11-2026.csv"),
    ("export 2025-12-31.csv", "exxxxx_2025-12-31.csv"),  # last year
    ("export_20251231.csv", "exxxxx_20251231.csv"),
    ("batch_0001.csv", "bxxxxx_0001.csv"),  # a counter: no year
    ("export_1000_regels.csv", "exxxxx_1000_rxxxxx.csv"),
])
def test_an_export_date_and_a_counter_stay_readable(name, shown):
    assert safe_name(name, TODAY) == shown


def test_the_last_digits_of_a_masked_bsn_are_never_read_as_a_year():
    bsn = next(b for b in bsns(5000, seed=31) if 1900 <= int(b[-4:]) <= 1999)
    assert safe_name(f"{bsn}.csv", TODAY) == f"xxxxx{bsn[-4:]}.csv"


def test_a_year_written_with_an_apostrophe_is_masked_without_a_month():
    assert safe_name("jansen '80.csv", TODAY) == "jxxxxx_xx.csv"
    assert safe_name("jansen \u201980.csv", TODAY) == "jxxxxx_xx.csv"
    assert safe_name("export 80.csv", TODAY) == "exxxxx_80.csv"  # no apostrophe, no month
