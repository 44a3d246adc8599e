"""What a generated request holds so that a real gateway can serve it.

Random text is a valid `model_id` for the schema but names a model no gateway serves, and
random text is a valid string but not the JSON mapping the reference pages describe for
`loras`. A request the suite sends as valid uses the model the operator pinned, or none (the
pages' default, the empty string), and a `loras` that is a JSON object of weights.
"""

from __future__ import annotations

import json
from typing import Any

from livepeer_gateway_spec import Operation

from livepeer_conformance.config import RunConfig
from livepeer_conformance.planned import pin_model

#: The structured string field the pages describe as a JSON mapping of LoRA ids to weights.
LORAS = "loras"
#: What a `loras` value that is not such a mapping is replaced with: no LoRA at all.
NO_LORAS = "{}"


def is_lora_mapping(text: str) -> bool:
    """Whether `text` is "" (the pages' default) or a JSON object of numeric weights."""
    if text == "":
        return True
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and all(
        isinstance(weight, int | float) and not isinstance(weight, bool)
        for weight in value.values()
    )


def make_realistic(body: dict[str, Any], operation: Operation, config: RunConfig) -> None:
    """Set the model to the pinned one (or drop it) and `loras` to a mapping, where strings.

    Any string is valid for both fields in the schema, so a request whose mutation is
    elsewhere stays exactly as invalid; a value of the wrong type, itself the mutation of an
    invalid request, is left alone.
    """
    name = operation.model_field
    if name is not None and (name not in body or isinstance(body[name], str)):
        pin_model(body, operation, config)
    loras = body.get(LORAS)
    if isinstance(loras, str) and not is_lora_mapping(loras):
        body[LORAS] = NO_LORAS
