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
