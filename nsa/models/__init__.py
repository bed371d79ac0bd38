"""The supernet and its variants: build, describe, save and load models."""

from nsa.models.bank import ArchBank
from nsa.models.io import ModelFileError, load_model, save_model
from nsa.models.spec import ModelSpec
from nsa.models.supernet import SuperNet, build_model
from nsa.models.variants import VARIANTS, Variant, parse_variant

__all__ = [
    "VARIANTS",
    "ArchBank",
    "ModelFileError",
    "ModelSpec",
    "SuperNet",
    "Variant",
    "build_model",
    "load_model",
    "parse_variant",
    "save_model",
]
