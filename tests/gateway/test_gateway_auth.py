"""Bearer auth: 401 `HTTPError` with `WWW-Authenticate: Bearer`, open when no token is set."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from livepeer_reference_gateway import GatewaySettings, running_gateway
from livepeer_reference_gateway.auth import authenticate

TOKEN = "s3cret-token-for-tests"
BODY = {"prompt": "p", "width": 64, "height": 64}


@pytest.fixture(scope="module")
def secured_url() -> Iterator[str]:
    with running_gateway(GatewaySettings(token=TOKEN)) as url:
        yield url


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
)
def test_missing_or_wrong_token_gets_401_with_challenge(
    secured_url: str, headers: dict[str, str]
) -> None:
    response = httpx.post(f"{secured_url}/text-to-image", json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == {"detail"} and isinstance(response.json()["detail"]["msg"], str)
    assert TOKEN not in response.text


def test_auth_is_checked_before_the_body(secured_url: str) -> None:
    response = httpx.post(
        f"{secured_url}/upscale", content=b"junk", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 401


def test_right_token_is_served(secured_url: str) -> None:
    response = httpx.post(
        f"{secured_url}/text-to-image", json=BODY, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200


def test_without_a_token_the_gateway_serves_openly(client: httpx.Client) -> None:
    assert client.post("/text-to-image", json=BODY).status_code == 200
    assert (
        client.post(
            "/text-to-image", json=BODY, headers={"Authorization": "Bearer any"}
        ).status_code
        == 200
    )


def test_authenticate_outcomes() -> None:
    assert authenticate(None, None) == "ok"
    assert authenticate(None, "t") == "missing"
    assert authenticate(b"Bearer t", "t") == "ok"
    assert authenticate(b"bearer t", "t") == "ok"
    assert authenticate(b"Bearer u", "t") == "wrong"
    assert authenticate("Bearer é".encode(), "t") == "wrong"


def test_non_ascii_token_matches_its_utf8_bytes_only() -> None:
    """A token is its UTF-8 bytes: the same text sent in Latin-1 is another token."""
    token = "clé"
    with running_gateway(GatewaySettings(token=token)) as url:
        statuses = {
            encoding: httpx.post(
                f"{url}/text-to-image",
                json=BODY,
                headers=[(b"authorization", b"Bearer " + token.encode(encoding))],
            ).status_code
            for encoding in ("utf-8", "latin-1")
        }
    assert statuses == {"utf-8": 200, "latin-1": 401}
