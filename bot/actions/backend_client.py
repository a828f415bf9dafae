"""The action server's name for the backend client (its home is bot/backend_client.py).

One client, one error hierarchy for the whole bot (issue 13): the actions import
``BackendClient``, ``BackendError``, ``BackendUnavailable``, ``get_client`` and
``set_client`` from here, as before; the channel servers use the same class.
"""

from bot.backend_client import (  # noqa: F401
    CATALOGUE_TTL_SECONDS,
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    BackendClient,
    BackendError,
    BackendFailure,
    BackendUnavailable,
    get_client,
    set_client,
)

__all__ = [
    "CATALOGUE_TTL_SECONDS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "BackendClient",
    "BackendError",
    "BackendFailure",
    "BackendUnavailable",
    "get_client",
    "set_client",
]
