"""A client library for accessing Livepeer AI Gateway, image endpoints"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
