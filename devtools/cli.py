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
    print(f"{args.rows} regels geschreven naar {args.out} (fictieve gegevens)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from devtools.demo import run_demo

    return run_demo(Path(args.out), rows=args.rows)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vish-dev",
                                     description="vish-bridge: hulpmiddelen voor ontwikkelaars")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="maak een fictief voorbeeldextract")
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--error-rate", type=float, default=0.02)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("demo", help="de dagelijkse stroom lokaal (Azurite en een SFTP-server)")
    p.add_argument("--out", default="demo-output", help="map voor de uitvoer van de demo")
    p.add_argument("--rows", type=int, default=250)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from shared.cli import run_command

    return run_command(build_parser().parse_args(argv), prog="vish-dev")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
