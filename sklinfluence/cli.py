"""The ``sklinfluence`` command line.

Subcommands:

- ``sklinfluence demo``: explain handwritten digits with a multinomial
  logistic regression and check the estimates against actual refits.
- ``sklinfluence explain TRAIN.csv TEST.csv --target COLUMN``: the most
  helpful and harmful training rows for every test row of a CSV file.
"""

import argparse
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="sklinfluence",
        description="Explain predictions of convex scikit-learn models "
        "through their training data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    from . import _demo

    _demo.add_parser(commands)

    from . import _cli_explain

    _cli_explain.add_parser(commands)
    return parser


def main(argv=None):
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
