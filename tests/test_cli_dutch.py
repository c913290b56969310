"""``vish`` and ``vish-dev`` are Dutch throughout: argparse's own usage, help and error texts,
every option's help, and the small words (1 melding, lower case after a colon)."""

from __future__ import annotations

import argparse
import ast
import gettext
import inspect
import re

import pytest

from devtools.cli import build_parser as build_dev_parser
from shared.cli import CATALOGUE, PLURALS, DutchArgumentParser, _after_colon, _count, build_parser

ENGLISH = re.compile(r"usage:|options:|positional arguments|show this help|error:|the following "
                     r"arguments|unrecognized|invalid choice|expected one|required|default:|"
                     r"\bargument[s]?\b(?! --)|\bwarning\b", re.IGNORECASE)


def parsers(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every parser of a command line with the words that reach it."""
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*prefix, name))


ALL = [("vish", words, p) for words, p in parsers(build_parser())] + [
    ("vish-dev", words, p) for words, p in parsers(build_dev_parser())]


def test_the_catalogue_covers_every_text_of_this_pythons_argparse():
    tree = ast.parse(inspect.getsource(argparse))
    singles, plurals = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str)]
            if node.func.id == "_" and texts:
                singles.add(texts[0])
            elif node.func.id == "ngettext":
                plurals.add(tuple(texts[:2]))
    assert len(singles) > 30 and singles <= set(CATALOGUE), sorted(singles - set(CATALOGUE))
    assert plurals <= set(PLURALS), sorted(plurals - set(PLURALS))


def test_argparse_gets_its_own_texts_back_after_a_dutch_parser_ran(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["validate"])
    capsys.readouterr()
    assert argparse._ is gettext.gettext and argparse.ngettext is gettext.ngettext
    english = argparse.ArgumentParser(prog="other")
    assert english.format_usage() == "usage: other [-h]\n"
    assert ENGLISH.search(english.format_help())  # what the scan below would catch


@pytest.mark.parametrize(("tool", "words", "parser"), ALL,
                         ids=[" ".join((t, *w)) for t, w, _ in ALL])
def test_every_help_text_is_dutch_and_every_option_has_help(tool, words, parser):
    text = parser.format_help()
    assert text.startswith(f"gebruik: {' '.join((tool, *words))}"), text
    assert "opties:\n  -h, --help" in text and "toon deze hulp en stop" in text
    assert not ENGLISH.search(text), ENGLISH.search(text)
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, (words, action.dest)
        if action.option_strings and action.nargs != 0:
            assert action.metavar and action.metavar.isupper(), (words, action.dest)


@pytest.mark.parametrize(("argv", "message"), [
    ([], "vish: fout: verplicht argument ontbreekt: COMMANDO"),
    (["bouw"], "vish: fout: argument COMMANDO: ongeldige keuze: 'bouw' (kies uit 'validate', "
               "'intake', 'build', 'deliver', 'sftp-check', 'status', 'config')"),
    (["validate"], "vish validate: fout: verplicht argument ontbreekt: BESTAND"),
    (["build", "x.csv"], "vish build: fout: verplichte argumenten ontbreken: --date, --out"),
    (["validate", "x.csv", "--kleur"], "vish validate: fout: onbekend argument: --kleur"),
    (["validate", "x.csv", "--kleur", "--geluid"],
     "vish validate: fout: onbekende argumenten: --kleur --geluid"),
    (["validate", "x.csv", "y.csv"], "vish validate: fout: onbekend argument: y.csv"),
    (["validate", "x.csv", "y.csv", "z.csv"], "vish validate: fout: onbekende argumenten: y.csv z.csv"),
    (["config", "check", "--org", "x"], "vish config check: fout: onbekend argument: --org x"),
    (["config", "check", "--org", "x", "--kleur"],
     "vish config check: fout: onbekende argumenten: --org x --kleur"),
    (["validate", "x.csv", "--limit"], "vish validate: fout: argument --limit: hier hoort één waarde bij"),
    (["validate", "x.csv", "--limit", "veel"],
     "vish validate: fout: argument --limit: geen geheel getal van minstens 0: 'veel'"),
    (["validate", "x.csv", "--json=ja"],
     "vish validate: fout: argument --json: deze optie neemt geen waarde ('ja')"),
    (["deliver", "--re", "x"],
     "vish deliver: fout: optie --re is niet eenduidig: bedoelt u --release, --reason?"),
    (["config"], "vish config: fout: verplicht argument ontbreekt: ACTIE"),
    (["deliver", "--date", "30-02-2026"],
     "vish deliver: fout: argument --date: '30-02-2026' is geen bestaande datum (controleer de dag "
     "en de maand)"),
    (["deliver", "--date", "2026-13-01"],
     "vish deliver: fout: argument --date: '2026-13-01' is geen bestaande datum (controleer de dag "
     "en de maand)"),
    (["deliver", "--date", "28-11-1850"],
     "vish deliver: fout: argument --date: '28-11-1850': het jaar moet tussen 1900 en 2199 liggen"),
    (["deliver", "--date", "28 november"],
     "vish deliver: fout: argument --date: geen geldige datum: '28 november' (gebruik dag-maand-jaar, "
     "zoals 28-11-2026; 2026-11-28 mag ook)"),
])
def test_usage_errors_are_dutch(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.startswith("gebruik: vish") and err.endswith(message + "\n"), err
    # the usage shown is the one of the command the mistake was made in
    assert err.startswith("gebruik: " + message.split(": fout")[0] + " "), err


@pytest.mark.parametrize("argv", [["--debug", "status"], ["status", "--debug"],
                                  ["--debug", "config", "check"], ["config", "check", "--debug"]])
def test_debug_is_accepted_before_and_after_the_command(argv):
    assert build_parser().parse_args(argv).debug is True


@pytest.mark.parametrize("argv", [["status"], ["config", "check"], ["validate", "x.csv"]])
def test_without_debug_it_is_off(argv):
    assert build_parser().parse_args(argv).debug is False


def helps(words: tuple[str, ...]) -> dict[str, str]:
    parser = dict(parsers(build_parser()))[words]
    return {o: a.help for a in parser._actions for o in a.option_strings}


def test_status_says_that_without_org_it_shows_every_organisation():
    assert helps(("status",))["--org"] == ("alleen deze organisatie, met haar geschiedenis "
                                           "(standaard: alle organisaties)")
    assert helps(("validate",))["--org"] == ("organisatiecode (standaard: de enige ingestelde "
                                             "organisatie)")


def test_every_date_option_names_both_forms():
    assert helps(("validate",))["--date"] == ("peildatum voor aanmeldbaarheid, dd-mm-jjjj of "
                                              "JJJJ-MM-DD (standaard vandaag)")
    assert helps(("build",))["--date"] == "leverdatum, dd-mm-jjjj of JJJJ-MM-DD"
    assert helps(("deliver",))["--date"] == "leverdag, dd-mm-jjjj of JJJJ-MM-DD (standaard vandaag)"
    assert helps(("intake",))["--date"] == helps(("validate",))["--date"]


@pytest.mark.parametrize("value", ["28-11-2026", "28/11/2026", "2026-11-28"])
def test_a_date_is_accepted_as_dag_maand_jaar_and_as_iso(value):
    args = build_parser().parse_args(["deliver", "--date", value])
    assert args.date.isoformat() == "2026-11-28"


def test_vish_dev_usage_errors_are_dutch(capsys):
    with pytest.raises(SystemExit):
        build_dev_parser().parse_args(["sample", "x.csv", "--error-rate", "1,5"])
    assert capsys.readouterr().err.endswith(
        "vish-dev sample: fout: argument --error-rate: geen getal tussen 0 en 1: '1,5'\n")
    assert build_dev_parser().parse_args(["sample", "x.csv", "--error-rate", "0,1"]).error_rate == 0.1


def test_a_new_parser_of_the_class_speaks_dutch_too(capsys):
    parser = DutchArgumentParser(prog="proef")
    parser.add_argument("--aantal", type=int, choices=[1, 2], help="een aantal")
    with pytest.raises(SystemExit):
        parser.parse_args(["--aantal", "drie"])
    assert capsys.readouterr().err == ("gebruik: proef [-h] [--aantal {1,2}]\n"
                                       "proef: fout: argument --aantal: ongeldige waarde: 'drie' "
                                       "(verwacht: int)\n")


def test_counts_and_sentences_after_a_colon():
    assert (_count(1, "melding", "meldingen"), _count(2, "melding", "meldingen")) == (
        "1 melding", "2 meldingen")
    assert _count(0, "persoon", "personen") == "0 personen"
    assert _after_colon("Te veel regels zijn ongeldig") == "te veel regels zijn ongeldig"
    assert _after_colon("BSN ontbreekt") == "BSN ontbreekt"
    assert _after_colon("SNG-bestand gemaakt") == "SNG-bestand gemaakt"
    assert _after_colon("A") == "a" and _after_colon("") == ""
