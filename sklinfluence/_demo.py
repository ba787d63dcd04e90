"""``sklinfluence demo``: influence on scikit-learn's handwritten digits."""


def add_parser(commands):
    parser = commands.add_parser("demo", help="explain handwritten digits")
    parser.set_defaults(run=run)
    return parser


def run(args):
    raise NotImplementedError
