from typing import Any

from ... import errors
from ...client import Answer, AuthenticatedClient, Client, TimeoutSetting, exchange, exchange_async
from ...models.http_error import HTTPError
from ...models.http_validation_error import HTTPValidationError
from ...models.image_response import ImageResponse
from ...models.text_to_image_params import TextToImageParams
from ...types import UNSET, Response, Unset, http_status


def _get_kwargs(
    *,
    body: TextToImageParams,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/text-to-image",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: Answer
) -> HTTPError | HTTPValidationError | ImageResponse | None:
    try:
        if response.status_code == 200:
            response_200 = ImageResponse.from_dict(response.json())

            return response_200

        if response.status_code == 400:
            response_400 = HTTPError.from_dict(response.json())

            return response_400

        if response.status_code == 401:
            response_401 = HTTPError.from_dict(response.json())

            return response_401

        if response.status_code == 413:
            response_413 = HTTPError.from_dict(response.json())

            return response_413

        if response.status_code == 422:
            response_422 = HTTPValidationError.from_dict(response.json())

            return response_422

        if response.status_code == 500:
            response_500 = HTTPError.from_dict(response.json())

            return response_500

        if response.status_code == 503:
            response_503 = HTTPError.from_dict(response.json())

            return response_503

    except KeyError as exc:
        raise errors.UnexpectedResponseBody(
            response.status_code, response.content, f"required field {exc.args[0]!r} is missing"
        ) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        # ValueError covers a body that is not JSON at all.
        raise errors.UnexpectedResponseBody(
            response.status_code, response.content, str(exc)
        ) from exc
    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: Answer
) -> Response[HTTPError | HTTPValidationError | ImageResponse]:
    if response.status_code >= 400 and client.raise_on_error_status:
        raise response.error(lambda: _parse_response(client=client, response=response))
    return Response(
        status_code=http_status(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TextToImageParams,
    timeout: TimeoutSetting | Unset = UNSET,
) -> Response[HTTPError | HTTPValidationError | ImageResponse]:
    """Text To Image

    Generate images from text prompts.

    Args:
        body (TextToImageParams):
        timeout: seconds for the whole answer of this call (or an httpx.Timeout, or None for no
            deadline); the client's own when left out.

    Raises:
        errors.GatewayError: the gateway answered a 4xx or 5xx status (a subclass by cause: RetryLater,
            Unauthorized, InvalidRequest, RequestRefused, ServerError), unless the client's
            raise_on_error_status is False.
        errors.UnexpectedStatus: the gateway answered a status the API description does not declare
            (unless the client's raise_on_unexpected_status is False).
        errors.UnexpectedResponseBody: the body is not JSON or does not match its schema; its
            subclasses AnswerTooLarge and AnswerTooDeep, an answer over the client's bounds.
        errors.DeadlineExceeded: the answer did not arrive whole within the deadline.
        httpx.HTTPError: the request could not be sent (connection refused, reset, connect timeout).

    Returns:
        Response[HTTPError | HTTPValidationError | ImageResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )
    # Per request, so the token also goes through an httpx client the caller supplied.
    kwargs["headers"].update(client.auth_headers)

    response = exchange(client, kwargs, timeout)

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: TextToImageParams,
    timeout: TimeoutSetting | Unset = UNSET,
) -> HTTPError | HTTPValidationError | ImageResponse | None:
    """Text To Image

    Generate images from text prompts.

    Args:
        body (TextToImageParams):
        timeout: seconds for the whole answer of this call (or an httpx.Timeout, or None for no
            deadline); the client's own when left out.

    Raises:
        errors.GatewayError: the gateway answered a 4xx or 5xx status (a subclass by cause: RetryLater,
            Unauthorized, InvalidRequest, RequestRefused, ServerError), unless the client's
            raise_on_error_status is False.
        errors.UnexpectedStatus: the gateway answered a status the API description does not declare
            (unless the client's raise_on_unexpected_status is False).
        errors.UnexpectedResponseBody: the body is not JSON or does not match its schema; its
            subclasses AnswerTooLarge and AnswerTooDeep, an answer over the client's bounds.
        errors.DeadlineExceeded: the answer did not arrive whole within the deadline.
        httpx.HTTPError: the request could not be sent (connection refused, reset, connect timeout).

    Returns:
        HTTPError | HTTPValidationError | ImageResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        timeout=timeout,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TextToImageParams,
    timeout: TimeoutSetting | Unset = UNSET,
) -> Response[HTTPError | HTTPValidationError | ImageResponse]:
    """Text To Image

    Generate images from text prompts.

    Args:
        body (TextToImageParams):
        timeout: seconds for the whole answer of this call (or an httpx.Timeout, or None for no
            deadline); the client's own when left out.

    Raises:
        errors.GatewayError: the gateway answered a 4xx or 5xx status (a subclass by cause: RetryLater,
            Unauthorized, InvalidRequest, RequestRefused, ServerError), unless the client's
            raise_on_error_status is False.
        errors.UnexpectedStatus: the gateway answered a status the API description does not declare
            (unless the client's raise_on_unexpected_status is False).
        errors.UnexpectedResponseBody: the body is not JSON or does not match its schema; its
            subclasses AnswerTooLarge and AnswerTooDeep, an answer over the client's bounds.
        errors.DeadlineExceeded: the answer did not arrive whole within the deadline.
        httpx.HTTPError: the request could not be sent (connection refused, reset, connect timeout).

    Returns:
        Response[HTTPError | HTTPValidationError | ImageResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )
    kwargs["headers"].update(client.auth_headers)

    response = await exchange_async(client, kwargs, timeout)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TextToImageParams,
    timeout: TimeoutSetting | Unset = UNSET,
) -> HTTPError | HTTPValidationError | ImageResponse | None:
    """Text To Image

    Generate images from text prompts.

    Args:
        body (TextToImageParams):
        timeout: seconds for the whole answer of this call (or an httpx.Timeout, or None for no
            deadline); the client's own when left out.

    Raises:
        errors.GatewayError: the gateway answered a 4xx or 5xx status (a subclass by cause: RetryLater,
            Unauthorized, InvalidRequest, RequestRefused, ServerError), unless the client's
            raise_on_error_status is False.
        errors.UnexpectedStatus: the gateway answered a status the API description does not declare
            (unless the client's raise_on_unexpected_status is False).
        errors.UnexpectedResponseBody: the body is not JSON or does not match its schema; its
            subclasses AnswerTooLarge and AnswerTooDeep, an answer over the client's bounds.
        errors.DeadlineExceeded: the answer did not arrive whole within the deadline.
        httpx.HTTPError: the request could not be sent (connection refused, reset, connect timeout).

    Returns:
        HTTPError | HTTPValidationError | ImageResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            timeout=timeout,
        )
    ).parsed
