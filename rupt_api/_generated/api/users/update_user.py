from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.update_user_body import UpdateUserBody
from ...types import Response


def _get_kwargs(
    user: str,
    *,
    body: UpdateUserBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v3/user/{user}/update".format(
            user=quote(str(user), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 428:
        response_428 = Error.from_dict(response.json())

        return response_428

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if 500 <= response.status_code <= 599:
        response_5xx = Error.from_dict(response.json())

        return response_5xx

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    user: str,
    *,
    client: AuthenticatedClient,
    body: UpdateUserBody,
) -> Response[Any | Error]:
    """Update a user

     Write the given fields on the user. Only the fields sent are written; anything left out is
    untouched. Answers 204 with no body.

    Args:
        user (str):
        body (UpdateUserBody): The fields to write on the user. Only the fields sent are written;
            anything left out is untouched. Choice: the docs do not say whether `metadata` is merged
            or replaced, nor whether `groups` may be a single object; the SDK always sends a list.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        user=user,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    user: str,
    *,
    client: AuthenticatedClient,
    body: UpdateUserBody,
) -> Any | Error | None:
    """Update a user

     Write the given fields on the user. Only the fields sent are written; anything left out is
    untouched. Answers 204 with no body.

    Args:
        user (str):
        body (UpdateUserBody): The fields to write on the user. Only the fields sent are written;
            anything left out is untouched. Choice: the docs do not say whether `metadata` is merged
            or replaced, nor whether `groups` may be a single object; the SDK always sends a list.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return sync_detailed(
        user=user,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    user: str,
    *,
    client: AuthenticatedClient,
    body: UpdateUserBody,
) -> Response[Any | Error]:
    """Update a user

     Write the given fields on the user. Only the fields sent are written; anything left out is
    untouched. Answers 204 with no body.

    Args:
        user (str):
        body (UpdateUserBody): The fields to write on the user. Only the fields sent are written;
            anything left out is untouched. Choice: the docs do not say whether `metadata` is merged
            or replaced, nor whether `groups` may be a single object; the SDK always sends a list.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        user=user,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    user: str,
    *,
    client: AuthenticatedClient,
    body: UpdateUserBody,
) -> Any | Error | None:
    """Update a user

     Write the given fields on the user. Only the fields sent are written; anything left out is
    untouched. Answers 204 with no body.

    Args:
        user (str):
        body (UpdateUserBody): The fields to write on the user. Only the fields sent are written;
            anything left out is untouched. Choice: the docs do not say whether `metadata` is merged
            or replaced, nor whether `groups` may be a single object; the SDK always sends a list.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return (
        await asyncio_detailed(
            user=user,
            client=client,
            body=body,
        )
    ).parsed
