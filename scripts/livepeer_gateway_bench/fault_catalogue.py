"""The fault catalogue under the suite and under plain schemathesis: a longer study (a few minutes).

Not in a default `make bench`, which must stay within five minutes on two cores; run it with
`make bench ARGS='--only fault_catalogue'`.
"""

from __future__ import annotations

from livepeer_gateway_bench.common import Section
from livepeer_gateway_bench.conformance_cost import run_catalogue


def run() -> Section:
    return run_catalogue()
