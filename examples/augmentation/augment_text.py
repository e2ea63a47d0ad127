"""Print augmented variants of one text, offline: synonym swap, random deletion, random swap, paraphrase.

Lab 3. The same --seed prints the same variants. Use it to *look at* what augmentation does to a
post before training on augmented data: a variant that changes the meaning keeps the original label
and teaches the model something false.

Run:
    python examples/augmentation/augment_text.py "Rope Mill is not closed, enjoy the tacky dirt!" --n 5 --seed 1
    python examples/augmentation/augment_text.py "Trails are wet, thanks for staying off." --ops synonym,paraphrase
"""

from __future__ import annotations

import argparse
import random

from coursekit.errors import friendly_errors
from coursekit.lessons.augment import OPERATIONS, augment


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("text", help="the text to augment (quote it)")
    parser.add_argument("--n", type=int, default=5, help="number of variants (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--ops",
        default=",".join(OPERATIONS),
        help=f"comma-separated operations to pick from (default: {','.join(OPERATIONS)})",
    )
    return parser.parse_args(argv)


@friendly_errors
def main(argv=None) -> int:
    """Print each variant on its own line, numbered."""
    args = parse_args(argv)
    operations = [op.strip() for op in args.ops.split(",") if op.strip()]
    variants = augment(args.text, args.n, random.Random(args.seed), operations)
    print(f"original: {args.text}")
    for number, variant in enumerate(variants, start=1):
        print(f"{number}: {variant}")
    if len(variants) < args.n:
        print(f"({len(variants)} distinct variants only: the text is too short for more)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
