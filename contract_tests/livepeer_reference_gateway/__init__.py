"""A conformant Livepeer AI gateway that needs no model weights.

This module is the gateway's one entry point for other packages (the conformance suite embeds
the gateway through it, the benchmarks measure it through it): nothing outside the gateway
imports its submodules.
"""

from .app import create_app
from .errors import ReferenceGatewayError
from .faults import FAULTS, Fault
from .server import bind_loopback, gateway_process, running_gateway
from .settings import GatewaySettings, ServerSettings

__all__ = [
    "FAULTS",
    "Fault",
    "GatewaySettings",
    "ReferenceGatewayError",
    "ServerSettings",
    "bind_loopback",
    "create_app",
    "gateway_process",
    "running_gateway",
]
