"""``python -m fuzz --target criteria|records --minutes N --seed S``"""

import argparse
import json

from .run import fuzz

parser = argparse.ArgumentParser(prog="python -m fuzz")
parser.add_argument("--target", choices=("criteria", "records"), required=True)
parser.add_argument("--minutes", type=float, default=1.0)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
print(json.dumps(fuzz(args.target, args.minutes * 60, args.seed), indent=2))
