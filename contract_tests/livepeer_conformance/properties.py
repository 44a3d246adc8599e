"""The semantic properties: what the spec and the reference pages say a gateway's answers mean.

Each property is one small function registered in `PROPERTIES` with the source of the rule it
enforces; it looks at one `Exchange` and returns None when the property holds, or a one-line
reason when it does not. Which operations a property applies to is read from the spec core's
view of the operation (the fields a request has, its file parts, its `x-upscale-factor`), never
from a list of paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import SOURCE_KINDS, Operation, Source
from PIL import Image, ImageChops

from livepeer_conformance.config import Profile, profile_includes
from livepeer_conformance.exchanges import Exchange
from livepeer_conformance.sources import (
    DECLARED,
    PAGE_T2I,
    PAGE_UPSCALE,
    PAGE_UPSCALE_PIPELINE,
)

#: What a property says of one exchange: None when it holds, else why it does not.
Objection = str | None
Check = Callable[[Exchange, dict[str, Any]], Objection]
Applies = Callable[[Exchange], bool]
#: Whether a property can apply to an operation of the spec.
AppliesTo = Callable[[Operation], bool]


@dataclass(frozen=True)
class SemanticProperty:
    """A registered property: its check, when it applies, the least profile that runs it, and
    the source of the rule it enforces (which decides whether breaking it fails a gateway)."""

    name: str
    title: str
    check: Check
    applies: Applies
    profile: Profile
    applies_to: AppliesTo
    source: Source


#: The property whose rule is the declared body of an error status.
DECLARED_BODY = "error_statuses_have_declared_body"
#: Every property, by name, in registration order.
PROPERTIES: dict[str, SemanticProperty] = {}


def _every_operation(operation: Operation) -> bool:
    return True


def semantic_property(
    applies: Applies,
    *,
    source: Source,
    profile: Profile = "livepeer",
    applies_to: AppliesTo = _every_operation,
) -> Callable[[Check], Check]:
    """Register the decorated function as a property named after it, titled by its docstring,
    with the source of the rule it enforces."""

    def register(check: Check) -> Check:
        if not isinstance(source, Source) or source.kind not in SOURCE_KINDS or not source.text:
            raise TypeError(f"property {check.__name__} needs a Source with a kind and a text")
        title = " ".join((check.__doc__ or check.__name__).split())
        PROPERTIES[check.__name__] = SemanticProperty(
            check.__name__, title, check, applies, profile, applies_to, source
        )
        return check

    return register


def _asks_for(*names: str) -> AppliesTo:
    return lambda operation: all(name in operation.properties for name in names)


def _generates_batches(operation: Operation) -> bool:
    count = operation.properties.get("num_images_per_prompt")
    return count is not None and "seed" in operation.properties and count.get("maximum", 2) > 1


def _sized_text_request(operation: Operation) -> bool:
    return operation.sized_output and operation.pipeline == "text-to-image"


def _reshapes_upload(operation: Operation) -> bool:
    return operation.pipeline == "image-to-image"


def _upscales(operation: Operation) -> bool:
    return operation.pipeline == "upscale"


def applicable_properties(
    profile: Profile, document: dict[str, Any], path: str
) -> list[SemanticProperty]:
    """The properties a run of `profile` holds the operation at `path` to."""
    operation = spec.served_operations(document)[path]
    return [
        p
        for p in PROPERTIES.values()
        if profile_includes(profile, p.profile) and p.applies_to(operation)
    ]


def _succeeded(exchange: Exchange) -> bool:
    return bool(exchange.media)


def _images(exchange: Exchange) -> list[Image.Image]:
    return [image for image in exchange.decoded() if isinstance(image, Image.Image)]


def _default(exchange: Exchange, name: str) -> Any:
    return exchange.operation.properties.get(name, {}).get("default")


@semantic_property(
    _succeeded,
    source=Source("documented", f"{PAGE_T2I}: Number of images to generate per prompt."),
    applies_to=_asks_for("num_images_per_prompt"),
)
def images_count_matches_request(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """A success returns as many images as `num_images_per_prompt` asks ("Number of images to
    generate per prompt", openapi.yaml TextToImageParams.num_images_per_prompt)."""
    wanted = exchange.params.get(
        "num_images_per_prompt", _default(exchange, "num_images_per_prompt")
    )
    got = len(exchange.media)
    return None if got == wanted else f"asked for {wanted} image(s), got {got}"


def _has_seeds(exchange: Exchange) -> bool:
    # Media without an integer seed break the response schema: response_schema_conformance's job.
    seeds = exchange.seeds()
    return bool(seeds) and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)


@semantic_property(
    lambda e: _has_seeds(e) and "seed" in e.params,
    source=Source(
        "documented",
        f"{PAGE_T2I}: Seed for random number generation.",
    ),
    applies_to=_asks_for("seed"),
)
def seeds_follow_request_seed(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """With a request seed, image i carries seed + i ("The i-th returned image has seed `seed +
    i`", openapi.yaml Seed)."""
    base = exchange.params["seed"]
    expected = [base + i for i in range(len(exchange.media))]
    got = exchange.seeds()
    return None if got == expected else f"request seed {base}: expected seeds {expected}, got {got}"


@semantic_property(
    lambda e: len(e.media) > 1 and _has_seeds(e) and "seed" not in e.params,
    source=Source("recommended", "openapi.yaml Media.seed: the seed used to generate the media"),
    applies_to=_generates_batches,
)
def seeds_distinct_without_seed(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """Without a request seed, the images of a batch carry distinct seeds ("The seed used to
    generate the media", openapi.yaml Media.seed)."""
    got = exchange.seeds()
    return (
        None if len(set(map(repr, got))) == len(got) else f"no request seed, repeated seeds {got}"
    )


@semantic_property(
    _succeeded,
    source=Source("documented", f"{PAGE_T2I}: The generated images."),
)
def urls_fetch_and_decode(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """Every `url` is an http(s) or `data:` URL that fetches and decodes as an image ("The URL
    where the media can be accessed", openapi.yaml Media.url)."""
    failures = [
        f"image {i}: {item}"
        for i, item in enumerate(exchange.decoded())
        if not isinstance(item, Image.Image)
    ]
    return "; ".join(failures) or None


#: Diffusion pipelines work on a latent one eighth of the image's size and round each side to
#: a multiple of this: a side so rounded (down or up) is the requested one, said in each reason.
LATENT_ROUNDING = 8


def _rounded(side: int) -> set[int]:
    """`side` and its nearest multiples of `LATENT_ROUNDING` below and above."""
    down = side - side % LATENT_ROUNDING
    return {side, down, down + LATENT_ROUNDING if side % LATENT_ROUNDING else side}


def _accepted_sizes(width: int, height: int, factor: int = 1) -> set[tuple[int, int]]:
    """The sizes a pipeline may return for `width` x `height`: exact, or each side rounded."""
    return {(w * factor, h * factor) for w in _rounded(width) for h in _rounded(height)}


def _size_verdict(
    expected: tuple[int, int], images: list[Image.Image], what: str, factor: int = 1
) -> Objection:
    accepted = _accepted_sizes(*expected, factor)
    wrong = [image.size for image in images if image.size not in accepted]
    if not wrong:
        return None
    exact = (expected[0] * factor, expected[1] * factor)
    return (
        f"{what} {_sizes([expected])}: expected {_sizes([exact])} (or each side rounded to a"
        f" multiple of {LATENT_ROUNDING}{' first' if factor > 1 else ''}), got {_sizes(wrong)}"
    )


@semantic_property(
    _succeeded,
    source=Source("documented", f"{PAGE_T2I}: The width in pixels of the generated image."),
    applies_to=_sized_text_request,
)
def text_to_image_has_requested_size(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """text-to-image images have the requested width and height, each side possibly rounded to
    a multiple of 8 as diffusion pipelines do ("The width in pixels of the generated image",
    openapi.yaml)."""
    width = exchange.params.get("width", _default(exchange, "width"))
    height = exchange.params.get("height", _default(exchange, "height"))
    return _size_verdict((width, height), _images(exchange), "asked for")


@semantic_property(
    _succeeded,
    source=Source(
        "recommended", "openapi.yaml ImageToImageParams.image: the output keeps the input's size"
    ),
    applies_to=_reshapes_upload,
)
def image_to_image_keeps_input_size(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """image-to-image images keep the input's size, each side possibly rounded to a multiple
    of 8 as diffusion pipelines do ("The returned images have its width and height",
    openapi.yaml)."""
    expected = exchange.input_size()
    return _size_verdict(expected, _images(exchange), "input is") if expected else None


@semantic_property(
    _succeeded,
    source=Source(
        "documented",
        f"{PAGE_UPSCALE_PIPELINE}: it enhances the resolution of input images by a factor of 4.;"
        f" {PAGE_UPSCALE}: Upscale an image by increasing its resolution.",
    ),
    applies_to=_upscales,
)
def upscale_is_four_times_input(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """upscale returns the input enlarged by the spec's `x-upscale-factor`, the input's sides
    possibly rounded to a multiple of 8 first ("The returned image is four times its width
    and height", openapi.yaml)."""
    size = exchange.input_size()
    factor = exchange.operation.upscale_factor
    if size is None or factor is None:
        return None
    return _size_verdict(size, _images(exchange), "input", factor)


@semantic_property(lambda e: e.status != 200, source=Source("protocol", DECLARED))
def error_statuses_have_declared_body(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """A declared error status carries its declared body ("400, 401, 413, 500 and 503 carry
    `HTTPError`; 422 carries `HTTPValidationError`", openapi.yaml)."""
    schema = spec.response_schema(document, exchange.path, exchange.status)
    if schema is None:
        return None  # an undeclared status is status_code_conformance's finding
    try:
        jsonschema.validate(exchange.body, schema)
    except jsonschema.ValidationError as exc:
        body = _short(exchange.body)
        return f"{exchange.status} body {body} does not match its declared schema: {exc.message}"
    return None


@semantic_property(_succeeded, source=Source("protocol", DECLARED))
def nsfw_is_boolean(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """Every media's `nsfw` is a boolean ("Whether the media was flagged as NSFW by the safety
    check", openapi.yaml Media.nsfw)."""
    values = [m.get("nsfw") if isinstance(m, dict) else None for m in exchange.media]
    wrong = [v for v in values if not isinstance(v, bool)]
    return f"nsfw values {wrong!r} are not booleans" if wrong else None


def _repeated(exchange: Exchange) -> bool:
    """Whether a request with a seed was sent twice and both answers succeeded."""
    repeat = exchange.repeat
    return (
        _has_seeds(exchange)
        and "seed" in exchange.params
        and repeat is not None
        and _succeeded(repeat)
    )


@semantic_property(
    _repeated,
    source=Source("documented", f"{PAGE_T2I}: Seed for random number generation."),
    applies_to=_asks_for("seed"),
)
def same_seed_same_seeds(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """The same request with the same seed returns the same seeds ("Seed for random number
    generation", openapi.yaml Seed)."""
    assert exchange.repeat is not None
    first, second = exchange.seeds(), exchange.repeat.seeds()
    return None if first == second else f"same request twice: seeds {first} then {second}"


@semantic_property(
    _repeated,
    source=Source("recommended", "determinism of pixels: GPUs may differ in the last bits"),
    profile="strict",
    applies_to=_asks_for("seed"),
)
def same_seed_same_pixels(exchange: Exchange, document: dict[str, Any]) -> Objection:
    """The same request with the same seed returns the same pixels ("Seed for random number
    generation", openapi.yaml Seed)."""
    assert exchange.repeat is not None
    first, second = _images(exchange), _images(exchange.repeat)
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a.size != b.size or ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox():
            return f"same request twice: image {index} differs"
    return None


def _sizes(sizes: list[Any]) -> str:
    return ", ".join(f"{w}x{h}" for w, h in sizes)


def _short(body: Any) -> str:
    text = repr(body)
    return text if len(text) <= 80 else text[:77] + "..."
