"""The spec core: every fact the project reads from `openapi.yaml`, read here and nowhere else.

Loading (strict YAML), JSON pointers and `$ref`s and where each is written (line and column),
the operation walk, one view of each operation and the client module it becomes, the project's
`x-` extensions, the largest answer the spec allows, and where the spec and the token are found.
Every other package of the project (the client's generator, the suite, the reference gateway,
lint and compat) depends on this one; it imports none of them (`console.py` imports a command's
module by the name the command gives, when it runs).
"""

from .answers import largest_answer_bytes
from .client_names import client_module, client_modules, python_identifier
from .errors import SpecError
from .extensions import INVALID_STATUS_KEY, UPSCALE_FACTOR_KEY, invalid_status
from .loading import MAX_ALIASES, load_spec, parse_spec, read_spec_text, yaml_problem
from .location import (
    DEFAULT_SPEC_PATH,
    SPEC_ENV,
    TOKEN_ENV,
    bundled_spec_path,
    display_name,
    spec_path,
)
from .operations import (
    MODEL_FIELD,
    OUTPUT_KINDS,
    Operation,
    OutputKind,
    Pipeline,
    operations,
    output_kind,
    served_operations,
)
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
from .positions import Position, SourceMap, spec_source_map
from .sources import (
    CONSTRAINT_KEYWORDS,
    DOCS_SITE,
    SOURCE_KEY,
    SOURCE_KINDS,
    Citation,
    Source,
    SourceKind,
    citations,
    constraint_sources,
    parse_source,
    unsourced_constraints,
)
from .walk import (
    COMPONENT_KINDS,
    HTTP_METHODS,
    iter_operations,
    operation,
    operations_reaching,
    request_body,
    response_schema,
)

__all__ = [
    "CONSTRAINT_KEYWORDS",
    "DOCS_SITE",
    "SOURCE_KEY",
    "SOURCE_KINDS",
    "Citation",
    "Source",
    "SourceKind",
    "citations",
    "constraint_sources",
    "parse_source",
    "unsourced_constraints",
    "DEFAULT_SPEC_PATH",
    "COMPONENT_KINDS",
    "HTTP_METHODS",
    "INVALID_STATUS_KEY",
    "MAX_ALIASES",
    "MODEL_FIELD",
    "OUTPUT_KINDS",
    "Operation",
    "OutputKind",
    "Pipeline",
    "SPEC_ENV",
    "TOKEN_ENV",
    "UPSCALE_FACTOR_KEY",
    "SpecError",
    "Position",
    "SourceMap",
    "bundled_spec_path",
    "client_module",
    "client_modules",
    "display_name",
    "escape_token",
    "inline_refs",
    "invalid_status",
    "largest_answer_bytes",
    "iter_operations",
    "load_spec",
    "operation",
    "operations",
    "operations_reaching",
    "output_kind",
    "parse_spec",
    "pointer",
    "pointer_tokens",
    "python_identifier",
    "reachable_refs",
    "read_spec_text",
    "refs_in",
    "request_body",
    "resolve_pointer",
    "response_schema",
    "served_operations",
    "spec_path",
    "spec_source_map",
    "unescape_token",
    "yaml_problem",
]
