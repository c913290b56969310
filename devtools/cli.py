"""``vish-dev``: the developer's commands next to ``vish``: the local demo and fictitious extracts.

Not part of the operator's ``vish`` (which is deployed and never imports a stand-in). Text for
people is Dutch, like ``vish``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_sample(args: argparse.Namespace) -> int:
    from devtools.sample import write_sample_extract
    from shared.clock import local_today

    write_sample_extract(args.out, args.rows, today=local_today(), seed=args.seed,
                         error_rate=args.error_rate)
    print(f"{args.rows} {'regel' if args.rows == 1 else 'regels'} geschreven naar {args.out} "
          "(fictieve gegevens)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from devtools.demo import run_demo

    return run_demo(Path(args.out), rows=args.rows)


def build_parser() -> argparse.ArgumentParser:
    from shared.cli import DutchArgumentParser, _whole_number

    common = DutchArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="toon ook de technische logregels van de onderdelen (Engels) op stderr")
    parser = DutchArgumentParser(prog="vish-dev",
                                 description="vish-bridge: hulpmiddelen voor ontwikkelaars")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", title="commando's",
                                required=True,
                                help="wat vish-dev doet; meer met 'vish-dev COMMANDO --help'")

    p = sub.add_parser("sample", parents=[common], help="maak een fictief voorbeeldextract",
                       description="Schrijf een extract met fictieve gegevens (geldige test-BSN's, "
                                   "gevarieerde fouten).")
    p.add_argument("out", metavar="BESTAND", help="waar het extract komt (CSV)")
    p.add_argument("--rows", metavar="AANTAL", type=_whole_number(0), default=100,
                   help="aantal regels (standaard 100)")
    p.add_argument("--seed", metavar="GETAL", type=_whole_number(0), default=1,
                   help="startgetal van het toeval: hetzelfde getal geeft hetzelfde bestand "
                        "(standaard 1)")
    p.add_argument("--error-rate", metavar="FRACTIE", type=_fraction, default=0.02,
                   help="deel van de regels met een fout, tussen 0 en 1 (standaard 0,02)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("demo", parents=[common],
                       help="de dagelijkse stroom lokaal (Azurite en een SFTP-server)",
                       description="De dagelijkse stroom op Azurite en een lokale SFTP-server, met "
                                   "de echte functies.")
    p.add_argument("--out", metavar="MAP", default="demo-output",
                   help="map voor de uitvoer van de demo (standaard demo-output)")
    p.add_argument("--rows", metavar="AANTAL", type=_whole_number(1), default=250,
                   help="aantal regels van het voorbeeldextract (standaard 250)")
    p.set_defaults(func=cmd_demo)
    return parser


def _fraction(value: str) -> float:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        number = -1.0
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"geen getal tussen 0 en 1: '{value}'")
    return number


def main(argv: list[str] | None = None) -> int:
    from shared.cli import run_command

    return run_command(build_parser().parse_args(argv), prog="vish-dev")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
