"""The layers of docs/ARCHITECTURE.md, enforced: who may import whom, and each fact defined once."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Each package's folder, as the project's layout places it.
PACKAGES: dict[str, Path] = {
    "livepeer_gateway_spec": ROOT / "scripts" / "livepeer_gateway_spec",
    "livepeer_gateway_client": ROOT / "generated" / "livepeer_gateway_client",
    "livepeer_reference_gateway": ROOT / "contract_tests" / "livepeer_reference_gateway",
    "livepeer_conformance": ROOT / "contract_tests" / "livepeer_conformance",
    "livepeer_gateway_compat": ROOT / "scripts" / "livepeer_gateway_compat",
    "livepeer_gateway_tools": ROOT / "scripts" / "livepeer_gateway_tools",
    "livepeer_gateway_bench": ROOT / "scripts" / "livepeer_gateway_bench",
}

#: What each package may import of the project's others; the bottom layer imports none.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "livepeer_gateway_spec": frozenset(),
    "livepeer_gateway_client": frozenset(),
    "livepeer_reference_gateway": frozenset({"livepeer_gateway_spec"}),
    "livepeer_gateway_compat": frozenset({"livepeer_gateway_spec"}),
    "livepeer_gateway_tools": frozenset({"livepeer_gateway_spec", "livepeer_gateway_compat"}),
    "livepeer_conformance": frozenset(
        {"livepeer_gateway_spec", "livepeer_gateway_client", "livepeer_reference_gateway"}
    ),
    # The benchmarks measure everything side by side: the top of the stack.
    "livepeer_gateway_bench": frozenset(PACKAGES) - {"livepeer_gateway_bench"},
}

#: Packages whose submodules only they themselves import: others go through the package.
SINGLE_ENTRY_POINT = frozenset({"livepeer_reference_gateway"})


def _imports(package: str) -> list[tuple[Path, int, str]]:
    """(file, line, absolute module name) of every import in `package`'s source."""
    found = []
    for path in sorted(PACKAGES[package].rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((path, node.lineno, node.module))
    return found


def test_every_package_folder_exists() -> None:
    missing = [name for name, folder in PACKAGES.items() if not (folder / "__init__.py").is_file()]
    assert not missing


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_imports_only_the_layers_below_it(package: str) -> None:
    """A package imports the project's packages its layer allows, and no other."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path, line, module in _imports(package)
        if (top := module.split(".")[0]) in PACKAGES
        and top != package
        and top not in MAY_IMPORT[package]
    ]
    assert not wrong, "imports across the layers:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_gateway_is_entered_only_through_its_package(package: str) -> None:
    """Only the gateway imports its own submodules; the suite embeds it through one name."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path, line, module in _imports(package)
        if module.split(".")[0] in SINGLE_ENTRY_POINT - {package} and "." in module
    ]
    assert not wrong, "submodule imports:\n" + "\n".join(wrong)


def test_the_allowed_graph_has_no_cycle() -> None:
    """The rules themselves form layers: following MAY_IMPORT never returns to where it began."""

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in MAY_IMPORT[start]
        )

    assert not [p for p in PACKAGES if reaches(p, p)]


def _source_files() -> list[Path]:
    return [path for folder in PACKAGES.values() for path in sorted(folder.rglob("*.py"))]


#: (what, a pattern that defines the fact, the one module allowed to hold it).
ONE_PLACE = [
    ("JSON pointer escaping", re.compile(r"""replace\(\s*["']~[01]["']"""), "pointers.py"),
    ("the HTTP methods", re.compile(r"^\s*HTTP_METHODS\s*=", re.M), "walk.py"),
    (
        "the component kinds",
        re.compile(r"""["']securitySchemes["'],\s*\n?\s*["']links["']"""),
        "walk.py",
    ),
    ("the token variable's name", re.compile(r"""["']LIVEPEER_GATEWAY_TOKEN["']"""), "location.py"),
    ("the spec variable's name", re.compile(r"""["']LIVEPEER_OPENAPI["']"""), "location.py"),
    ("the x-invalid-status key", re.compile(r"""["']x-invalid-status["']"""), "extensions.py"),
    ("the x-upscale-factor key", re.compile(r"""["']x-upscale-factor["']"""), "extensions.py"),
    ("the x-source key", re.compile(r"""["']x-source["']"""), "sources.py"),
    ("GitHub annotation escaping", re.compile(r"%0A"), "cli.py"),
    ("YAML start marks of nodes", re.compile(r"yaml\.compose\("), "positions.py"),
    ("the generator's naming", re.compile(r"""["']field_["']"""), "client_names.py"),
]


@pytest.mark.parametrize(("fact", "pattern", "home"), ONE_PLACE, ids=[f[0] for f in ONE_PLACE])
def test_fact_is_defined_in_one_place(fact: str, pattern: re.Pattern[str], home: str) -> None:
    """The spec core defines it; a second copy anywhere in the packages fails."""
    holders = [
        str(path.relative_to(ROOT))
        for path in _source_files()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert holders == [f"scripts/livepeer_gateway_spec/{home}"], f"{fact} defined in {holders}"


#: The suite's phases and their modules (a planner, and a sender where the phase has its own).
PHASES = {
    "edge probes": {"livepeer_conformance.plan_edges", "livepeer_conformance.edge_families"},
    "properties": {"livepeer_conformance.plan_properties", "livepeer_conformance.property_phase"},
    "spec checks": {"livepeer_conformance.spec_checks"},
}


@pytest.mark.parametrize("phase", sorted(PHASES))
def test_no_phase_imports_another(phase: str) -> None:
    """Phases meet only in the plan, the engine and the runner."""
    others = set().union(*(modules for name, modules in PHASES.items() if name != phase))
    for module in PHASES[phase]:
        path = PACKAGES["livepeer_conformance"] / (module.rsplit(".", 1)[1] + ".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert imported & others == set(), module


#: (what, a pattern that does the job, the one suite module allowed to): one path for one job.
ONE_PATH = [
    ("building a curl reproducer", re.compile(r"""["']curl["'],\s*["']-sS["']"""), "evidence.py"),
    ("searching an answer for a token", re.compile(r"(?<!def )\bfind_echo\("), "judge.py"),
    ("pinning the model", re.compile(r"\.model_id_for\("), "planned.py"),
    ("building a request from a plan", re.compile(r"\.build_request\("), "planned.py"),
    ("naming an operation", re.compile(r"""f["'](POST|\{method\.upper\(\)\}) \{"""), "NONE"),
]


@pytest.mark.parametrize(("job", "pattern", "home"), ONE_PATH, ids=[j[0] for j in ONE_PATH])
def test_suite_does_each_job_in_one_place(job: str, pattern: re.Pattern[str], home: str) -> None:
    """The suite has one reproducer, one echo search, one model pin and one request builder;
    an operation's label comes from the spec core's `Operation.label`."""
    doers = [
        path.name
        for path in sorted(PACKAGES["livepeer_conformance"].glob("*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert doers == ([] if home == "NONE" else [home]), f"{job} in {doers}"


def _modules() -> list[str]:
    names = []
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            names.append(".".join((package, *parts)).removesuffix(".__init__"))
    return names


@pytest.mark.parametrize("module", _modules())
def test_every_module_imports(module: str) -> None:
    """A module that no test happens to import still has to import (a moved name breaks here)."""
    importlib.import_module(module)
