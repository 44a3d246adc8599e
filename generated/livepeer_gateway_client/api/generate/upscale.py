from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.http_error import HTTPError
from ...models.http_validation_error import HTTPValidationError
from ...models.image_response import ImageResponse
from ...models.upscale_params import UpscaleParams
from typing import cast



def _get_kwargs(
    *,
    body: UpscaleParams,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/upscale",
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> HTTPError | HTTPValidationError | ImageResponse | None:
    if response.status_code == 200:
        response_200 = ImageResponse.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = HTTPError.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = HTTPError.from_dict(response.json())



        return response_401

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())



        return response_422

    if response.status_code == 500:
        response_500 = HTTPError.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = HTTPError.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[HTTPError | HTTPValidationError | ImageResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: UpscaleParams,

) -> Response[HTTPError | HTTPValidationError | ImageResponse]:
    """ Upscale

     Upscale an image by increasing its resolution.

    Args:
        body (UpscaleParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | ImageResponse]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    body: UpscaleParams,

) -> HTTPError | HTTPValidationError | ImageResponse | None:
    """ Upscale

     Upscale an image by increasing its resolution.

    Args:
        body (UpscaleParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | ImageResponse
     """


    return sync_detailed(
        client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: UpscaleParams,

) -> Response[HTTPError | HTTPValidationError | ImageResponse]:
    """ Upscale

     Upscale an image by increasing its resolution.

    Args:
        body (UpscaleParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPError | HTTPValidationError | ImageResponse]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    body: UpscaleParams,

) -> HTTPError | HTTPValidationError | ImageResponse | None:
    """ Upscale

     Upscale an image by increasing its resolution.

    Args:
        body (UpscaleParams):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPError | HTTPValidationError | ImageResponse
     """


    return (await asyncio_detailed(
        client=client,
body=body,

    )).parsed
