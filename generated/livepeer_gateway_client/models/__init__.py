"""Contains all the data models used in inputs/outputs"""

from .api_error import APIError
from .http_error import HTTPError
from .http_validation_error import HTTPValidationError
from .image_response import ImageResponse
from .image_to_image_params import ImageToImageParams
from .media import Media
from .text_to_image_params import TextToImageParams
from .upscale_params import UpscaleParams
from .validation_error import ValidationError

__all__ = (
    "APIError",
    "HTTPError",
    "HTTPValidationError",
    "ImageResponse",
    "ImageToImageParams",
    "Media",
    "TextToImageParams",
    "UpscaleParams",
    "ValidationError",
)
