"""The README stays true: every issue code and every setting is documented."""

from pathlib import Path

from shared.config import Settings
from shared.domain.issues import CODES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_issue_code_is_in_the_readme_with_its_dutch_message():
    for code, info in CODES.items():
        assert f"| `{code.value}` | {info.severity.value} | {info.message} |" in README, code


def test_every_setting_is_in_the_readme():
    for name in Settings.model_fields:
        assert f"`VISH_{name.upper()}`" in README, name


def test_the_two_commands_lead_the_readme_and_ci_runs_the_test_command():
    head = README[:1200]
    assert "./run demo" in head and "./run test" in head
    assert "./run test" in (ROOT / ".ci" / "run").read_text()


def test_the_organisations_example_in_the_readme_is_valid():
    import re

    from shared.config import parse_organisations

    block = re.search(r'```json\n(\{"organisations".*?)\n```', README, re.S).group(1)
    [org] = parse_organisations(block, "README").organisations
    assert org.sftp is not None and org.sftp.secret_name and "AAAA" in org.sftp.host_key


# -- the Dutch guides, against the product -------------------------------------------------------
import ast  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402

DOCS = ROOT / "docs"
COUNSELLOR = (DOCS / "handleiding-hulpverlener.md").read_text(encoding="utf-8")
OPERATOR = (DOCS / "handleiding-beheer.md").read_text(encoding="utf-8")
GUIDES = {"handleiding-hulpverlener.md": COUNSELLOR, "handleiding-beheer.md": OPERATOR}


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first Markdown table after the line ``heading`` (cells stripped)."""
    lines = text[text.index(heading):].splitlines()[1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_the_readme_links_to_both_guides_and_every_link_in_the_guides_resolves():
    for name in GUIDES:
        assert f"](docs/{name})" in README, name
    for name, text in GUIDES.items():
        links = re.findall(r"\]\(([^)#]+)\)", text)
        local = [link for link in links if not link.startswith("https://")]
        assert local, name
        for link in local:
            assert (DOCS / link).is_file(), (name, link)
    assert "(handleiding-beheer.md)" in COUNSELLOR and "(handleiding-hulpverlener.md)" in OPERATOR


def health_words() -> set[str]:
    """Every word the status can show: what health.py constructs and what the page names."""
    from shared.domain import health, status_page

    source = (ROOT / "shared" / "domain" / "health.py").read_text(encoding="utf-8")
    return (set(re.findall(r'Health\(\s*"(\w+)"', source)) | set(health.HEALTHY)
            | set(getattr(health, "WORDS", ())) | set(status_page.WORDS))


def test_every_status_word_is_in_the_operator_table_with_the_label_the_page_shows():
    from shared.domain import status_page

    rows = table_rows(OPERATOR, "## 8. Statuswoorden")
    named = {}
    for first, *rest in rows:
        match = re.fullmatch(r"(.+) \(`(\w+)`\)", first)
        assert match and len(rest) == 2 and all(rest), first
        named[match.group(2)] = match.group(1)
    words = health_words()
    assert set(named) == words, (words - set(named), set(named) - words)
    from shared.domain import health

    if hasattr(health, "WORDS"):  # the guide says its order is the precedence
        assert list(named) == list(health.WORDS)
    for word, label in named.items():
        assert label == status_page.WORDS.get(word, word), word


def test_the_healthy_words_named_in_the_operator_guide_are_the_healthy_ones():
    from shared.domain import health, status_page

    sentence = next(line for line in OPERATOR.split("\n\n") if "gelden als" in line and "gezond" in line)
    labels = set(re.findall(r"'([^']+)'", sentence))
    by_label = {label: word for word, label in status_page.WORDS.items()}
    assert {by_label[label] for label in labels} == set(health.HEALTHY)


def test_every_error_kind_is_in_the_operator_table_and_no_other():
    from shared.domain.health import ERROR_KINDS

    rows = table_rows(OPERATOR, "**Foutsoorten bij 'mislukt'**")
    kinds = [re.fullmatch(r"`(\w+)`", first).group(1) for first, *_ in rows]
    assert sorted(kinds) == sorted(ERROR_KINDS)
    assert all(len(row) == 3 and all(row) for row in rows)


def subcommands(parser) -> dict:
    import argparse

    return {name: sub for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name, sub in action.choices.items()}


def vish_parser() -> dict:
    from shared.cli import build_parser

    return subcommands(build_parser())


def code(text: str) -> tuple[list[str], list[str]]:
    """(inline code spans, lines of fenced code blocks) of a Markdown text."""
    prose, blocks, fenced = [], [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced:
            blocks.append(line)
        else:
            prose.append(line)
    spans = [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", "\n".join(prose))]
    return spans, blocks


def vish_commands(text: str) -> list[str]:
    """Every ``vish`` command line in a text: in inline code and in code blocks."""
    spans, blocks = code(text)
    return [m.group(0) for piece in spans + blocks
            for m in re.finditer(r"(?<![\w/.-])vish [a-z][\w-]*[^`|]*", piece)]


def test_every_vish_command_and_option_in_the_guides_exists():
    from shared.cli import _date_arg

    commands = vish_parser()
    found = [c for text in GUIDES.values() for c in vish_commands(text)]
    assert len(found) >= 10, found
    for command in found:
        name, *rest = command.split()[1:]
        assert name in commands, command
        parser = commands[name]
        while rest and subcommands(parser):  # vish config check
            assert rest[0] in subcommands(parser), command
            parser = subcommands(parser)[rest.pop(0)]
        options = {o for action in parser._actions for o in action.option_strings}
        for option in re.findall(r"(?<!\S)(--?[a-z][\w-]*)", command):
            assert option in options, (command, option)
        for value in re.findall(r"--date (\S+)", command):
            if not value.startswith(("<", "…", "D")):
                assert _date_arg(value), command  # a date the command takes


def test_every_vish_command_in_the_operator_roles_table_exists_and_every_command_is_in_it():
    rows = table_rows(OPERATOR, "Welke rol u nodig hebt")
    named = [re.fullmatch(r"`vish ([\w-]+)(?: [\w-]+)?`", first).group(1) for first, *_ in rows]
    assert sorted(named) == sorted(vish_parser())


def http_routes() -> dict[str, tuple[str, str]]:
    """Function name -> (method, route) of every HTTP function, as the host registers them."""
    from devtools.devservices import registered_functions

    routes = {}
    for name, function in registered_functions().items():
        for binding in function.get_bindings_dict()["bindings"]:
            if binding.get("type") == "httpTrigger":
                [method] = binding["methods"]
                routes[name] = (str(getattr(method, "value", method)), binding["route"],
                                str(getattr(binding["authLevel"], "value", binding["authLevel"])))
    return routes


def route_pattern(route: str) -> str:
    return re.sub(r"\\\{\w+\\\}", r"[^/\\s`'\"?]+", re.escape(route))


def test_every_admin_route_is_in_the_operator_guide_and_every_route_named_exists():
    routes = http_routes()
    admin = {name: r for name, r in routes.items() if r[2] == "admin"}
    assert len(admin) >= 5
    for method, route, _ in admin.values():
        shown = "/api/" + re.sub(r"\{\w+\}", "<organisatie>", route)
        assert f"{method} {shown}" in OPERATOR, shown
    for text in GUIDES.values():
        for method, path in re.findall(r"\b(GET|POST) (/api/[^\s`]+)", text):
            path = path.replace("<organisatie>", "gemeente-x")
            assert any(m == method and re.fullmatch("/api/" + route_pattern(r), path)
                       for m, r, _ in routes.values()), (method, path)


def admin_fields() -> set[str]:
    source = (ROOT / "functions" / "admin.py").read_text(encoding="utf-8")
    return set(re.findall(r'_field\(req, "(\w+)"\)', source))


def test_every_curl_call_in_the_operator_guide_posts_to_an_admin_route_with_fields_it_reads():
    from datetime import date

    routes = [r for m, r, level in http_routes().values() if m == "POST" and level == "admin"]
    calls = re.findall(r"`beheer ([^\s`]+) '([^']*)'`", OPERATOR)
    assert len(calls) >= len(routes)
    fields = admin_fields()
    assert {"reason", "sha256", "day"} <= fields
    used = set()
    for path, body in calls:
        matching = [r for r in routes if re.fullmatch(route_pattern(r) + r"(\?[\w=]+)?", path)]
        assert matching, path
        used.update(matching)
        assert set(json.loads(body)) <= fields, (path, body)
        if "day" in json.loads(body):  # admin.py reads it with date.fromisoformat
            date.fromisoformat(json.loads(body)["day"])
    assert used == set(routes)
    assert "masterKey" in OPERATOR and "x-functions-key" in OPERATOR


def error_responses() -> dict[str, int]:
    """code -> HTTP status of every error the admin and status functions answer."""
    found = {}
    for name in ("admin.py", "status.py"):
        tree = ast.parse((ROOT / "functions" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "error_response"):
                code, status = node.args[0], node.args[-1]
                assert isinstance(code, ast.Constant) and isinstance(status, ast.Constant)
                found[code.value] = status.value
    return found


def test_every_error_an_admin_action_answers_is_in_the_operator_table_with_its_status():
    errors = error_responses()
    assert len(errors) >= 8
    rows = {re.fullmatch(r"`(\w+)`", first).group(1): int(status)
            for first, status, _ in table_rows(OPERATOR, "Foutantwoorden zijn JSON")}
    assert rows == errors


def test_the_upload_rights_in_the_guides_are_the_ones_the_bicep_grants():
    bicep = (ROOT / "infra-bicep" / "modules" / "uploaders.bicep").read_text(encoding="utf-8")
    description = re.search(r"description: '(vish-bridge: uploads extracts of )\$\{uploader\.organisation\}'",
                            bicep)
    assert description, "the assignment's description in uploaders.bicep"
    assert f"[?description=='{description.group(1)}gemeente-x']" in OPERATOR
    role = re.search(r"var roleName = '(.+) \(\$\{storageName\}\)'", bicep).group(1)
    assert f"`{role} (<opslagaccount>)`" in OPERATOR
    example = re.search(r'```json\n("uploaders": .*?)\n```', OPERATOR, re.S).group(1)
    entries = json.loads("{" + re.sub(r'"<[^"]*>"', '"x"', example) + "}")["uploaders"]["value"]
    assert all(set(e) == {"organisation", "principalId", "principalType"} for e in entries)
    assert {"Group", "User", "ServicePrincipal"} >= {e["principalType"] for e in entries}
    for folder in ("extracts/<organisatiecode>/", "reports/<organisatiecode>/"):
        assert folder in COUNSELLOR
    assert "https://<opslagaccount>.blob.core.windows.net/extracts/<organisatiecode>" in COUNSELLOR


def test_every_setting_and_output_the_guides_name_exists():
    from shared.config import Settings

    settings = {f"VISH_{name.upper()}" for name in Settings.model_fields}
    infra = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "infra-bicep").rglob("*")
                    if p.is_file() and p.suffix in (".json", ".sh", ".bicep"))
    main = (ROOT / "infra-bicep" / "main.bicep").read_text(encoding="utf-8")
    outputs = set(re.findall(r"^output (\w+) ", main, flags=re.M))
    for name, text in GUIDES.items():
        for variable in set(re.findall(r"\bVISH_[A-Z_]+\b", text)):
            assert variable in settings or variable in infra, (name, variable)
        for output in set(re.findall(r"\b(?:AZURE_[A-Z_]+|STATIC_OUTBOUND_IP)\b", text)):
            # AZURE_RESOURCE_GROUP is azd's own value for a resource-group deployment (the
            # scripts read it), not an output of main.bicep.
            assert (output in outputs or output == "AZURE_CLIENT_ID"
                    or (output == "AZURE_RESOURCE_GROUP" and output in infra)), (name, output)


def test_the_report_name_in_the_counsellor_guide_is_the_one_the_intake_writes():
    from datetime import UTC, date, datetime

    from shared.domain.privacy import safe_name
    from shared.usecases.intake import report_name

    received = datetime(2026, 11, 28, 8, 34, 12, tzinfo=UTC)  # 09:34:12 in Amsterdam
    shown = safe_name("clienten-2026-11-28.csv", date(2026, 11, 28))
    name = report_name(received, shown, "3f2a1b9c0d1e" + "0" * 52)
    assert f"`{name}.csv`" in COUNSELLOR
    assert "`clienten-2026-11-28.csv`" in COUNSELLOR and "28-11-2026 om 09:34:12" in COUNSELLOR


def test_the_counsellor_guide_names_every_reason_an_extract_is_rejected_or_held():
    from shared.domain import health
    from shared.domain.issues import Code

    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "shared").rglob("*.py"))
    rejecting = set(re.findall(r"(?:\.reject|_structural_rejection)\(Code\.(\w+)", source))
    assert {"TOO_MANY_INVALID", "MASS_DROP_HELD", "MISSING_COLUMN"} <= rejecting
    reasons = set(getattr(health, "REJECTIONS", {})) | {Code[name].value for name in rejecting}
    codes = set(re.findall(r"`(\w+)`", COUNSELLOR))
    assert reasons <= codes, reasons - codes
    assert {c.value for c in Code} >= codes & {c for c in codes if "_" in c}


def test_no_guide_holds_a_number_that_passes_as_a_bsn():
    from shared.domain.bsn import is_valid_bsn

    for name, text in GUIDES.items():
        for number in re.findall(r"(?<!\d)\d{9}(?!\d)", text):
            assert not is_valid_bsn(number), (name, number)


def test_the_defaults_the_guides_name_are_the_products():
    from shared.config import Organisation, Settings

    fields = Organisation.model_fields
    share, drop = fields["invalid_threshold"].default, fields["mass_drop_threshold"].default
    minimum = fields["invalid_min_rows"].default
    assert f"(standaard {share:.0%}".replace("%", " %") in COUNSELLOR
    assert f"(standaard {drop:.0%})".replace("%", " %") in COUNSELLOR
    assert f"mogen er {minimum - 1} fout zijn, zolang niet alle regels fout zijn" in COUNSELLOR
    assert f"(standaard {str(share).replace('.', ',')} = {share:.0%}".replace("%", " %") in OPERATOR
    assert f"vanaf zoveel ongeldige regels (standaard {minimum}," in " ".join(OPERATOR.split())
    assert f"(standaard {drop:.0%})".replace("%", " %") in OPERATOR
    assert f"(standaard `{fields['send_time'].default:%H:%M}`" in OPERATOR
    stale = Settings.model_fields["stale_extract_days"].default
    assert f"`VISH_STALE_EXTRACT_DAYS` dagen (standaard {stale})" in OPERATOR
    main = (ROOT / "infra-bicep" / "main.bicep").read_text(encoding="utf-8")
    quarantine = re.search(r"param quarantineRetentionDays int = (\d+)", main).group(1)
    assert f"({quarantine} dagen bewaard)" in OPERATOR
    # How long a held extract can be released is that same retention, wherever the guide says it.
    release_days = re.findall(r"\b(?:binnen|na) (\d+) dagen", OPERATOR)
    assert len(release_days) >= 3 and set(release_days) == {quarantine}, release_days


def test_the_curl_recipe_in_the_operator_guide_sends_the_key_as_a_header_and_never_on_a_command_line(
        tmp_path):
    """Run the guide's own ``beheer`` function (bash, curl) against a local server; only the
    scheme differs (http here, https in Azure). A curl wrapper records every argument."""
    import os
    import shutil
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    real_curl = shutil.which("curl")
    assert real_curl and shutil.which("bash"), "curl and bash are part of the test environment"
    block = next(b for b in re.findall(r"```sh\n(.*?)```", OPERATOR, re.S) if "beheer() {" in b)
    function = block[block.index("beheer() {"):]
    assert function.count('"https://$HOST/api/$1"') == 1
    function = function.replace('"https://$HOST/api/$1"', '"http://$HOST/api/$1"')
    seen = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.command, self.path, dict(self.headers), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"confirmed": "2026-11-28"}')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argv_log = tmp_path / "curl-argv"
    (bin_dir / "curl").write_text(
        f'#!/bin/bash\nprintf "%s\\n" "$@" >> "{argv_log}"\nexec {real_curl} "$@"\n')
    (bin_dir / "curl").chmod(0o755)
    key = "geheime-beheersleutel-Zx81=="
    script = (function + "\nbeheer deliveries/gemeente-x/confirm "
              "'{\"reason\": \"SNG bevestigt ontvangst\", \"day\": \"2026-11-28\"}'\n")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "HOST": f"127.0.0.1:{server.server_port}", "BEHEERSLEUTEL": key}
    try:
        done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("HTTP 200")
    [(method, path, headers, body)] = seen
    assert (method, path) == ("POST", "/api/deliveries/gemeente-x/confirm")
    assert headers["x-functions-key"] == key and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"reason": "SNG bevestigt ontvangst", "day": "2026-11-28"}
    argv = argv_log.read_text()
    assert "-K" in argv.split("\n") and key not in argv


def test_the_alerts_the_operator_guide_names_are_the_ones_deployed():
    texts = re.findall(r"(?:displayName|description): '(VISH: [^']+)'", "".join(
        (ROOT / "infra-bicep" / name).read_text(encoding="utf-8")
        for name in ("modules/monitoring.bicep", "availability.bicep")))
    section = OPERATOR[OPERATOR.index("**Meldingen**"):OPERATOR.index("Open bij elke melding")]
    named = re.findall(r'^\* "(VISH: [^"]+)"', section, flags=re.M)
    assert len(named) == len(texts) == 3
    for title in named:
        assert any(text.startswith(title) for text in texts), title


def test_the_connection_test_answer_the_operator_guide_describes_is_the_one_admin_py_gives():
    source = (ROOT / "functions" / "admin.py").read_text(encoding="utf-8")
    body = source[source.index("def connection_test"):source.index("@bp.function_name", source.index(
        "def connection_test"))]
    keys = set(re.findall(r'"(\w+)":', body))
    section = OPERATOR[OPERATOR.index("**Verbinding testen**"):OPERATOR.index("6. Heeft SNG")]
    described = set(re.findall(r"\(`(\w+)`\)", section))
    assert described == keys - {"step", "ok", "detail"}, (described, keys)


def test_the_unknown_folders_the_operator_guide_describes_are_the_status_pages():
    source = (ROOT / "shared" / "domain" / "status_page.py").read_text(encoding="utf-8")
    heading = re.search(r"<h2>(Onbekende mappen[^<]*)</h2>", source).group(1)
    assert f'"{heading}"' in " ".join(OPERATOR.split())


def test_every_curl_call_in_the_operator_guide_sends_the_fields_its_route_requires():
    """What each admin function refuses without (``needs_reason=True``; an ``<x>_required``
    error for a field), read from admin.py, is in the guide's call of that route."""
    tree = ast.parse((ROOT / "functions" / "admin.py").read_text(encoding="utf-8"))
    required = {}
    for function in [n for n in tree.body if isinstance(n, ast.FunctionDef)]:
        routes = [kw.value.value for d in function.decorator_list if isinstance(d, ast.Call)
                  for kw in d.keywords if kw.arg == "route"]
        if not routes:
            continue
        fields = set()
        for node in ast.walk(function):
            if isinstance(node, ast.keyword) and node.arg == "needs_reason" and node.value.value:
                fields.add("reason")
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value.endswith("_required") and node.value != "reason_required"):
                fields.add(node.value.removesuffix("_required"))
        required[routes[0]] = fields
    assert required["extracts/{org}/release"] == {"reason", "sha256"}  # the rule this guards
    calls = re.findall(r"`beheer ([^\s`?]+)[^\s`]* '([^']*)'`", OPERATOR)
    for route, fields in required.items():
        bodies = [json.loads(body) for path, body in calls if re.fullmatch(route_pattern(route), path)]
        assert bodies, route
        assert all(fields <= set(body) for body in bodies), (route, fields, bodies)
