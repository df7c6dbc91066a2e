"""The Hub's failures as errors a person can act on, and the one place that turns a request's
outcome (offline switch, transport error, HTTP status) into them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from slmdesk.core import offline
from slmdesk.core.errors import UserError

if TYPE_CHECKING:
    import httpx2

NETWORK_HINT = ("Check the internet connection and any proxy (HTTPS_PROXY); models already on this computer "
                "keep working.")


class HubOffline(UserError):
    """The Hub was not asked: offline mode is on (slmdesk's, or ``HF_HUB_OFFLINE`` set outside it)."""


class HubUnreachable(UserError):
    """The Hub could not be reached or did not answer in time (no network, DNS, proxy, firewall)."""


class HubAccessDenied(UserError):
    """The Hub answered 401 or 403: a gated repository whose licence is not accepted, a private
    one, or a token that is missing or wrong (:func:`slmdesk.hub.token.access_denied`)."""


class HubNotFound(UserError):
    """The Hub answered 404: no such repository, revision or file."""


def endpoint() -> str:
    """The Hub's base URL: ``HF_ENDPOINT`` as huggingface_hub read it (``https://huggingface.co``)."""
    from huggingface_hub import constants

    return str(constants.ENDPOINT).rstrip("/")


def refuse_if_offline(doing: str) -> None:
    """Raise :class:`HubOffline` when slmdesk's offline mode is on, before any connection.

    ``doing``: what cannot happen, as the end of a sentence ("search it", "list that repository").
    """
    state = offline.current()
    if state.on:
        raise HubOffline(
            f"{state.describe()} slmdesk does not connect to the Hugging Face Hub, so it cannot {doing}.",
            f"{state.how_to_turn_off()} Models already on this computer keep working.",
        )


@contextlib.contextmanager
def hub_call(timeout_s: float, doing: str) -> Iterator[None]:
    """Around one request to the Hub: huggingface_hub's offline refusal becomes :class:`HubOffline`,
    a timeout or a failed connection (refused, reset, closed early, DNS) :class:`HubUnreachable`.

    ``doing``: what the request was for, as the end of a sentence ("search it").
    """
    import httpx2
    from huggingface_hub.errors import OfflineModeIsEnabled

    base = endpoint()
    try:
        yield
    except OfflineModeIsEnabled as error:
        raise HubOffline(
            "HF_HUB_OFFLINE is set in the environment, so huggingface_hub refuses to connect to the Hub "
            f"and slmdesk cannot {doing}.",
            "Unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE to use the Hub.",
        ) from error
    except httpx2.TimeoutException as error:
        raise HubUnreachable(f"The Hugging Face Hub at {base} did not answer within {timeout_s:g} s.",
                             NETWORK_HINT) from error
    except (httpx2.TransportError, OSError) as error:
        raise HubUnreachable(f"Cannot reach the Hugging Face Hub at {base}: {error or type(error).__name__}.",
                             NETWORK_HINT) from error


def check_status(response: httpx2.Response, request: str, repo_id: str | None = None,
                 token_sent: bool = False, path: str | None = None) -> None:
    """Raise the error for a response that is not a success (2xx); return quietly otherwise.

    401/403 become :class:`HubAccessDenied` saying what to do (:func:`slmdesk.hub.token.access_denied`;
    the token itself is never part of a message), 404 :class:`HubNotFound` naming what is missing
    (from the Hub's ``X-Error-Code``/``X-Error-Message``), anything else a :class:`UserError` with
    the status. ``request``: what was asked, for that last message ("the search"); ``path``: the
    file asked for, if any (named when missing).
    """
    if response.is_success:
        return
    base = endpoint()
    code = response.headers.get("X-Error-Code", "")
    if response.status_code in (401, 403) and repo_id is not None:
        from slmdesk.hub.token import access_denied

        raise access_denied(repo_id, response.status_code, code, token_sent)
    if response.status_code == 404:
        what = {
            "RepoNotFound": f"There is no model repository {repo_id} on the Hugging Face Hub at {base}.",
            "RevisionNotFound": f"{repo_id} has no such revision on the Hugging Face Hub.",
            "EntryNotFound": f"{path or 'That file'} is not in {repo_id} on the Hugging Face Hub.",
        }.get(code, f"The Hugging Face Hub at {base} answered 404 Not Found to {request}.")
        raise HubNotFound(what, "Check the repository id (owner/name), the revision and the file name.")
    status = f"{response.status_code} {response.reason_phrase}".strip()
    raise UserError(f"The Hugging Face Hub at {base} answered {status} to {request}.",
                    "Try again later; if HF_ENDPOINT is set, check that it names a Hub.")
