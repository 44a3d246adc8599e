"""Every `documented` source quotes a public page by its URL: each quoted sentence is on the page
it names (the stored copies of the reference pages) and mentions the field or the rule it backs."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import livepeer_gateway_spec as spec
import pytest
from livepeer_conformance.config import RunConfig
from livepeer_conformance.plan_edges import probes_for
from livepeer_conformance.properties import PROPERTIES
from livepeer_conformance.sources import CHECK_SOURCES, PAGE_UPSCALE, PAGE_UPSCALE_PIPELINE
from livepeer_gateway_spec import Source

ROOT = Path(__file__).resolve().parents[2]
#: The stored copies of the reference pages, next to the repository (as in CI).
PAGES = Path(os.environ.get("LIVEPEER_REFERENCE_PAGES", ROOT.parent / "shared" / "seeds"))

#: Sentences of public pages without a stored copy of them: the upscale pipeline page is not
#: stored, and the stored upscale reference page leaves out its lead (its `.md` form has it).
UNSTORED = {
    (PAGE_UPSCALE_PIPELINE, "it enhances the resolution of input images by a factor of 4."),
    (PAGE_UPSCALE, "Upscale an image by increasing its resolution."),
}
#: The field or rule each documented property backs.
PROPERTY_SUBJECTS = {
    "images_count_matches_request": "num_images_per_prompt",
    "seeds_follow_request_seed": "seed",
    "urls_fetch_and_decode": "images",
    "text_to_image_has_requested_size": "width",
    "upscale_is_four_times_input": "resolution",
    "same_seed_same_seeds": "seed",
}


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pages() -> dict[str, list[str]]:
    """URL -> the text of each stored copy of that page (the seeds README maps files to URLs)."""
    if not PAGES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{PAGES} is missing: the reference pages are needed in CI")
        pytest.skip(f"no stored reference pages at {PAGES}")
    readme = (PAGES / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\S+\.txt) \| (POST \S+) \|[^|]*\| ([^|]*) \|$", readme, re.M)
    url_of_endpoint = {endpoint: cell for _, endpoint, cell in rows if cell.startswith("https://")}
    found: dict[str, list[str]] = {}
    for name, endpoint, cell in rows:
        url = cell if cell.startswith("https://") else url_of_endpoint[endpoint]
        found.setdefault(url, []).append((PAGES / name).read_text(encoding="utf-8"))
    assert found, f"{PAGES / 'README.md'} maps no file to a URL"
    return found


def documented_sources() -> Iterator[tuple[str, Source, list[str]]]:
    """(where, source, the fields it backs) of every documented source the suite can cite."""
    config = RunConfig(spec_path=spec.spec_path())
    for path, operation in spec.served_operations(spec.load_spec(spec.spec_path())).items():
        for keyword, source in spec.constraint_sources(operation.schema).items():
            fields = list(operation.schema.get("required", [])) if keyword == "required" else []
            yield f"{path} {keyword}", source, fields
        for name, prop in operation.properties.items():
            for keyword, source in spec.constraint_sources(prop).items():
                yield f"{path} {name}.{keyword}", source, [name]
        for probe in probes_for(operation, config):
            if probe.source is not None:
                field = probe.rule.split(".")[0].split(" ")[0]
                yield f"{path} probe {probe.purpose}", probe.source, [field]
    for name, prop in PROPERTIES.items():
        yield name, prop.source, [PROPERTY_SUBJECTS.get(name, "")]
    for name, source in CHECK_SOURCES.items():
        yield name, source, [name]


def _under_heading(page: str, field: str, sentence: str) -> bool:
    """Whether `sentence` is what the page says under the heading of `field` (its name, type
    and flags, then its description)."""
    blocks = page.split("\n\n")
    return any(
        block.splitlines()[0] == field and _flat(sentence) in _flat(block + " " + after)
        for block, after in zip(blocks, [*blocks[1:], ""], strict=True)
        if block.strip()
    )


def _names(text: str, field: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(field)}(?![\w-])", text, re.IGNORECASE) is not None


def test_every_documented_source_quotes_its_page_on_the_field(
    pages: dict[str, list[str]],
) -> None:
    documented = [(w, s, f) for w, s, f in documented_sources() if s.kind == "documented"]
    assert len(documented) >= 10  # the spec's, the properties' and the probes'
    wrong: list[str] = []
    for where, source, fields in documented:
        cited = source.citations
        if not cited:
            wrong.append(f"{where}: cites no page of {spec.DOCS_SITE}: {source.text!r}")
        for citation in cited:
            copies = [_flat(text) for text in pages.get(citation.url, [])]
            # "a; b": fragments of one page, each quoted as the page writes it.
            for fragment in citation.sentence.split("; "):
                unstored = (citation.url, fragment) in UNSTORED
                if not unstored and not any(_flat(fragment) in copy for copy in copies):
                    wrong.append(f"{where}: {fragment!r} is not on {citation.url}")
        for field in fields:
            covered = any(_names(c.sentence, field) for c in cited) or any(
                _under_heading(text, field, c.sentence)
                for c in cited
                for text in pages.get(c.url, [])
            )
            if not covered:
                wrong.append(f"{where}: {source.text!r} does not mention {field!r}")
    assert wrong == []


def test_the_upscale_reference_lead_is_the_operation_description() -> None:
    """The unstored lead of the upscale reference page is what openapi.yaml took from it."""
    upscale = spec.operation(spec.load_spec(spec.spec_path()), "/upscale")
    assert (PAGE_UPSCALE, upscale["description"]) in UNSTORED


def test_a_quote_not_on_its_page_or_off_its_field_is_caught(
    pages: dict[str, list[str]],
) -> None:
    """The checks above can fail: a sentence of another page, and one under another field."""
    t2i = pages[f"{spec.DOCS_SITE}ai/api-reference/text-to-image"]
    assert not any(_flat("Uploaded image to modify with the pipeline.") in _flat(p) for p in t2i)
    height = "The height in pixels of the generated image."
    assert any(_under_heading(p, "height", height) for p in t2i)
    assert not any(_under_heading(p, "width", height) for p in t2i)
