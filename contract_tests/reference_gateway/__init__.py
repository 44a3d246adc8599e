"""A conformant Livepeer AI gateway that needs no model weights."""

from .app import create_app
from .server import running_gateway
from .settings import GatewaySettings

__all__ = ["GatewaySettings", "create_app", "running_gateway"]
