"""Where the spec is and which environment variables the project reads: named once, here."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: Environment variable that points every command at another spec file.
SPEC_ENV = "LIVEPEER_OPENAPI"
#: Environment variable holding a gateway's bearer token, for the suite and the gateway alike.
TOKEN_ENV = "LIVEPEER_GATEWAY_TOKEN"


def bundled_spec_path() -> Path:
    """The `openapi.yaml` shipped with this package (in a checkout, the repository's own file)."""
    return Path(str(resources.files(__package__).joinpath("openapi.yaml")))


#: The spec this installation ships; `LIVEPEER_OPENAPI` points elsewhere.
DEFAULT_SPEC_PATH = bundled_spec_path()


def spec_path() -> Path:
    """The spec every command reads by default: `$LIVEPEER_OPENAPI`, else the bundled one."""
    override = os.environ.get(SPEC_ENV)
    return Path(override) if override else DEFAULT_SPEC_PATH


def display_name(path: str | os.PathLike[str]) -> str:
    """How a message names a spec file: relative to the working directory when inside it (the
    bundled spec by the file its link points to, e.g. `openapi.yaml` in a checkout), else as given.
    """
    given = Path(path)
    try:
        return given.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (OSError, ValueError):
        return str(given.resolve() if given == DEFAULT_SPEC_PATH else given)
