"""The pass over an extract's records, with an inline shortcut for records that are plainly clean.

Most rows of a real export are clean. For those, :func:`run_records` tests a handful of cheap
conditions on the split line and takes the row without building issues; any row that is not
plainly clean (quotes, white space, a wrong count of fields, anything a rule might object to, a
duplicate) goes to :meth:`RecordChecker.check`, the authority. The shortcut only ever says
"clean" where ``check`` would have found nothing to report: ``tests/test_validation.py``
switches it off (:data:`FAST_PATH`) and proves both give the same result and the same snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from shared.domain.bsn import in_scientific_notation, is_valid_bsn
from shared.domain.eligibility import eligibility_basis, is_eligible
from shared.domain.reader import QuoteSwallowsRows
from shared.domain.snapshot import ORIGIN_ROW
from shared.domain.text import OTHER_DIGIT
from shared.domain.validation.cells import MAX_VALUE_LENGTH, POSTCODE
from shared.domain.validation.records import DATE_CACHE, MISS, RecordChecker, partner_record
from shared.domain.validation.rules import date_findings, huisnummer_ok, normal_postcode

# Tests switch the shortcut off to prove that it decides exactly as the per-record path does.
FAST_PATH = True


# rules.normal_postcode's test, in one regular expression from the same pattern
POSTCODE_OR_EMPTY = re.compile(f"(?:{POSTCODE.pattern})?")


def memo(known: dict, value: str, rule: Callable[[str], object]):
    """``rule(value)``, remembered in ``known`` (cleared when full: memory stays flat)."""
    if len(known) >= 10_000:
        known.clear()
    result = known[value] = rule(value)
    return result


def _quotes_off(body: str, delimiter: str, width: int) -> tuple[list[str], str]:
    """A line with every field quoted (exports that quote all): its fields and them joined,
    for the shortcut to judge as a plain line. With no quote left inside a field (the caller
    tests the joined text) they are what csv reads. Any other line with a quote: no fields."""
    separator = f'"{delimiter}"'
    if body.count(separator) == width - 1 and body[0] == '"' == body[-1]:
        row = body[1:-1].split(separator)
        return row, delimiter.join(row)
    return [], body


def _hand_over(checker: RecordChecker, text: str, body: str, lines: Iterator[str],
               ln: int) -> tuple[int, list[str] | None]:
    """:meth:`RecordChecker.check` for the record that starts with line ``ln``. Returns the
    number of its last line and, when a quote would swallow records, the lines to read again
    (after the quote's line is reported)."""
    reader = checker.reader
    if '"' not in text:
        checker.check(reader.plain_fields(body), ln)
        return ln, None
    reader.line_num = ln
    try:
        row = reader.split(text, lines)
    except QuoteSwallowsRows as problem:
        checker.quote_error(text, ln)
        return ln, problem.pushback + list(lines)
    checker.check(row, ln)
    return reader.line_num, None


def run_records(checker: RecordChecker, progress: Callable[[int], None] | None) -> None:
    """The pass over all records of ``checker.reader``, counted into ``checker``: plainly clean
    records inline, every other one through :meth:`RecordChecker.check` (module docstring)."""
    reader, state = checker.reader, checker.state
    width, delimiter = checker.width, reader.stats.delimiter
    idx = {f: (i if i < width else width) for f, i in checker.idx.items()}  # width: a ''
    i_bsn, i_partner, i_geb = idx["bsn"], idx["partner_bsn"], idx["geboortedatum"]
    i_start, i_toel, i_eind = idx["startdatum"], idx["toelatingsdatum"], idx["einddatum"]
    i_post, i_huis = idx["postcode"], idx["huisnummer"]
    i_tel, i_mail, i_doss = idx["contact_telefoon"], idx["contact_email"], idx["dossiernummer"]
    today, ref = checker.today, checker.ref
    # eligibility.eligible_from's choice of date, made once for the file
    from_start = eligibility_basis(checker.rule, checker.has_toelating) == "startdatum"
    postcode_ok = POSTCODE_OR_EMPTY.fullmatch
    hn_known: dict[str, bool] = {}  # rules.huisnummer_ok, memoised (house numbers repeat)
    dget, miss = DATE_CACHE.get, MISS
    phone_known, email_known = checker.phone_ok.cache, checker.email_ok.cache
    add_partner, own = state.add_partner, state.own
    # The bitmaps themselves, for one look-up per row (see people.BsnSet); a duplicate, or a
    # person already named as a partner, goes to check().
    own_bits = own.allocate()
    eligible_bits, eligible_add = state.eligible.allocate(), state.eligible.add  # eligible rows
    partner_bits = state.partners.allocate() if i_partner < width else b""
    # White space at either end of a field: let check() strip and judge it.
    ws1, ws2 = delimiter + " ", " " + delimiter
    ws3 = "\t" if delimiter != "\t" else "\xa0"
    other_digit = OTHER_DIGIT.search
    isprintable = (str.isprintable if delimiter != "\t"
                   else lambda text: text.replace("\t", " ").isprintable())
    pad = any(i == width for i in idx.values())
    writerow, iso, parse = checker.writerow, checker.iso, checker.parse_date
    total = valid = ineligible = 0
    ln, readlines, fast_path = reader.line_num, reader.lines.readlines, FAST_PATH
    while True:
        block = readlines(1 << 16)
        if not block:
            break
        short_lines = fast_path and max(map(len, block)) <= MAX_VALUE_LENGTH
        while block:
            lines, block = iter(block), None
            for text in lines:
                ln += 1
                body = text.rstrip("\r\n")
                if '"' not in body:
                    row = body.split(delimiter, width)  # bounded: more fields is no fast line
                else:
                    row, body = _quotes_off(body, delimiter, width)
                clean = (short_lines and len(row) == width and '"' not in body
                         and ws1 not in body and ws2 not in body and ws3 not in body
                         and body.strip() is body
                         # printable (no control or format characters, no NBSP), ASCII digits
                         and isprintable(body)
                         and (body.isascii() or other_digit(body) is None))
                if clean:
                    if pad:
                        row.append("")
                    bsn, partner = row[i_bsn], row[i_partner]
                    start = dget(row[i_start], miss)
                    toel = dget(row[i_toel], miss)
                    eind = dget(row[i_eind], miss)
                    geb = dget(row[i_geb], miss)
                    if start is miss or toel is miss or eind is miss or geb is miss:
                        start, toel = parse(row[i_start]), parse(row[i_toel])
                        eind, geb = parse(row[i_eind]), parse(row[i_geb])
                    clean = (
                        # each rule is the per-record path's own function (rules.py)
                        is_valid_bsn(bsn)
                        # readable dates (None: empty or unreadable), a startdatum, the rules
                        and start is not None
                        and (toel is not None or not row[i_toel])
                        and (eind is not None or not row[i_eind])
                        and (geb is not None or not row[i_geb])
                        and not date_findings(start, toel, eind, geb, today)
                        and (not partner or (partner != bsn and is_valid_bsn(partner)))
                        and postcode_ok(row[i_post]) is not None
                        and (hn_known.get(h := row[i_huis]) or memo(hn_known, h, huisnummer_ok))
                        and phone_known.get(row[i_tel]) is True
                        and email_known.get(row[i_mail]) is True
                        and not in_scientific_notation(row[i_doss])  # check() warns
                        # new to the own and partner bitmaps (a valid BSN is fixed by its
                        # first eight digits); else check() finds it registered and says so
                        and not (seen := own_bits[(i := int(bsn[:8])) >> 3]) & (m := 1 << (i & 7))
                        and not (partner_bits and partner_bits[i >> 3] & m)
                    )
                if not clean:
                    # Keep counts in one place: hand over, let check() count, take them back.
                    checker.total, checker.valid, checker.ineligible = total, valid, ineligible
                    ln, block = _hand_over(checker, text, body, lines, ln)
                    total, valid, ineligible = checker.total, checker.valid, checker.ineligible
                    if block is not None:  # read these lines again, each through check()
                        short_lines = False
                        break
                    continue
                own_bits[i >> 3] = seen | m  # own.count is made good after the pass
                total += 1
                valid += 1
                from_date = start if from_start else toel
                if is_eligible(from_date, eind, ref):
                    eligible_bits[i >> 3] |= m  # its count is made good after the pass
                    if partner:
                        eligible_add(int(partner))  # the partner's record has these dates
                else:
                    ineligible += 1
                if partner:
                    add_partner(int(partner))
                if writerow is not None:
                    record = (bsn, partner, iso(geb), row[idx["achternaam"]],
                              row[idx["voorvoegsel"]], row[idx["voorletters"]],
                              normal_postcode(row[i_post]), row[i_huis],
                              row[idx["huisnummertoevoeging"]], iso(start), iso(toel), iso(eind),
                              row[idx["dossiernummer"]][:50], row[idx["contact_naam"]],
                              row[i_tel], row[i_mail], iso(from_date), str(ln))
                    writerow((*record, ORIGIN_ROW))
                    if partner:
                        writerow(partner_record(record))
                if progress is not None and not total % 50_000:
                    progress(total)
    reader.line_num = ln
    state.recount()
    checker.total, checker.valid, checker.ineligible = total, valid, ineligible
