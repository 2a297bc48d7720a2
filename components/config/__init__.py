"""Typed configuration of an infermon stack."""

from .load import ConfigError, ConfigIssue, LoadedConfig, SecretRef, from_pulumi, parse, secret_output
from .model import InfermonConfig

__all__ = ["ConfigError", "ConfigIssue", "InfermonConfig", "LoadedConfig", "SecretRef", "from_pulumi", "parse", "secret_output"]
