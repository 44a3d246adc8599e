"""A client library for accessing Livepeer AI Gateway, image endpoints"""

from . import errors
from .client import AuthenticatedClient, Client, Retries

__all__ = (
    "AuthenticatedClient",
    "Client",
    "Retries",
    "errors",
)
