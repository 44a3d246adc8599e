"""Run every benchmark section, print it, and write docs/benchmarks.md; never fails the build."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from livepeer_gateway_spec.cli import OneLineParser

from livepeer_gateway_bench.common import Section, machine_description

#: Section modules of a default run, in report order; each exposes `run() -> Section`.
SECTIONS = ("client_cost", "regeneration", "gateway_load", "conformance_cost")
#: Longer studies, run only when named with `--only`.
STUDIES = ("detection_budget",)

REPORT = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="make bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS + STUDIES,
        help="run only these sections (the longer studies run only when named)",
    )
    parser.add_argument("--output", type=Path, default=REPORT, help="Markdown report path")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    sections: list[Section] = []
    for name in args.only or SECTIONS:
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"livepeer_gateway_bench.{name}")
            section = module.run()
        except Exception as exc:  # a broken benchmark reports, it never fails the build
            section = Section(name, f"Not measured: {type(exc).__name__}: {exc}\n")
        print(section.markdown, flush=True)
        sections.append(section)

    elapsed = time.perf_counter() - started
    body = "\n".join(f"## {s.title}\n\n{s.markdown}" for s in sections)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        "# Benchmarks\n\nWritten by `make bench`. Machine: "
        f"{machine_description()}. Total time {elapsed:.0f} s.\n\n{body}",
        encoding="utf-8",
    )
    print(f"wrote {args.output} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
