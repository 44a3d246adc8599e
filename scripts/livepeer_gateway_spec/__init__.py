"""The spec core: every fact the project reads from `openapi.yaml`, read here and nowhere else.

Loading (strict YAML), JSON pointers and `$ref`s, the operation walk, the project's `x-`
extensions, the cheap-request limits, the largest answer the spec allows, and where the spec
and the token are found. Every other package of the project (the client's generator, the suite,
the reference gateway, lint and compat) depends on this one; it depends on none of them.
"""

from .answers import largest_answer_bytes
from .cost import CHEAP, UNCAPPED, CheapLimits
from .errors import SpecError
from .extensions import INVALID_STATUS_KEY, UPSCALE_FACTOR_KEY, invalid_status, upscale_factors
from .loading import MAX_ALIASES, load_spec, parse_spec, yaml_problem
from .location import DEFAULT_SPEC_PATH, SPEC_ENV, TOKEN_ENV, bundled_spec_path, spec_path
from .pointers import (
    escape_token,
    inline_refs,
    pointer,
    pointer_tokens,
    reachable_refs,
    refs_in,
    resolve_pointer,
    unescape_token,
)
from .sources import (
    CONSTRAINT_KEYWORDS,
    SOURCE_KEY,
    SOURCE_KINDS,
    Source,
    SourceKind,
    constraint_sources,
    parse_source,
    unsourced_constraints,
)
from .walk import (
    COMPONENT_KINDS,
    HTTP_METHODS,
    image_operations,
    iter_operations,
    operation,
    request_body,
    response_schema,
)

__all__ = [
    "CONSTRAINT_KEYWORDS",
    "SOURCE_KEY",
    "SOURCE_KINDS",
    "Source",
    "SourceKind",
    "constraint_sources",
    "parse_source",
    "unsourced_constraints",
    "CHEAP",
    "DEFAULT_SPEC_PATH",
    "COMPONENT_KINDS",
    "HTTP_METHODS",
    "INVALID_STATUS_KEY",
    "MAX_ALIASES",
    "SPEC_ENV",
    "TOKEN_ENV",
    "UPSCALE_FACTOR_KEY",
    "CheapLimits",
    "UNCAPPED",
    "SpecError",
    "bundled_spec_path",
    "escape_token",
    "image_operations",
    "inline_refs",
    "invalid_status",
    "largest_answer_bytes",
    "iter_operations",
    "load_spec",
    "operation",
    "parse_spec",
    "pointer",
    "pointer_tokens",
    "reachable_refs",
    "refs_in",
    "request_body",
    "resolve_pointer",
    "response_schema",
    "spec_path",
    "unescape_token",
    "upscale_factors",
    "yaml_problem",
]
