"""The status as a small HTML page for people: Dutch, offline, readable on a phone.

One row per organisation with a coloured health badge, the reason with what to do, the last
extract (for a rejected or held one: the Dutch reason and what to do, whatever the badge says),
the last delivery, the next one, and a 30-day chart (inline SVG) of the records delivered per
day, coloured by outcome, and the uploads to folders of no organisation. Above the rows, when
the overview has them: the summary of all organisations (how many have each word) and the
navigation through its pages ("vorige", "pagina 2 van 7", "volgende") with the filter "alleen
wat aandacht nodig heeft". The page of one
organisation adds its history (repeated identical events collapsed, at most
:data:`HISTORY_ROWS` rows). Times are local
(Europe/Amsterdam), written "op 29-11-2026 om 09:34"; a date never breaks at its hyphens. No
scripts, no external fonts or styles.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from html import escape

from shared.domain.health import ERROR_KINDS, HEALTHY, HELD_EXTRACT, at_text, rejection_text

WORDS = {"ok": "in orde", "no_changes": "geen wijzigingen", "pending": "wacht op verzending",
         "late": "te laat", "failing": "mislukt", "held": "levering tegengehouden",
         "unconfirmed": "niet bevestigd", "stale_extract": "bestand verouderd",
         "rejected": "laatste bestand afgewezen", "extract_held": "wacht op vrijgave",
         "not_connected": "nog niet aangesloten", "no_extract": "nog geen bestand",
         "empty": "geleverd zonder cliënten", "unreadable": "status onleesbaar"}
COLOURS = {"ok": "#1a7f37", "no_changes": "#1a7f37", "pending": "#57606a", "late": "#bc4c00",
           "failing": "#cf222e", "held": "#8250df", "unconfirmed": "#9a6700",
           "stale_extract": "#9a6700", "rejected": "#cf222e", "extract_held": "#8250df",
           "not_connected": "#57606a", "no_extract": "#9a6700", "empty": "#bc4c00",
           "unreadable": "#cf222e"}
BAR = {"succeeded": "#1a7f37", "unconfirmed": "#9a6700", "held": "#8250df", "failed": "#cf222e",
       "none": "#d0d7de", "empty": "#bc4c00", "nothing": "#8c959f"}
NOTHING = "niets te leveren"  # a tick that found no accepted extract: no failure
HISTORY_ROWS = 200

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1rem;color:#1f2328;
line-height:1.4}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{padding:.5rem;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
.badge{display:inline-block;padding:.15rem .5rem;border-radius:1rem;color:#fff;font-weight:600}
small{color:#57606a}.nw,.when{white-space:nowrap}.todo{color:#1f2328}
.problem{border-left:3px solid #cf222e;padding-left:.4rem;display:block;margin-top:.2rem}
svg{max-width:100%;height:auto}.axis{display:flex;justify-content:space-between;max-width:300px}
@media(max-width:700px){thead{display:none}table,tbody,tr,td{display:block}
tr.org,tr.event{border-bottom:2px solid #d0d7de;padding:.5rem 0}td{border:none;padding:.25rem 0}
td[data-label]::before{content:attr(data-label) ": ";font-weight:600}}
.tallies{display:flex;flex-wrap:wrap;gap:.3rem 1rem;list-style:none;padding:0;margin:.5rem 0}
.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.3rem}
nav.pages{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;margin:.75rem 0}
nav.pages a,.listing a{padding:.3rem 0;white-space:nowrap}
"""
DECISION = {"accepted": "geaccepteerd", "rejected": "afgewezen"}
DELIVERY = {"succeeded": "geleverd", "failed": "mislukt", "held": "tegengehouden",
            "unconfirmed": "niet bevestigd", "busy": "al bezig (een andere instantie leverde)"}
ACTIONS = {"redeliver": "met de hand opnieuw geleverd", "release": "tegengehouden bestand vrijgegeven",
           "release_delivery": "tegengehouden levering vrijgegeven",
           "confirm_delivery": "levering als aangekomen bevestigd"}
_DATE = re.compile(r"\b\d{2}-\d{2}-\d{4}\b")


def _t(text: str) -> str:
    """Escaped text whose dates (dd-mm-jjjj) never break at a hyphen."""
    return _DATE.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', escape(text))


def _when(entity: dict) -> str:
    """The local time of a public outcome ('op 29-11-2026 om 09:34'), from its UTC ``at``."""
    at = entity.get("at")
    return at_text(datetime.fromisoformat(at)) if isinstance(at, str) else ""


def _when_word(entity: dict, word: str) -> str:
    at = entity.get("at")
    return at_text(datetime.fromisoformat(at), word) if isinstance(at, str) else ""


def _time(entity: dict) -> str:
    """The moment of an outcome for a cell, kept on one line."""
    return f'<span class="when">{_t(_when(entity))}</span>'


def _dutch_day(day: str) -> str:
    try:
        return date.fromisoformat(day).strftime("%d-%m-%Y")
    except (TypeError, ValueError):
        return str(day)


def _bar_status(d: dict) -> str:
    if d["status"] == "succeeded" and (d.get("people") == 0
                                       or (d["records"] == 0 and d.get("people") is None)):
        return "empty"
    return d["status"]


def chart(days: list[dict], width: int = 300, height: int = 60) -> str:
    """Bars per local day: height = records delivered, colour = outcome (grey: nothing sent;
    orange: delivered, but nobody in VISH after it). Under it the first and last day."""
    peak = max([d["records"] for d in days] + [1])
    step = width / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        status = _bar_status(d)
        h = max(3.0, (height - 4) * d["records"] / peak) if d["status"] != "none" else 3.0
        what = {**DELIVERY, "none": "geen levering", "empty": "geleverd zonder cliënten",
                "nothing": NOTHING}[status]
        label = f"{_dutch_day(d['day'])}: {d['records']} regels, {what}"
        bars.append(f'<rect x="{i * step + 1:.1f}" y="{height - h:.1f}" width="{step - 2:.1f}" '
                    f'height="{h:.1f}" fill="{BAR[status]}"><title>{escape(label)}</title></rect>')
    axis = (f'<div class="axis"><small>{_t(_dutch_day(days[0]["day"]))}</small>'
            f'<small>{_t(_dutch_day(days[-1]["day"]))}</small></div>') if days else ""
    return (f'<svg class="chart" role="img" aria-label="leveringen laatste {len(days)} dagen" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">{"".join(bars)}</svg>'
            + axis)


def render(overview: dict, details: dict[str, dict], *, history: bool = False,
           keep: dict[str, str] | None = None) -> str:
    """The page for ``overview`` (the overview document, or one organisation's detail wrapped
    as one); ``details`` give the chart's days; ``history``: add each organisation's history
    (the page of one organisation). With a ``summary`` the page starts with it; with
    ``paging`` it has links to the other pages and the filter, which keep the parameters in
    ``keep`` (the function key of a browser's address)."""
    rows, histories = [], []
    for org in overview["organisations"]:
        word = org["health"]
        detail = details.get(org["code"]) or {}
        days = detail.get("days", [])
        rows.append(
            f'<tr class="org" data-org="{escape(org["code"])}" data-health="{escape(word)}">'
            f'<td><strong>{escape(org["name"])}</strong><br><small>{escape(org["code"])}</small></td>'
            f'<td><span class="badge" style="background:{COLOURS.get(word, "#57606a")}">'
            f'{escape(WORDS.get(word, word))}</span><br><span class="todo">{_t(org["reason"])}</span></td>'
            f'<td data-label="Laatste bestand">{_extract_cell(org)}</td>'
            f'<td data-label="Laatste levering">{_delivery_cell(org)}</td>'
            f'<td data-label="Volgende levering">{_t(_next(org))}</td>'
            f'<td data-label="Laatste 30 dagen">{_chart_cell(days)}</td></tr>')
        if history and "history" in detail:
            histories.append(_history(org, detail["history"]))
    state = "Alles in orde" if overview["healthy"] else "Actie nodig"
    generated = datetime.fromisoformat(overview["generated_at"])
    paging = overview.get("paging")
    nav = _nav(paging, keep or {}) if paging else ""
    listing = _listing(paging, keep or {}) if paging else ""
    table = ("<table><thead><tr><th>Organisatie</th><th>Status</th><th>Laatste bestand</th>"
             "<th>Laatste levering</th><th>Volgende levering</th>"
             "<th>Laatste 30 dagen</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    if paging and not rows:
        table = f"<p>{_t(_nothing_listed(paging))}</p>"
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>VISH-levering: {state}</title><style>{_STYLE}</style></head><body>"
        f"<h1>VISH-levering aan SNG — {state}</h1>"
        f"<p><small>Bijgewerkt {_t(at_text(generated))}</small></p>"
        + _summary(overview.get("summary")) + listing + nav + table + (nav if rows else "")
        + _unknown(overview.get("unknown_folders")) + "".join(histories) + "</body></html>")


def _summary(summary: dict | None) -> str:
    """How many organisations, how many need attention, and per word how many (those that
    need attention first, each in the order of precedence); words none has are left out."""
    if not summary:
        return ""
    total, attention = summary["organisations"], summary["attention"]
    orgs = f"{total} {'organisatie' if total == 1 else 'organisaties'}"
    if attention == 0:
        said = f"{orgs}, geen ervan vraagt aandacht."
    else:
        said = f"{orgs}, waarvan {attention} {'aandacht vraagt' if attention == 1 else 'aandacht vragen'}."
    counts = [(word, n) for word, n in summary["health"].items() if n]
    counts.sort(key=lambda pair: pair[0] in HEALTHY)  # stable: precedence within each part
    items = "".join(
        f'<li class="tally" data-health="{escape(word)}"><span class="dot" '
        f'style="background:{COLOURS.get(word, "#57606a")}"></span>'
        f"{escape(WORDS.get(word, word))}: <strong>{n}</strong></li>" for word, n in counts)
    return (f'<section class="summary" aria-label="Samenvatting"><p><strong>{escape(said)}</strong></p>'
            + (f'<ul class="tallies">{items}</ul>' if items else "") + "</section>")


def _href(keep: dict[str, str], paging: dict, *, page: int = 1, attention: bool | None = None) -> str:
    """A link to another page of the overview (relative: the same address, other parameters)."""
    params = {"format": "html", **keep, "per_page": paging["per_page"]}
    if paging["attention_only"] if attention is None else attention:
        params["attention"] = 1
    if page > 1:
        params["page"] = page
    return escape("?" + "&".join(f"{_percent(str(k))}={_percent(str(v))}" for k, v in params.items()))


def _listing(paging: dict, keep: dict[str, str]) -> str:
    """Which organisations the page shows, and the filter (or the way back to all of them)."""
    page, listed = paging["page"], paging["organisations"]
    first = (page - 1) * paging["per_page"] + 1
    last = min(page * paging["per_page"], listed)
    which = "die aandacht vragen" if paging["attention_only"] else "wat aandacht vraagt eerst"
    shown = f"Organisaties {first} tot en met {last} van {listed}, {which}. " if first <= last else ""
    if paging["attention_only"]:
        switch = f'<a class="filter" href="{_href(keep, paging, attention=False)}">alle organisaties</a>'
    else:
        switch = (f'<a class="filter" href="{_href(keep, paging, attention=True)}">alleen wat '
                  "aandacht nodig heeft</a>")
    return f'<p class="listing">{escape(shown)}{switch}</p>'


def _nav(paging: dict, keep: dict[str, str]) -> str:
    """"vorige", "pagina 2 van 7", "volgende"; nothing when there is one page only."""
    page, pages = paging["page"], paging["pages"]
    steps = []
    if page > 1:
        steps.append(f'<a rel="prev" href="{_href(keep, paging, page=min(page - 1, pages))}">vorige</a>')
    if pages > 1 and page <= pages:
        steps.append(f'<span class="where">pagina {page} van {pages}</span>')
    if page < pages:
        steps.append(f'<a rel="next" href="{_href(keep, paging, page=page + 1)}">volgende</a>')
    return (f'<nav class="pages" aria-label="Paginanavigatie">{"".join(steps)}</nav>'
            if steps else "")


def _nothing_listed(paging: dict) -> str:
    if paging["organisations"] == 0:
        return ("Geen organisatie vraagt aandacht." if paging["attention_only"]
                else "Er zijn geen organisaties ingesteld.")
    pages = paging["pages"]
    return (f"Pagina {paging['page']} bestaat niet; er {'is' if pages == 1 else 'zijn'} {pages} "
            f"{'pagina' if pages == 1 else 'pagina’s'}; ga terug met 'vorige'.")


def _unknown(folders) -> str:
    """Uploads to folders that belong to no organisation (quarantined, never delivered)."""
    if not folders:
        return ""
    items = "".join(
        f'<tr class="unknown"><td data-label="Map">{escape(str(f.get("folder", "")))}</td>'
        f'<td data-label="Laatste upload">{_t(str(f.get("at_text", "")))}</td>'
        f'<td data-label="Aantal">{escape(str(f.get("uploads", "")))}</td></tr>' for f in folders)
    return ("<h2>Onbekende mappen (laatste 7 dagen)</h2><p><small>Bestanden in een map die bij "
            "geen ingestelde organisatie hoort; ze staan in quarantaine en worden niet geleverd. "
            "Controleer de mapnaam bij de organisatie of stel de organisatie in.</small></p>"
            "<table><thead><tr><th>Map</th><th>Laatste upload</th><th>Aantal</th></tr></thead>"
            f"<tbody>{items}</tbody></table>")


def _chart_cell(days: list[dict]) -> str:
    if not days:
        return ""
    if all(d["status"] == "none" for d in days):
        return "<small>nog geen leveringen</small>"
    return chart(days)


def _next(org: dict) -> str:
    due = org.get("next_due") or {}
    return due.get("text") or due.get("local", "–")


def _extract_cell(org: dict) -> str:
    extract = org.get("last_extract")
    if not extract and "extract" in (org.get("unreadable_rows") or ()):
        return "<small>niet te lezen</small>"
    if not extract:
        return "<small>nog geen bestand ontvangen</small>"
    problem = org.get("extract_problem")
    waiting = bool(problem) and problem.get("word") == "extract_held"
    text = f"{_time(extract)}<br><small>{_t(extract_text(extract, waiting=waiting))}</small>"
    if problem and problem.get("reason") != org.get("reason"):  # not said by the badge already
        text += f'<span class="problem">{_t(problem["reason"])}</span>'
    return text


def _delivery_cell(org: dict) -> str:
    delivery = org.get("last_delivery")
    if not delivery and "delivery" in (org.get("unreadable_rows") or ()):
        return "<small>niet te lezen</small>"
    if not delivery:
        return "<small>nog niets geleverd</small>"
    return f"{_time(delivery)}<br><small>{_t(delivery_text(delivery))}</small>"


def _first(sentence: str) -> str:
    """What is wrong, without what to do (the part before the first ';')."""
    return sentence.split(";")[0]


def extract_text(extract: dict, *, waiting: bool = False) -> str:
    """One extract outcome in Dutch: 'geaccepteerd: 250 regels, 212 personen'. A held one
    'wacht op vrijgave' only while it does (``waiting``); after that it was 'tegengehouden'."""
    decision, reason = extract.get("decision"), extract.get("reason")
    total, people = extract.get("rows_total"), extract.get("people")
    if decision == "accepted":
        parts = [f"{total} regels"] if total is not None else []
        if extract.get("rows_invalid"):
            parts.append(f"{extract['rows_invalid']} ongeldig")
        if people is not None:
            parts.append(f"{people} personen")
        return "geaccepteerd" + (": " + ", ".join(parts) if parts else "")
    if decision != "rejected":
        return str(decision or "")
    if reason == HELD_EXTRACT:
        removed, current = extract.get("people_removed"), extract.get("current_people")
        drop = (f"{removed} van {current} personen zouden uit VISH verdwijnen"
                if removed is not None and current is not None else "te veel personen zouden verdwijnen")
        return f"{'wacht op vrijgave' if waiting else 'tegengehouden'}: {drop}"
    what = _first(rejection_text(reason))
    if reason == "too_many_invalid" and extract.get("rows_invalid") is not None and total:
        what = f"{extract['rows_invalid']} van {total} regels ongeldig"
    return "afgewezen: " + (what or "bekijk het rapport")


def delivery_text(delivery: dict) -> str:
    """One delivery outcome in Dutch: 'geleverd: 250 regels (bestand X)'."""
    status = delivery.get("status")
    day = f" van {_dutch_day(delivery['day'])}" if delivery.get("day") else ""
    records, people = delivery.get("records"), delivery.get("people")
    if status == "succeeded":
        if people == 0 or (records == 0 and people is None):
            text = f"levering{day}: geen cliënten geleverd, niemand van deze organisatie in VISH"
        elif records == 0:
            text = f"levering{day}: geen wijzigingen, {people} personen blijven in VISH"
        else:
            text = f"levering{day}: " + (f"{records} regels geleverd" if records is not None
                                          else "geleverd")
        return text + (f" (bestand {delivery['file']})" if delivery.get("file") else "")
    if status == "failed" and delivery.get("error_kind") == "no_snapshot":
        return f"levering{day}: {NOTHING} (geen geaccepteerd bestand)"
    if status == "failed":
        kind = delivery.get("error_kind")
        why = ERROR_KINDS.get(kind) if isinstance(kind, str) else None
        return f"levering{day} mislukt" + (f": {_first(why)}" if why else f" ({kind})" if kind else "")
    if status == "held":
        removed = (delivery["previous_people"] - delivery["people"]
                   if isinstance(delivery.get("previous_people"), int)
                   and isinstance(delivery.get("people"), int) else None)
        return f"levering{day} tegengehouden" + (
            f": {removed} van {delivery['previous_people']} personen zouden uit VISH verdwijnen"
            if removed is not None else "")
    if status == "unconfirmed":
        return f"levering{day} niet bevestigd" + (f" (bestand {delivery['file']})"
                                                  if delivery.get("file") else "")
    return f"levering{day} " + DELIVERY.get(status, str(status or ""))


def event_text(entry: dict) -> str:
    """One history entry in Dutch."""
    kind = entry.get("kind")
    if kind == "extract":
        return "Bestand " + extract_text(entry)
    if kind == "delivery":
        text = delivery_text(entry)
        return text[:1].upper() + text[1:]
    if kind == "manual":
        action = ACTIONS.get(entry.get("action"), str(entry.get("action", "")))
        day = f" (levering van {_dutch_day(entry['day'])})" if entry.get("day") else ""
        return f"Handeling: {action}{day}"
    if kind == "connection_test":
        if entry.get("ok"):
            return "Verbindingstest geslaagd"
        step = entry.get("failed_step")
        return "Verbindingstest mislukt" + (f" bij stap '{step}'" if step else "")
    return str(kind or "")


def _groups(history: list[dict]) -> list[tuple[dict, dict, str, int]]:
    """Runs of consecutive entries that read the same (newest first): (newest, oldest, text,
    how many)."""
    groups: list[list] = []
    for entry in history:
        text = event_text(entry)
        if groups and groups[-1][2] == text:
            groups[-1][1] = entry
            groups[-1][3] += 1
        else:
            groups.append([entry, entry, text, 1])
    return [tuple(g) for g in groups]


def _history(org: dict, history: list[dict]) -> str:
    groups = _groups(history)
    shown = []
    for newest, oldest, text, count in groups[:HISTORY_ROWS]:
        if count == 1:
            when, what = _time(newest), _t(text)
        else:
            span = (f"{_when_word(oldest, 'van')} tot {_when_word(newest, 'tot')[4:]}")
            when, what = f'<span class="when">{_t(span)}</span>', _t(f"{count}× {text}")
        shown.append(f'<tr class="event" data-kind="{escape(str(newest.get("kind", "")))}">'
                     f'<td data-label="Tijdstip">{when}</td><td>{what}</td></tr>')
    rows = "".join(shown)
    if len(groups) > HISTORY_ROWS:
        left = sum(g[3] for g in groups[HISTORY_ROWS:])
        rows += (f'<tr class="event more"><td colspan="2">En nog {left} oudere '
                 f'{"gebeurtenis" if left == 1 else "gebeurtenissen"}, niet getoond; de JSON '
                 "van deze organisatie geeft ze alle.</td></tr>")
    if not rows:
        rows = '<tr class="event"><td colspan="2">Niets vastgelegd in deze periode.</td></tr>'
    return (f'<h2>Geschiedenis van {escape(org["name"])} (laatste 30 dagen, nieuwste eerst)</h2>'
            '<table class="history"><thead><tr><th>Tijdstip</th><th>Wat er gebeurde</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _percent(text: str) -> str:
    """``text`` for a query string: every byte but the unreserved ones percent-encoded (RFC 3986;
    the domain may not import urllib)."""
    return "".join(c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
                   for c in text)
