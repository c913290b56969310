"""Session fixtures: a real Azurite on free loopback ports, and an intake service per test.

Each test gets its own organisation code, so blobs and table partitions never collide.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import settings as hypothesis_settings

from devtools.devservices import Azurite
from shared import config, wiring
from shared.config import OrganisationsDocument, Settings


@pytest.fixture(scope="session")
def azurite(tmp_path_factory) -> Iterator[Azurite]:
    with Azurite(tmp_path_factory.mktemp("azurite")) as running:
        yield running


@pytest.fixture
def org_code() -> str:
    """A fresh organisation code per test: letters only, since a run of digits such as 1985 is
    masked (a possible birth year) wherever a folder name is shown."""
    return "t" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


def organisations_for(code: str, **overrides) -> OrganisationsDocument:
    org = {
        "code": code, "name": "Testgemeente", "aansluitcode": "TST-1",
        "contact": {"naam": "Team Test", "telefoon": "14 0999", "email": "test@voorbeeld.nl"},
        **overrides,
    }
    return OrganisationsDocument.model_validate({"organisations": [org]})


@pytest.fixture
def settings(azurite, monkeypatch, tmp_path) -> Settings:
    monkeypatch.setenv("VISH_STORAGE_CONNECTION_STRING", azurite.connection_string)
    monkeypatch.setenv("VISH_WORK_DIR", str(tmp_path))
    # A delivery queue of this test's own: Azurite is shared by the whole session.
    monkeypatch.setenv("VISH_DELIVERY_QUEUE", "q" + uuid.uuid4().hex[:20])
    config.get_settings.cache_clear()
    wiring.intake.cache_clear()
    yield config.get_settings()
    config.get_settings.cache_clear()
    wiring.intake.cache_clear()


@pytest.fixture
def intake(settings, org_code, monkeypatch):
    """The real intake service on Azurite, configured with this test's organisation."""
    monkeypatch.setenv("VISH_ORGANISATIONS_JSON", organisations_for(org_code).model_dump_json())
    config.get_settings.cache_clear()
    service = wiring.intake()
    return service


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def fixed_now():
    return FixedClock(datetime(2026, 11, 28, 9, 30, tzinfo=UTC))


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("azure").setLevel(logging.DEBUG)
    yield caplog


# -- CI: a test that did not run is not a pass -------------------------------------------------
# On the CI machine every test can run (./run setup installs sshd; Linux has /proc), so there a
# skipped or xfailed test is a failure of the run, named in the summary. Locally a skip stays a
# skip. CI counts as set when it is non-empty and not 0/false/no/off (as ./run reads it).
NOT_RUN = ("skipped", "xfailed", "xpassed")


def ci_is_set(environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


# Property tests: in CI a fixed sequence of examples, so that a failure reproduces anywhere.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if ci_is_set():
    hypothesis_settings.load_profile("ci")


def tests_not_run(stats: dict) -> list[str]:
    """'nodeid (kind: reason)' for each skipped, xfailed or xpassed report in the terminal
    reporter's ``stats``."""
    found = []
    for kind in NOT_RUN:
        for report in stats.get(kind, []):
            reason = getattr(report, "wasxfail", "") or ""
            if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
                reason = report.longrepr[2]
            reason = reason.removeprefix("Skipped: ")
            found.append(f"{report.nodeid or report.fspath} ({kind}{': ' + reason if reason else ''})")
    return found


def _not_run_in_ci(config) -> list[str]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not ci_is_set():
        return []
    return tests_not_run(reporter.stats)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _not_run_in_ci(session.config) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    not_run = _not_run_in_ci(config)
    if not_run:
        terminalreporter.section("CI: tests that did not run", sep="=", red=True, bold=True)
        terminalreporter.line(f"CI is set: {len(not_run)} skipped/xfailed test(s) fail the run: "
                              + "; ".join(not_run), red=True)


# -- Mutation testing (./run mutate): the quickest tests first ---------------------------------
# mutmut runs a mutant's tests with -x in the order it lists them; with the quickest first, a
# mutant that a quick test kills costs that test, not the slow properties (mutmut's own
# durations, from the stats run, in mutants/mutmut-stats.json).
def pytest_collection_modifyitems(session, config, items):
    if not os.environ.get("MUTANT_UNDER_TEST") or not os.path.exists("mutmut-stats.json"):
        return
    import json

    with open("mutmut-stats.json") as stats:
        duration = json.load(stats).get("duration_by_test", {})
    items.sort(key=lambda item: duration.get(item.nodeid, 0.0))
    # A surviving mutant runs every test: property tests draw a fifth of their examples here
    # (still derandomized), or a run over the validation takes hours on two cores.
    for item in items:
        test = getattr(item, "obj", None)
        drawn = getattr(test, "_hypothesis_internal_use_settings", None)
        if drawn is not None and drawn.max_examples > 50:
            test._hypothesis_internal_use_settings = hypothesis_settings(
                drawn, max_examples=max(50, drawn.max_examples // 5))
