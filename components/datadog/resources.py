"""The Datadog resources infermon declares, registered by their type tokens and input names.

Importing pulumi-datadog's Python SDK costs seconds (its ``__init__`` loads every resource and a
20 MB ``_inputs.py``) and would dominate every render and ``pulumi preview``. These three
resources are registered exactly as the SDK registers them: the same type token, input names
(camelCase, as the SDK's input types send them), secret outputs and provider plugin version;
``tests/test_datadog.py`` compares the registrations with the SDK's own.
"""

from __future__ import annotations

import functools
from importlib.metadata import version
from typing import Any, Optional

import pulumi

PACKAGE = "pulumi_datadog"


@functools.lru_cache(maxsize=None)
def _plugin_version() -> str:
    return version(PACKAGE)  # reads the installed distribution's metadata: once, not per resource


def _opts(opts: Optional[pulumi.ResourceOptions], **extra: Any) -> pulumi.ResourceOptions:
    # what the SDK merges into every resource's options: the provider plugin version of the pinned package
    return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(version=_plugin_version(), **extra), opts)


def _props(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if v is not None}


class Provider(pulumi.ProviderResource):
    """``pulumi:providers:datadog``: the credentials as secrets, like the SDK's Provider."""

    def __init__(self, name: str, api_key: pulumi.Input[str], app_key: pulumi.Input[str], api_url: str,
                 opts: Optional[pulumi.ResourceOptions] = None):
        secret = ["apiKey", "appKey", "awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken", "bearerToken"]
        super().__init__("datadog", name, _props({"apiKey": pulumi.Output.secret(api_key), "apiUrl": api_url,
                                                  "appKey": pulumi.Output.secret(app_key)}),
                         pulumi.ResourceOptions.merge(_opts(None), pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret))))


class Monitor(pulumi.CustomResource):
    """``datadog:index/monitor:Monitor``; ``inputs`` by their Datadog provider names (camelCase)."""

    def __init__(self, name: str, inputs: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("datadog:index/monitor:Monitor", name, _props(inputs), _opts(opts))


class MetricTagConfiguration(pulumi.CustomResource):
    """``datadog:index/metricTagConfiguration:MetricTagConfiguration``."""

    def __init__(self, name: str, inputs: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("datadog:index/metricTagConfiguration:MetricTagConfiguration", name, _props(inputs), _opts(opts))
