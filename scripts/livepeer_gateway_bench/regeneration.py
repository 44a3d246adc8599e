"""Wall time of `make generate` and `make check-generated`, each run as a maintainer runs it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from livepeer_gateway_bench.common import Section, Spread

RUNS = 5


def time_command(arguments: list[str]) -> float:
    """Seconds one `python -m ...` run takes, interpreter start-up included; it must succeed."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", *arguments], check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def run() -> Section:
    """Median (min–max) of RUNS regenerations into a temporary folder and RUNS drift checks."""
    generate_times, check_times = [], []
    with tempfile.TemporaryDirectory(prefix="livepeer-bench-generate-") as workdir:
        for index in range(RUNS):
            output = Path(workdir) / str(index) / "generated"
            generate_times.append(
                time_command(["livepeer_gateway_tools.generate", "--output", str(output)])
            )
            check_times.append(time_command(["livepeer_gateway_tools.check_generated"]))
    markdown = (
        f"Median (min–max) of {RUNS} runs, each a fresh interpreter as `make` starts it: "
        "openapi-python-client with the project's templates, then the pinned ruff.\n\n"
        "| command | wall time |\n| --- | --- |\n"
        f"| `python -m livepeer_gateway_tools.generate` (into a temporary folder) "
        f"| {Spread.of(generate_times).fmt(' s')} |\n"
        f"| `python -m livepeer_gateway_tools.check_generated` "
        f"| {Spread.of(check_times).fmt(' s')} |\n"
    )
    return Section("Regeneration and drift check", markdown)


if __name__ == "__main__":
    print(run().markdown)
