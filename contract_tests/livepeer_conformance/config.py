"""The options of one conformance run, and the profiles that decide which checks it runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from livepeer_conformance.bounded import DEFAULT_MAX_RESPONSE_BYTES
from livepeer_conformance.cheap import CHEAP, UNCAPPED, CheapLimits

Profile = Literal["core", "livepeer", "strict"]

#: Profiles, strictest last: what the spec says, plus the runners' semantics, plus determinism.
PROFILES: tuple[Profile, ...] = ("core", "livepeer", "strict")
DEFAULT_PROFILE: Profile = "livepeer"

#: Checks about authentication, dropped for a gateway that is open on purpose (`--auth none`):
#: with no credentials sent, none can be ignored or come back.
AUTH_CHECKS: frozenset[str] = frozenset({"ignored_auth", "token_not_echoed"})

#: Requests a default run may send: enough to cover every check on every operation once,
#: few enough that a run against a paid gateway costs a handful of small images.
DEFAULT_MAX_REQUESTS = 500
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_MAX_EXAMPLES = 5
DEFAULT_REPORT_DIR = Path("reports")


@dataclass(frozen=True)
class RunConfig:
    """Everything a conformance run needs to know, fixed before it starts."""

    spec_path: Path
    base_url: str | None = None
    token: str | None = field(default=None, repr=False)
    profile: Profile = DEFAULT_PROFILE
    max_requests: int = DEFAULT_MAX_REQUESTS
    rate_limit: float | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    seed: int | None = None
    model_ids: Mapping[str, str] = field(default_factory=dict)
    #: Paths of the operations to check; empty means every operation of the spec.
    operations: frozenset[str] = frozenset()
    max_examples: int = DEFAULT_MAX_EXAMPLES
    allow_large: bool = False
    #: Ceilings on the requests the spec and property phases draw or fill in (the defaults,
    #: lifted by `--allow-large`, lowered by `--max-side`, `--max-steps`, `--max-images`).
    limits: CheapLimits = CHEAP
    #: The ceilings the user set (`--max-side`, `--max-steps`, `--max-images`), which also hold
    #: the edge probes a conforming gateway serves: the spec's extremes otherwise.
    user_limits: CheapLimits = UNCAPPED
    report_dir: Path = DEFAULT_REPORT_DIR
    baseline: Path | None = None
    write_baseline: Path | None = None
    faults: frozenset[str] = frozenset()
    #: The gateway is open on purpose (`--auth none`): no credentials, no authentication checks.
    open_gateway: bool = False
    #: Checks left out of the run (`--exclude-check`), by name.
    excluded_checks: frozenset[str] = frozenset()
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    @property
    def runs_properties(self) -> bool:
        """Whether the semantic properties run (every profile but `core`)."""
        return self.profile != "core"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never be written anywhere."""
        return (self.token,) if self.token else ()

    def runs_check(self, name: str) -> bool:
        """Whether the run holds gateways to the check `name` (`--exclude-check`, `--auth none`)."""
        return name not in self.excluded_checks and not (self.open_gateway and name in AUTH_CHECKS)

    def checks_operation(self, path: str) -> bool:
        """Whether the run checks the operation at `path`."""
        return not self.operations or path in self.operations

    def model_id_for(self, path: str) -> str | None:
        """The model id pinned for the operation at `path`, if any."""
        return self.model_ids.get(path)


def profile_includes(profile: Profile, required: Profile) -> bool:
    """Whether `profile` is at least as strict as `required`."""
    return PROFILES.index(profile) >= PROFILES.index(required)
