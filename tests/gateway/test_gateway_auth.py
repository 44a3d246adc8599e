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
    assert authenticate("Bearer t", "t") == "ok"
    assert authenticate("bearer t", "t") == "ok"
    assert authenticate("Bearer u", "t") == "wrong"
    assert authenticate("Bearer é", "t") == "wrong"
