"""What a generated request holds so that a real gateway can serve it.

Random text is a valid `model_id` for the schema but names a model no gateway serves, and
random text is a valid string but not the JSON mapping the reference pages describe for
`loras`. A request the suite sends as valid uses the model the operator pinned, or none (the
pages' default, the empty string), and a `loras` that is a JSON object of weights.
"""

from __future__ import annotations

import json
from typing import Any

#: The field a gateway reads as "which model"; empty means its default model.
MODEL_ID = "model_id"
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


def make_realistic(body: dict[str, Any], pinned_model: str | None) -> None:
    """Set `model_id` to the pinned model (or drop it) and `loras` to a mapping, where strings.

    Any string is valid for both fields in the schema, so a request whose mutation is
    elsewhere stays exactly as invalid; a value of the wrong type, itself the mutation of an
    invalid request, is left alone.
    """
    if MODEL_ID not in body or isinstance(body[MODEL_ID], str):
        if pinned_model is None:
            body.pop(MODEL_ID, None)
        else:
            body[MODEL_ID] = pinned_model
    loras = body.get(LORAS)
    if isinstance(loras, str) and not is_lora_mapping(loras):
        body[LORAS] = NO_LORAS
