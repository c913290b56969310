"""The status as a small HTML page for people: Dutch, offline, readable on a phone.

One row per organisation with a coloured health badge and a 30-day chart (inline SVG) of the
records delivered per day, coloured by outcome. No scripts, no external fonts or styles.
"""

from __future__ import annotations

from html import escape

WORDS = {"ok": "in orde", "pending": "wacht op verzending", "late": "te laat", "failing": "mislukt",
         "held": "tegengehouden", "unconfirmed": "niet bevestigd", "stale_extract": "bestand verouderd"}
COLOURS = {"ok": "#1a7f37", "pending": "#57606a", "late": "#bc4c00", "failing": "#cf222e",
           "held": "#8250df", "unconfirmed": "#9a6700", "stale_extract": "#9a6700"}
BAR = {"succeeded": "#1a7f37", "unconfirmed": "#9a6700", "held": "#8250df", "failed": "#cf222e",
       "none": "#d0d7de"}

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1rem;color:#1f2328}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%}
td,th{padding:.5rem;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top}
.badge{display:inline-block;padding:.15rem .5rem;border-radius:1rem;color:#fff;font-weight:600}
small{color:#57606a}svg{max-width:100%;height:auto}
@media(max-width:700px){thead{display:none}table,tbody,tr,td{display:block}
tr.org{border-bottom:2px solid #d0d7de;padding:.5rem 0}td{border:none;padding:.25rem 0}
td[data-label]::before{content:attr(data-label) ": ";font-weight:600}}
"""
DECISION = {"accepted": "geaccepteerd", "rejected": "afgewezen"}
DELIVERY = {"succeeded": "geleverd", "failed": "mislukt", "held": "tegengehouden",
            "unconfirmed": "niet bevestigd", "busy": "al bezig"}


def chart(days: list[dict], width: int = 300, height: int = 60) -> str:
    """Bars per day: height = records delivered, colour = outcome (grey: nothing sent)."""
    peak = max([d["records"] for d in days] + [1])
    step = width / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        h = max(3.0, (height - 4) * d["records"] / peak) if d["status"] != "none" else 3.0
        label = f"{d['day']}: {d['records']} regels, " + {**DELIVERY, "none": "geen levering"}[d["status"]]
        bars.append(f'<rect x="{i * step + 1:.1f}" y="{height - h:.1f}" width="{step - 2:.1f}" '
                    f'height="{h:.1f}" fill="{BAR[d["status"]]}"><title>{escape(label)}</title></rect>')
    return (f'<svg class="chart" role="img" aria-label="leveringen laatste {len(days)} dagen" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">{"".join(bars)}</svg>')


def render(overview: dict, details: dict[str, dict]) -> str:
    rows = []
    for org in overview["organisations"]:
        word = org["health"]
        extract = org.get("last_extract") or {}
        delivery = org.get("last_delivery") or {}
        days = details.get(org["code"], {}).get("days", [])
        rows.append(
            f'<tr class="org" data-org="{escape(org["code"])}" data-health="{escape(word)}">'
            f'<td><strong>{escape(org["name"])}</strong><br><small>{escape(org["code"])}</small></td>'
            f'<td><span class="badge" style="background:{COLOURS[word]}">{escape(WORDS[word])}</span>'
            f'<br><small>{escape(org["reason"])}</small></td>'
            f'<td data-label="Laatste bestand">{escape(extract.get("at_local", "–"))}<br>'
            f'<small>{escape(_extract_text(extract))}</small></td>'
            f'<td data-label="Laatste levering">{escape(delivery.get("at_local", "–"))}<br>'
            f'<small>{escape(_delivery_text(delivery))}</small></td>'
            f'<td data-label="Volgende levering">{escape(org["next_due"]["local"])}</td>'
            f"<td>{chart(days) if days else ''}</td></tr>")
    state = "Alles in orde" if overview["healthy"] else "Actie nodig"
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>VISH-levering: {state}</title><style>{_STYLE}</style></head><body>"
        f"<h1>VISH-levering aan SNG — {state}</h1>"
        f"<p><small>Bijgewerkt {escape(overview['generated_at'][:16].replace('T', ' '))} UTC</small></p>"
        "<table><thead><tr><th>Organisatie</th><th>Status</th><th>Laatste bestand</th>"
        "<th>Laatste levering</th><th>Volgende levering</th>"
        "<th>Laatste 30 dagen</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></body></html>")


def _outcome_text(entity: dict, *, word: str, words: dict, count: str, detail: str) -> str:
    """'geaccepteerd, 250 regels (reden)': the outcome in Dutch for the table cell."""
    if not entity:
        return ""
    text = words.get(entity.get(word, ""), entity.get(word, ""))
    if entity.get(count) is not None:
        text += f", {entity[count]} regels"
    return text + (f" ({entity[detail]})" if entity.get(detail) else "")


def _extract_text(extract: dict) -> str:
    return _outcome_text(extract, word="decision", words=DECISION, count="rows_total", detail="reason")


def _delivery_text(delivery: dict) -> str:
    return _outcome_text(delivery, word="status", words=DELIVERY, count="records", detail="error_kind")
