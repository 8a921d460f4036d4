"""Put a run's results into BENCHMARKS.md: ``python -m bench.publish DIR``.

Copies ``DIR/*.png`` to ``docs/bench/`` and replaces the text between the
``<!-- results:begin -->`` and ``<!-- results:end -->`` markers of
BENCHMARKS.md with the Markdown of ``DIR/results.json`` (the hand-written
reading of the figures lives outside the markers and is kept).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from .report import markdown

__all__ = ["main", "publish"]

BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"
ROOT = Path(__file__).resolve().parent.parent


def publish(results_dir: Path, document: Path, images_dir: Path) -> list[str]:
    """Copy the plots and rewrite the marked section of ``document``.

    Returns:
        What was written, one line each.

    Raises:
        FileNotFoundError: if ``results_dir/results.json`` is missing.
        ValueError: if ``document`` lacks the markers.
    """
    doc = json.loads((results_dir / "results.json").read_text())
    text = document.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{document} has no {BEGIN} ... {END} section")
    images_dir.mkdir(parents=True, exist_ok=True)
    done = []
    images = {}
    for png in sorted(results_dir.glob("*.png")):
        shutil.copyfile(png, images_dir / png.name)
        images[png.stem] = (images_dir / png.name).relative_to(document.parent).as_posix()
        done.append(f"copied {png} -> {images_dir / png.name}")
    body = markdown(doc, level=3, images=images)  # under the "## Full results" heading
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    document.write_text(f"{head}{BEGIN}\n\n{body}\n{END}{tail}")
    done.append(f"rewrote the results section of {document}")
    return done


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m bench.publish DIR [--doc BENCHMARKS.md] [--images docs/bench]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.publish", description=__doc__)
    parser.add_argument("results", type=Path, help="the --output DIR of a run")
    parser.add_argument("--doc", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--images", type=Path, default=ROOT / "docs" / "bench")
    args = parser.parse_args(argv)
    try:
        for line in publish(args.results, args.doc.resolve(), args.images.resolve()):
            print(line)
    except (OSError, ValueError) as exc:
        print(f"python -m bench.publish: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
