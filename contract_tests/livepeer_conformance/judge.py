"""Judging one answer: every check that concerns it, whichever phase sent the request.

The engine calls `judge` on every answer of the suite's own requests, and the spec phase on
every answer schemathesis gets: the caller's credentials must not come back (the run's token
and whatever token the request carried), the answer must be one the spec declares (status,
content type, success schema, required headers), a request the spec refuses must be refused and
one it allows served, a request without valid credentials refused, and a served request's
answer must mean what the reference pages say (the semantic properties).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from livepeer_gateway_spec import Source

from livepeer_conformance import answer_conformance
from livepeer_conformance.answer_conformance import CONTENT_TYPE, INCONCLUSIVE_FOR_AUTH, STATUS_CODE
from livepeer_conformance.evidence import body_excerpt
from livepeer_conformance.exchanges import Exchange
from livepeer_conformance.media import MediaBoundReached
from livepeer_conformance.planned import Planned
from livepeer_conformance.properties import DECLARED_BODY, SemanticProperty
from livepeer_conformance.results import cause_of, reason_class
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED, echo_reason, find_echo

#: Checks the expectation of a planned request is judged under (schemathesis's names).
REFUSES_INVALID = "negative_data_rejection"
SERVES_VALID = "positive_data_acceptance"
IGNORED_AUTH = "ignored_auth"


@dataclass(frozen=True)
class Verdict:
    """One check applied to one answer: passed when `reason` is None."""

    check: str
    title: str = ""
    reason: str | None = None
    #: The failure's cause: the answer's status and the rule or class at fault.
    cause: str = ""
    #: The broken rule's source when it is not the check's own (a bound's `x-source`).
    source: Source | None = None
    #: Why the check could not judge the answer (the run's media bound left an image unfetched).
    unjudged: str = ""

    @property
    def passed(self) -> bool:
        return self.reason is None and not self.unjudged


def shown(exchange: Exchange, secrets: tuple[str, ...]) -> str:
    """The status, content type and the start of the body (redacted, then cut)."""
    body = body_excerpt(exchange.content, secrets)
    return f"{exchange.status} ({exchange.content_type or 'no content type'}): {body}"


def judge(
    exchange: Exchange,
    planned: Planned | None,
    document: dict[str, Any],
    tokens: list[str | None],
    properties: Callable[[str], list[SemanticProperty]],
    secrets: tuple[str, ...] = (),
    *,
    negative: bool = False,
) -> list[Verdict]:
    """Every verdict on `exchange`, the answer to `planned` (None: a request the suite did not
    plan, such as schemathesis's, judged by the checks that hold for any answer).

    An answer to a request the spec refuses (`planned.expect == "refuse"`, or `negative`: one of
    schemathesis's negative cases) is held only to what holds for any answer: a declared status,
    its content type and its body's shape (`answer_conformance.body_shape`)."""
    status = exchange.status
    refused = negative or (planned is not None and planned.expect == "refuse")
    verdicts: list[Verdict] = []
    where = find_echo(exchange.headers, exchange.content, [*tokens, exchange.sent_token])
    verdicts.append(
        Verdict(TOKEN_NOT_ECHOED)
        if where is None
        else Verdict(
            TOKEN_NOT_ECHOED,
            "Token echoed",
            echo_reason(where),
            cause_of(status, f"token in {where}"),
        )
    )
    judgements = answer_conformance.judge(
        document,
        exchange.path,
        status,
        exchange.content_type,
        exchange.headers,
        exchange.body,
        refused=refused,
    )
    for j in judgements:
        reason = None if j.reason is None else f"answered {shown(exchange, secrets)}; {j.reason}"
        verdicts.append(Verdict(j.check, j.title, reason, cause_of(status, j.title)))
    if planned is None:
        return verdicts
    if planned.credentials != "run":
        return [*verdicts, *_credentials(exchange, planned, secrets)]
    verdicts += _expectation(exchange, planned, secrets)
    if not planned.judged_by_properties or (status == 200 and refused):
        return verdicts
    declared_error = status != 200 and all(
        j.reason is None for j in judgements if j.check in (STATUS_CODE, CONTENT_TYPE)
    )
    for prop in properties(exchange.path):
        if prop.name == DECLARED_BODY and not declared_error:
            continue
        try:
            if not prop.applies(exchange):
                continue
            objection = prop.check(exchange, document)
        except MediaBoundReached as exc:
            verdicts.append(Verdict(prop.name, unjudged=str(exc)))
            continue
        verdicts.append(
            Verdict(prop.name)
            if objection is None
            else Verdict(
                prop.name, prop.title, objection, cause_of(status, reason_class(objection))
            )
        )
    return verdicts


def _expectation(exchange: Exchange, planned: Planned, secrets: tuple[str, ...]) -> list[Verdict]:
    """A request the spec refuses is refused; one it allows is served (429 says neither)."""
    status, rule = exchange.status, planned.rule
    if planned.expect == "refuse" and 200 <= status < 300:
        reason = f"answered {status} to {planned.purpose}, which the spec refuses"
        what = rule or "Invalid request served"
        return [
            Verdict(
                REFUSES_INVALID,
                "Invalid request served",
                reason,
                cause_of(status, what),
                planned.source,
            )
        ]
    if planned.expect == "accept" and 400 <= status < 500 and status != 429:
        reason = f"answered {shown(exchange, secrets)} to {planned.purpose}, which the spec allows"
        what = rule or "Valid request refused"
        return [
            Verdict(
                SERVES_VALID,
                "Valid request refused",
                reason,
                cause_of(status, what),
                planned.source,
            )
        ]
    if planned.expect == "refuse":
        return [Verdict(REFUSES_INVALID)]
    if planned.expect == "accept":
        return [Verdict(SERVES_VALID)]
    return []


def _credentials(exchange: Exchange, planned: Planned, secrets: tuple[str, ...]) -> list[Verdict]:
    """A request without the run's credentials is refused with 401 or 403: schemathesis's
    `ignored_auth` with its titles, so that one fault is one cause whichever phase finds it."""
    status = exchange.status
    if status in INCONCLUSIVE_FOR_AUTH:
        return []  # busy or rate-limited: says nothing of the credentials; the check stays open
    if status in (401, 403):
        return [Verdict(IGNORED_AUTH)]
    missing = planned.credentials == "none"
    if 200 <= status < 300:
        title = "API accepts " + (
            "requests without authentication" if missing else "invalid authentication"
        )
    else:
        request = "a request without authentication" if missing else "invalid authentication"
        title = f"Unexpected response to {request}"
    reason = f"expected 401 or 403, answered {shown(exchange, secrets)}"
    return [Verdict(IGNORED_AUTH, title, reason, title, planned.source)]
