"""The SNG file built streaming (write_delivery_file) and the external sort by BSN (sorting).

The in-memory build of before (the whole file, a set of people and a dict of the previous
delivery in memory, the text composed and encoded at once) is kept here as the oracle: on random
snapshots (decomposed letters, letters no code page holds, delimiters, quotes and line breaks in
values, a person twice, ended and future records) and every profile variant, the streamed file,
its counts and its manifest are byte for byte what it built.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import tracemalloc
import unicodedata
from collections.abc import Iterable
from datetime import date
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shared.domain.sorting as sorting
from devtools.sample import unique_bsns
from shared.domain.delivery_file import (
    CHUNK_CHARS,
    DeliveryFile,
    FileFacts,
    _Renderer,
    build_delivery_file,
    write_delivery_file,
)
from shared.domain.eligibility import is_eligible
from shared.domain.profile import PROFILE_DIR, Profile, parse_profile, shipped_profile
from shared.domain.snapshot import SNAPSHOT_FIELDS, SnapshotFormatError, iter_snapshot_bytes, new_writer
from shared.domain.sorting import read_records, sorted_batches, sorted_by_bsn
from tests.conftest import organisations_for
from tests.helpers import bsns

ON = date(2026, 11, 28)
ORG = organisations_for("gemeente").organisations[0]
INDEX = {name: i for i, name in enumerate(SNAPSHOT_FIELDS)}
POOL = sorted(bsns(12, seed=29))


# -- the oracle: the in-memory build as it was before the streamed one -------------------------

def _old_eligible(snapshot, on):
    from_i, end_i = INDEX["eligible_from"], INDEX["einddatum"]
    for record in snapshot:
        from_date = date.fromisoformat(record[from_i]) if record[from_i] else None
        end_date = date.fromisoformat(record[end_i]) if record[end_i] else None
        if is_eligible(from_date, end_date, on):
            yield record


def old_build_delivery_file(snapshot, organisation, on, profile, *, previous=None, sequence=1):
    renderer = _Renderer(profile, organisation)
    bsn_i = INDEX["bsn"]
    before = {r[bsn_i]: r for r in previous or ()}
    entries: list[str] = []
    people: set[str] = set()
    added = 0
    manifest = io.StringIO()
    if profile.mode == "mutations":
        manifest.write(";".join(SNAPSHOT_FIELDS) + "\n")
        writer = new_writer(manifest)
        codes = profile.mutation_codes
        kept = sorted(_old_eligible(snapshot, on), key=lambda r: r[bsn_i])
        for record in kept:
            bsn = record[bsn_i]
            if bsn in people:
                continue
            people.add(bsn)
            writer.writerow(record)
            if bsn not in before:
                entries.append(bsn + "\0" + renderer.line(renderer.values(record, codes["aanmelding"])))
                added += 1
        for bsn, record in before.items():
            if bsn not in people:
                entries.append(bsn + "\0" + renderer.line(renderer.values(record, codes["afmelding"])))
        removed = len(before.keys() - people)
    else:
        for record in _old_eligible(snapshot, on):
            bsn = record[bsn_i]
            if bsn in people:
                continue
            people.add(bsn)
            entries.append(bsn + "\0" + renderer.line(renderer.values(record, None)))
        added = len(people - before.keys())
        removed = len(before.keys() - people)
    entries.sort()
    out = io.StringIO()
    if profile.header:
        out.write(renderer.line([f.column for f in profile.fields]))
    for entry in entries:
        out.write(entry[entry.index("\0") + 1:])
    if profile.trailer:
        out.write(profile.trailer.format(count=len(entries)) + profile.newline)
    text = unicodedata.normalize("NFC", out.getvalue())
    content = text.encode(profile.encoding, errors="vish_transliterate")
    name = profile.render_file_name(organisation_code=organisation.code,
                                    aansluitcode=organisation.aansluitcode, on=on, sequence=sequence)
    return DeliveryFile(name=name, content=content, sha256=hashlib.sha256(content).hexdigest(),
                        records=len(entries), people=len(people), added=added, removed=removed,
                        manifest=manifest.getvalue().encode("utf-8"))


# -- random snapshots and profiles --------------------------------------------------------------

# Pieces of names: decomposed letters (to compose), letters no code page holds (to
# transliterate), a ligature, a lone combining mark, Hangul jamo (they compose too), the
# delimiters, a quote, line breaks, a NUL, an emoji.
PIECES = ["Jansen", "de Vries", "e\u0301", "Rene\u0301", "Dani\u00eb", "A\u030a", "\u0301", "\u0332",
          "ı", "ş", "Ş", "ẞ", "ﬃ", "\u1100\u1161", "€", "Ω", "😀", "|", ";", '"', "\r\n", "\n",
          "\r", "\x00", " ", "x" * 30]
DATES_FROM = ["", "2025-01-01", "2026-11-28", "2026-11-29"]
DATES_END = ["", "2026-11-27", "2026-11-28", "2027-01-01", "9999-12-31"]

names = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)


@st.composite
def records(draw, pool=POOL):
    values = dict.fromkeys(SNAPSHOT_FIELDS, "")
    start = draw(st.sampled_from(DATES_FROM))
    values.update(bsn=draw(st.sampled_from(pool)), achternaam=draw(names), voorletters=draw(names),
                  geboortedatum="1980-02-01", startdatum=start, toelatingsdatum=start,
                  eligible_from=start, einddatum=draw(st.sampled_from(DATES_END)),
                  dossiernummer=draw(names), source_row="2", origin="row")
    return [values[f] for f in SNAPSHOT_FIELDS]


@st.composite
def manifests(draw):
    """A previous delivery's manifest: each person once (as every manifest written)."""
    chosen = draw(st.sets(st.sampled_from(POOL)))
    out = []
    for bsn in chosen:
        record = draw(records())
        record[INDEX["bsn"]] = bsn
        out.append(record)
    return draw(st.permutations(out))


def _variant(base: Profile, **changes) -> Profile:
    name_field = base.fields[0].model_copy(update={"column": "naam", "source": "achternaam",
                                                   "max_length": None})
    initials = base.fields[0].model_copy(update={"column": "vl", "source": "voorletters",
                                                 "max_length": 4})
    return base.model_copy(update={**changes, "fields": [*base.fields, name_field, initials]})


def profile_variants() -> list[Profile]:
    shipped = [shipped_profile(p.stem) for p in sorted(PROFILE_DIR.glob("*.json"))]
    variants = []
    for base in shipped:
        variants.append(base)
        for encoding in ("utf-8", "utf-8-sig", "windows-1252", "iso-8859-1"):
            for quoting in ("minimal", "all", "none"):
                for line_ending in ("crlf", "lf"):
                    variants.append(_variant(base, encoding=encoding, quoting=quoting,
                                             line_ending=line_ending, header=not base.header,
                                             trailer=base.trailer or "EINDE;{count}"))
    return variants


PROFILES = profile_variants()


def test_the_variants_cover_every_shipped_profile_and_both_modes():
    assert {p.name for p in PROFILES} == {p.stem for p in PROFILE_DIR.glob("*.json")}
    assert {p.mode for p in PROFILES} == {"full", "mutations"}
    assert {p.newline for p in PROFILES} == {"\r\n", "\n"}


class Recorder:
    """A binary sink that keeps what it was given, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.writes.append(bytes(data))
        return len(data)

    @property
    def data(self) -> bytes:
        return b"".join(self.writes)


def streamed(snapshot, profile, *, previous=None, sequence=1) -> tuple[FileFacts, bytes, bytes]:
    out, manifest = Recorder(), Recorder()
    facts = write_delivery_file(sorted(snapshot, key=lambda r: r[0]), ORG, ON, profile, out,
                                manifest_out=manifest, sequence=sequence,
                                previous=None if previous is None else sorted(previous, key=lambda r: r[0]))
    return facts, out.data, manifest.data


def assert_same(facts: FileFacts, content: bytes, manifest: bytes, old: DeliveryFile) -> None:
    assert content == old.content
    assert manifest == old.manifest
    assert (facts.name, facts.sha256, facts.size, facts.manifest_size) == (
        old.name, old.sha256, len(old.content), len(old.manifest))
    assert (facts.records, facts.people, facts.added, facts.removed) == (
        old.records, old.people, old.added, old.removed)


@settings(max_examples=300, deadline=None)
@given(snapshot=st.lists(records(), max_size=25), previous=st.none() | manifests(),
       profile=st.sampled_from(PROFILES), sequence=st.integers(1, 99))
def test_the_streamed_file_is_byte_for_byte_the_in_memory_build_of_before(snapshot, previous, profile,
                                                                            sequence):
    old = old_build_delivery_file(snapshot, ORG, ON, profile, previous=previous, sequence=sequence)
    assert_same(*streamed(snapshot, profile, previous=previous, sequence=sequence), old)
    # and build_delivery_file (records in any order) gives that same file
    built = build_delivery_file(snapshot, ORG, ON, profile, previous=previous, sequence=sequence)
    assert built == old


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=st.lists(records(), min_size=20, max_size=60), previous=manifests(),
       profile=st.sampled_from(PROFILES))
def test_records_sorted_in_many_runs_on_disk_give_the_same_file(snapshot, previous, profile):
    old = old_build_delivery_file(snapshot, ORG, ON, profile, previous=previous)
    out, manifest = Recorder(), Recorder()
    facts = write_delivery_file(sorted_by_bsn(snapshot, run_records=3), ORG, ON, profile, out,
                                manifest_out=manifest, previous=sorted_by_bsn(previous, run_records=2))
    assert_same(facts, out.data, manifest.data, old)


@given(st.lists(st.lists(st.sampled_from([*PIECES[:16], "a", "\u0300", "\u0327", "\u1161", "\u11a8",
                                          "\u0338", "\u3099"]), max_size=8).map("".join)),
       st.sampled_from(sorted({p.newline for p in PROFILES})))
def test_composing_line_by_line_is_composing_the_whole(texts, newline):
    """What lets the file be composed (NFC) chunk by chunk: a line ends with the profile's line
    break, and a line break composes with nothing before or after it."""
    lines = [text + newline for text in texts]
    assert "".join(unicodedata.normalize("NFC", line) for line in lines) == unicodedata.normalize(
        "NFC", "".join(lines))


def person(bsn: str, n: int, *, eligible: str = "2026-01-01", end: str = "") -> list[str]:
    values = dict.fromkeys(SNAPSHOT_FIELDS, "")
    values.update(bsn=bsn, achternaam=f"Naam{n % 97}", geboortedatum="1980-02-01", startdatum=eligible,
                  toelatingsdatum=eligible, eligible_from=eligible, einddatum=end,
                  dossiernummer=f"D{n}", source_row=str(n + 2), origin="row")
    return [values[f] for f in SNAPSHOT_FIELDS]


def population(n: int, seed: int = 41) -> list[str]:
    gen = unique_bsns(seed)
    return sorted(next(gen) for _ in range(n))


@pytest.mark.parametrize("profile", ["vish-minimaal", "voorbeeld-mutaties"])
def test_the_file_goes_out_in_chunks_and_its_hash_and_size_are_of_those_bytes(profile):
    people = population(6_000)
    snapshot = [person(b, n) for n, b in enumerate(people[:5_000])]
    previous = [person(b, n) for n, b in enumerate(people[1_000:])]
    out, manifest = Recorder(), Recorder()
    facts = write_delivery_file(iter(snapshot), ORG, ON, shipped_profile(profile), out,
                                manifest_out=manifest, previous=iter(previous))
    for sink, size in ((out, facts.size), (manifest, facts.manifest_size)):
        if sink is manifest and profile == "vish-minimaal":
            assert sink.writes == [] and size == 0  # a full file has no manifest
            continue
        assert len(sink.writes) > 2 and sum(map(len, sink.writes)) == size
        # every write but the last is at least 64 KiB (the text is ASCII here), none is the file
        assert all(len(w) >= CHUNK_CHARS for w in sink.writes[:-1]) and len(sink.writes[-1]) <= size
    assert facts.sha256 == hashlib.sha256(out.data).hexdigest()
    assert facts.people == 5_000 and (facts.added, facts.removed) == (1_000, 1_000)
    if profile == "voorbeeld-mutaties":
        assert facts.records == 2_000
        assert [r[0] for r in iter_snapshot_bytes([manifest.data])] == people[:5_000]
    else:
        assert facts.records == 5_000


def test_a_mutations_file_without_a_manifest_sink_writes_the_file_only():
    facts = write_delivery_file([person(POOL[0], 1)], ORG, ON, shipped_profile("voorbeeld-mutaties"),
                                Recorder())
    assert facts.manifest_size == 0 and facts.records == facts.added == 1


def test_an_empty_snapshot_gives_a_file_of_header_and_trailer_and_a_bom_when_the_profile_has_one():
    profile = _variant(shipped_profile("vish-minimaal"), encoding="utf-8-sig", trailer="EINDE;{count}")
    out = Recorder()
    facts = write_delivery_file([], ORG, ON, profile, out)
    old = old_build_delivery_file([], ORG, ON, profile)
    assert out.data == old.content and out.data.startswith(b"\xef\xbb\xbf")
    assert out.data.count(b"\xef\xbb\xbf") == 1 and facts.records == facts.people == 0
    nothing = profile.model_copy(update={"header": False, "trailer": None})
    out = Recorder()
    write_delivery_file([], ORG, ON, nothing, out)
    assert out.data == b"\xef\xbb\xbf" == old_build_delivery_file([], ORG, ON, nothing).content


@pytest.mark.parametrize("profile", ["vish-minimaal", "voorbeeld-mutaties"])
def test_a_snapshot_out_of_bsn_order_is_refused_naming_the_record_never_a_value(profile):
    a, b, c = POOL[:3]
    snapshot = [person(a, 1), person(c, 2), person(b, 3)]
    with pytest.raises(SnapshotFormatError) as exc:
        write_delivery_file(snapshot, ORG, ON, shipped_profile(profile), Recorder())
    assert str(exc.value) == "snapshot niet op BSN gesorteerd (record 3)"
    # an ineligible record out of order is found too: the order is checked before anything else
    snapshot = [person(a, 1), person(c, 2, end="2020-01-01"), person(b, 3, end="2020-01-01")]
    with pytest.raises(SnapshotFormatError, match=r"\(record 3\)"):
        write_delivery_file(snapshot, ORG, ON, shipped_profile(profile), Recorder())
    with pytest.raises(SnapshotFormatError) as exc:
        write_delivery_file([person(a, 1)], ORG, ON, shipped_profile(profile), Recorder(),
                            previous=[person(b, 1), person(b, 2), person(a, 3)])
    message = str(exc.value)
    assert message == "manifest van de vorige levering niet op BSN gesorteerd (record 3)"
    assert not any(bsn in message for bsn in POOL)


def test_of_a_person_twice_the_first_eligible_record_is_delivered():
    a, b = POOL[:2]
    snapshot = [person(a, 1, end="2020-01-01"), person(a, 2), person(a, 3), person(b, 4)]
    out = Recorder()
    facts = write_delivery_file(snapshot, ORG, ON, shipped_profile("vish-minimaal"), out)
    lines = out.data.decode().split("\r\n")
    assert lines[1:3] == [f"TST-1;{a};2026-01-01;;D2", f"TST-1;{b};2026-01-01;;D4"]
    assert facts.records == facts.people == 2


def peak_of(build) -> int:
    tracemalloc.start()
    try:
        build()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("profile", ["vish-minimaal", "voorbeeld-mutaties"])
def test_the_memory_of_a_streamed_build_does_not_grow_with_the_file(profile):
    people = population(44_000, seed=43)

    def build(n: int):
        facts = write_delivery_file(
            (person(b, i) for i, b in enumerate(islice(people, n // 10, n + n // 10))), ORG, ON,
            shipped_profile(profile), NullSink(), manifest_out=NullSink(),
            previous=(person(b, i) for i, b in enumerate(islice(people, n))))
        assert facts.people == n and facts.added == facts.removed == n // 10

    small, large = peak_of(lambda: build(4_000)), peak_of(lambda: build(40_000))
    # 36,000 more people: the in-memory build held some 2 MB more (entries, set, dict)
    assert large < small + 64 * 1024, (small, large)


class NullSink:
    def write(self, data: bytes) -> int:
        return len(data)


# -- the external sort --------------------------------------------------------------------------

def open_files_under(directory: Path) -> int:
    """Files this process has open in ``directory`` (a temporary file that is already unlinked
    shows as its directory and an inode)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(f"{directory}/")
    return count


def numbered(bsn_list: Iterable[str]) -> list[list[str]]:
    return [[bsn, str(n), "x"] for n, bsn in enumerate(bsn_list)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(POOL[:5]), max_size=60), st.integers(1, 7), st.integers(2, 4))
def test_the_sort_is_pythons_stable_sort_by_bsn_in_any_number_of_runs(keys, run_records, open_runs):
    rows = numbered(keys)
    old = sorting.MAX_OPEN_RUNS
    sorting.MAX_OPEN_RUNS = open_runs  # many levels of merging with few runs open
    try:
        assert list(sorted_by_bsn(rows, run_records=run_records)) == sorted(rows, key=lambda r: r[0])
    finally:
        sorting.MAX_OPEN_RUNS = old


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from([f"{b};{n}" for b in POOL[:6] for n in range(3)]), max_size=9),
                max_size=12),
       st.integers(1, 7), st.integers(2, 4))
def test_the_sort_of_whole_texts_merges_batches_into_the_sorted_whole(batches, run_records, open_runs):
    """Without a key (the intake's snapshot: one record per person) runs are merged a batch at
    a time; the same texts twice are the same text."""
    old = sorting.MAX_OPEN_RUNS
    sorting.MAX_OPEN_RUNS = open_runs
    try:
        out = list(sorted_batches(batches, key=None, run_records=run_records))
    finally:
        sorting.MAX_OPEN_RUNS = old
    assert [r for batch in out for r in batch] == sorted(r for batch in batches for r in batch)
    assert all(out)  # no empty batch


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.lists(st.sampled_from([*PIECES, "a", "1"]), max_size=6).map("".join),
                         min_size=1, max_size=4), max_size=30),
       st.integers(1, 5))
def test_any_value_survives_the_sort_unchanged(rows, run_records):
    """Quotes, the delimiter, CR, LF, NUL, combining marks: a record comes back as it went in."""
    assert list(sorted_by_bsn(rows, run_records=run_records)) == sorted(rows, key=lambda r: r[0])


def test_records_with_the_same_bsn_keep_their_order_across_runs_and_levels(tmp_path, monkeypatch):
    monkeypatch.setattr(sorting, "MAX_OPEN_RUNS", 3)
    rnd = random.Random(5)
    keys = [rnd.choice(POOL[:4]) for _ in range(500)]
    result = list(sorted_by_bsn(numbered(keys), run_records=7, tmpdir=tmp_path))
    assert [r[0] for r in result] == sorted(keys)
    for bsn in POOL[:4]:
        order = [int(r[1]) for r in result if r[0] == bsn]
        assert order == sorted(order) and len(order) == keys.count(bsn)
    assert open_files_under(tmp_path) == 0 and not list(tmp_path.iterdir())


def test_an_empty_input_gives_nothing_and_one_run_never_touches_the_disk(tmp_path):
    assert list(sorted_by_bsn([], tmpdir=tmp_path)) == []
    sorted_rows = sorted_by_bsn(numbered(reversed(POOL)), run_records=len(POOL), tmpdir=tmp_path)
    assert next(sorted_rows)[0] == POOL[0]
    assert open_files_under(tmp_path) == 0  # everything in memory, as it fits in one run
    assert [r[0] for r in sorted_rows] == POOL[1:]


def test_the_runs_on_disk_are_freed_when_the_sort_is_closed_early_or_done(tmp_path):
    rows = numbered(reversed(POOL * 1_000))  # more than one batch comes out of the merge
    early = sorted_by_bsn(rows, run_records=1_000, tmpdir=tmp_path)
    assert next(early)[0] == POOL[0]
    assert open_files_under(tmp_path) > 1  # the runs, merged
    early.close()
    assert open_files_under(tmp_path) == 0
    done = sorted_by_bsn(rows, run_records=1_000, tmpdir=tmp_path)
    assert len(list(done)) == len(rows) and open_files_under(tmp_path) == 0


def test_the_runs_on_disk_are_freed_when_the_input_fails(tmp_path):
    def failing():
        yield from numbered(POOL)
        raise SnapshotFormatError("snapshot, regel 14: geen geldig BSN")

    rows = sorted_by_bsn(failing(), run_records=3, tmpdir=tmp_path)
    with pytest.raises(SnapshotFormatError):
        next(rows)
    assert open_files_under(tmp_path) == 0


def test_the_memory_of_the_sort_is_bounded_by_one_run():
    def sort(n: int):
        gen = unique_bsns(7)
        rows = ([next(gen), "Jansen", "2024-01-01", f"D{i % 1000:04d}"] for i in range(n))
        for _ in sorted_by_bsn(rows, run_records=1_000):
            pass

    old = sorting.MAX_OPEN_RUNS
    sorting.MAX_OPEN_RUNS = 4  # a reader's buffers for each run merged at once: a few levels of few
    try:
        small, large = peak_of(lambda: sort(5_000)), peak_of(lambda: sort(50_000))
    finally:
        sorting.MAX_OPEN_RUNS = old
    # in memory all at once: some 5 MB more; what grows is a reader's buffers for each run
    # merged at once, with the levels of merging (the logarithm of the number of runs)
    assert large < small + 1024 * 1024, (small, large)


def test_records_spanning_lines_are_read_and_sorted_whole(monkeypatch):
    monkeypatch.setattr(sorting, "READ_CHARS", 5)  # records across reads too
    text = 'b;"x\r\ny";1\nb;2\na;"q""\n""";3\nc;4\n"d\n'
    records = [r for batch in read_records(io.StringIO(text, newline="")) for r in batch]
    assert records == ['b;"x\r\ny";1', "b;2", 'a;"q""\n""";3', "c;4", '"d\n']
    for run_records in (1, 2, 10):
        ordered = [r for batch in sorted_batches([records], run_records=run_records) for r in batch]
        assert ordered == ['a;"q""\n""";3', 'b;"x\r\ny";1', "b;2", "c;4", '"d\n']
    assert [r[0] for r in csv.reader(ordered, delimiter=";")] == ["a", "b", "b", "c", "d\n"]


# -- a profile of one's own: NUL delimiter, every field quoted ---------------------------------

def test_an_organisations_own_profile_streams_as_it_built():
    document = json.loads(shipped_profile("vish-minimaal").model_dump_json()) | {
        "delimiter": "\0", "quoting": "all", "line_ending": "lf", "trailer": "{count}",
        "fields": [{"column": "bsn", "source": "bsn"}, {"column": "naam", "source": "achternaam"}]}
    profile = parse_profile(json.dumps(document), "eigen.json")
    snapshot = [person(b, n) for n, b in enumerate(POOL)]
    old = old_build_delivery_file(snapshot, ORG, ON, profile)
    assert_same(*streamed(snapshot, profile), old)
