"""`make release-notes` and `make release-check`: what changed for the client's users since OLD.

The entry is written from the compat findings between OLD (the last release: a git ref or a
file) and NEW, grouped as breaking, behaviour and compatible changes, each named by the client
functions it reaches. The client's version is the spec's `info.version`, so `--check` fails
(exit 1) when the changes break clients or requests but `info.version`'s major part was not
raised; exit 2 for bad input. An entry for a version the changelog already has is refused (exit
2) unless `--replace`: a published release's notes are not rewritten by accident. Changes to
annotations only (`x-source`, documentation) are counted on one line, not listed.
"""

from __future__ import annotations

import datetime
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livepeer_gateway_compat import (
    WHERE,
    Comparison,
    CompatError,
    Finding,
    Severity,
    compare_versions,
    load_version,
)
from livepeer_gateway_spec import client_modules

from livepeer_gateway_tools import cli
from livepeer_gateway_tools.errors import BadInput, VersionNotRaised

#: The distribution whose version follows `info.version` (generated/pyproject.toml).
CLIENT_DISTRIBUTION = "livepeer-gateway-client"
CHANGELOG_TITLE = "# Changelog\n"

#: Section title and what it means for someone who calls the client, in report order.
SECTIONS: tuple[tuple[str, frozenset[Severity], str], ...] = (
    (
        "Breaking changes",
        frozenset({Severity.BREAKING_CLIENT, Severity.BREAKING_GATEWAY}),
        "Code that works with the previous version can fail with this one: a response it reads "
        "changed, or a request it sends can now be refused. Check each item before upgrading.",
    ),
    (
        "Behaviour changes",
        frozenset({Severity.BEHAVIOUR}),
        "Nothing stops working, but what a gateway may answer or what a field means changed. "
        "Review these.",
    ),
    (
        "Compatible changes",
        frozenset({Severity.COMPATIBLE}),
        "Nothing to change in your code.",
    ),
)

#: The media type at the end of a compat finding's `where` (`... 200 response application/json`).
_MEDIA_TYPE = re.compile(r"\s*\b[\w.+-]+/[\w.+*-]+$")
#: A field path as the compat checker writes it at the head of a reason (`images[].seed`).
_FIELD_PATH = re.compile(r"[A-Za-z_][\w-]*(?:\[\])?(?:\.[A-Za-z_][\w-]*(?:\[\])?)*")


@dataclass(frozen=True)
class Release:
    """The comparison between the last release and now, with both versions."""

    comparison: Comparison
    old_version: str
    new_version: str
    functions: dict[tuple[str, str], str]

    @property
    def major_raised(self) -> bool:
        return major(self.new_version) > major(self.old_version)


def major(version: str) -> int:
    """The major part of a `MAJOR.MINOR.PATCH` version; `BadInput` when there is none."""
    match = re.match(r"^\s*v?(\d+)(?:\.\d+)*", version)
    if match is None:
        raise BadInput(f"info.version {version!r} does not start with a major number")
    return int(match.group(1))


def _version(document: dict[str, Any], label: str) -> str:
    info = document.get("info")
    version = info.get("version") if isinstance(info, dict) else None
    if not isinstance(version, str) or not version.strip():
        raise BadInput(f"{label} has no info.version")
    return version.strip()


def client_functions(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the client module that calls it (`text_to_image`)."""
    return {key: module.rsplit(".", 1)[-1] for key, module in client_modules(document).items()}


def load_release(old: str, new: str) -> Release:
    """Compare the spec at `old` (a git ref, `REF:path` or a file) with the one at `new`."""
    try:
        before, after = load_version(old), load_version(new)
    except CompatError as error:  # a git ref or file that names no spec: bad input
        raise BadInput(str(error)) from None
    comparison = compare_versions(before, after)
    functions = client_functions(before.document) | client_functions(after.document)
    versions = _version(before.document, before.label), _version(after.document, after.label)
    for version in versions:
        major(version)  # refuse a version without a major part before writing anything
    return Release(comparison, *versions, functions)


def _part(rest: str, finding: Finding) -> str:
    """Where in a message a finding is: its status, and the field a client reads, if named.

    The compat checker names the message (status and media type) in `where` and the field, as a
    client sees it, at the head of its reason.
    """
    message = _MEDIA_TYPE.sub("", rest).strip()
    head = finding.reason.split(": ", 1)[0]
    if not _FIELD_PATH.fullmatch(head):
        return message
    return f"{message}, `{head}`" if message else f"`{head}`"


def _places(finding: Finding, functions: dict[tuple[str, str], str]) -> str:
    """Where a finding reaches, in the client's terms: functions, then what in their messages."""
    by_part: dict[str, list[str]] = {}
    for where in finding.where:
        match = WHERE.match(where)
        function = match and functions.get((match["method"], match["path"]))
        if function:
            part = _part(match["rest"] or "", finding)
            by_part.setdefault(part, [])
            if function not in by_part[part]:
                by_part[part].append(function)
        else:
            by_part.setdefault("the API description" if where == "document" else where, [])
    phrases = []
    for part, names in by_part.items():
        called = ", ".join(f"`{name}`" for name in names)
        phrases.append(f"{called} ({part})" if names and part else called or part)
    return "; ".join(phrases)


def _sentence(text: str) -> str:
    return text.strip().rstrip(".") + "."


def render_entry(release: Release, date: datetime.date) -> str:
    """The CHANGELOG entry: a heading with the version, the verdict, one list per section."""
    comparison = release.comparison
    lines = [
        f"{_heading(release.new_version)} ({date.isoformat()})",
        "",
        f"API description {release.old_version} → {release.new_version}, compared "
        f"`{comparison.old_label}` → `{comparison.new_label}`: "
        f"**{comparison.verdict}**.",
    ]
    if comparison.breaking and not release.major_raised:
        lines += [
            "",
            f"**The major version was not raised** ({release.old_version} → "
            f"{release.new_version}) although these changes break existing code.",
        ]
    listed = [finding for finding in comparison.findings if not finding.wire_neutral]
    if not listed:
        lines += ["", "No change a client can see."]
    for title, severities, meaning in SECTIONS:
        findings = [f for f in listed if f.severity in severities]
        if not findings:
            continue
        lines += ["", f"### {title}", "", meaning, ""]
        for finding in findings:
            places = _places(finding, release.functions)
            lines.append(f"- {places}: {_sentence(finding.reason)} (`{finding.pointer}`)")
    neutral = Counter(str(f.kind) for f in comparison.findings if f.wire_neutral)
    if neutral:
        kinds = ", ".join(f"{count} {kind}" for kind, count in neutral.most_common())
        lines += [
            "",
            f"Also {neutral.total()} annotation-only change(s) ({kinds}): nothing on the wire "
            f"changes; `make compat OLD={comparison.old_label}` lists each.",
        ]
    return "\n".join(lines) + "\n"


def _heading(version: str) -> str:
    """`## livepeer-gateway-client 2.0.0`: the heading of a version's entry, without its date."""
    return f"## {CLIENT_DISTRIBUTION} {version}"


def _version_heading(entry: str) -> str:
    """`## livepeer-gateway-client 2.0.0`: an entry's heading without its date."""
    return entry.splitlines()[0].rsplit(" (", 1)[0]


def _changelog_entries(path: Path) -> list[str]:
    """The entries of the changelog at `path`, newest first (none when it does not exist)."""
    text = path.read_text(encoding="utf-8") if path.exists() else CHANGELOG_TITLE
    return _split_entries(text.removeprefix(CHANGELOG_TITLE).lstrip("\n"))


def refuse_to_replace(path: Path, release: Release) -> None:
    """`BadInput` when the changelog at `path` already has an entry for the new version."""
    heading = _heading(release.new_version)
    if any(_version_heading(entry) == heading for entry in _changelog_entries(path)):
        raise BadInput(
            f"{cli.display_path(path)} already has an entry for {release.new_version}: raise "
            "info.version for a new release, or pass --replace to rewrite that entry"
        )


def write_changelog(path: Path, entry: str) -> None:
    """Put `entry` at the top of `path`, in place of an entry for the same version."""
    heading = _version_heading(entry)
    kept = [e for e in _changelog_entries(path) if _version_heading(e) != heading]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CHANGELOG_TITLE + "\n" + "\n".join([entry, *kept]), encoding="utf-8")


def _split_entries(body: str) -> list[str]:
    entries: list[str] = []
    for line in body.splitlines(keepends=True):
        if line.startswith("## ") or not entries:
            entries.append(line)
        else:
            entries[-1] += line
    return [entry.rstrip("\n") + "\n" for entry in entries if entry.strip()]


def check_version(release: Release) -> None:
    """`VersionNotRaised` when the changes are breaking and the major part stayed."""
    if release.comparison.breaking and not release.major_raised:
        counts = sum(1 for f in release.comparison.findings if f.severity.breaking)
        raise VersionNotRaised(
            f"{counts} breaking change(s) since {release.comparison.old_label}, but info.version "
            f"went {release.old_version} -> {release.new_version}: raise its major part"
        )


def main(argv: Iterable[str] | None = None) -> int:
    """Command-line entry point: print the entry, write it with --changelog, gate with --check."""
    parser = cli.parser("make release-notes", __doc__)
    parser.add_argument("old", help="the last release: a git ref, REF:path or a file")
    parser.add_argument(
        "new",
        nargs="?",
        default="",
        help="the spec now (same forms; default $LIVEPEER_OPENAPI or the bundled openapi.yaml)",
    )
    parser.add_argument("--changelog", type=Path, help="prepend the entry to this file")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="rewrite the changelog's entry for this version if it has one (refused otherwise)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when the changes are breaking but info.version's major part was not raised",
    )
    parser.add_argument(
        "--date",
        type=datetime.date.fromisoformat,
        default=None,
        help="the entry's date, YYYY-MM-DD (default: today, UTC)",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    new = args.new or str(cli.chosen_spec(None))

    def action() -> int:
        release = load_release(args.old, new)
        date = args.date or datetime.datetime.now(datetime.UTC).date()
        entry = render_entry(release, date)
        if args.check:
            check_version(release)
            print(
                f"release-check: {release.comparison.verdict} since {release.comparison.old_label};"
                f" info.version {release.old_version} -> {release.new_version} is fine"
            )
            return cli.EXIT_OK
        try:
            if args.changelog is not None and not args.replace:
                refuse_to_replace(args.changelog, release)
            print(entry, end="")
            if args.changelog is not None:
                write_changelog(args.changelog, entry)
        except OSError as exc:
            raise BadInput(f"cannot write {args.changelog}: {exc.strerror or exc}") from None
        if args.changelog is not None:
            print(f"release-notes: wrote the entry to {cli.display_path(args.changelog)}")
        return cli.EXIT_OK

    return cli.run("release-notes", action)


if __name__ == "__main__":
    sys.exit(main())
