"""The built-in Kubernetes resources infermon declares, registered by their type tokens and input names.

Importing pulumi-kubernetes' ``core.v1`` module costs a render 0.4 s (its ``__init__`` loads every
core resource and a 2.5 MB ``_inputs.py``; ``apps.v1`` and ``helm.v3`` add 0.1 s more), as much as
the rest of the ``dev`` stack's program. These classes register exactly what the SDK's classes of
the same names register: the type token, ``apiVersion`` and ``kind``, the inputs by their
Kubernetes names, secret ``data``/``stringData``, the aliases and the provider plugin version and
download URL (the SDK's own ``get_resource_opts_defaults``). Each takes the keyword arguments of
its SDK class that infermon uses; ``tests/test_k8s_resources.py`` renders ``dev`` and ``prod``
through the SDK's classes and compares the registrations.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
from pulumi_kubernetes import _utilities

Input = Any


def _opts(opts: Optional[pulumi.ResourceOptions], extra: Optional[pulumi.ResourceOptions] = None) -> pulumi.ResourceOptions:
    # the SDK's order: its defaults, then the caller's options, then the class' own (secret outputs, aliases)
    merged = pulumi.ResourceOptions.merge(_utilities.get_resource_opts_defaults(), opts)
    return pulumi.ResourceOptions.merge(merged, extra) if extra is not None else merged


def _aliases(kind: str, *groups: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=f"kubernetes:{g}:{kind}") for g in groups])


_SECRET_OUTPUTS = pulumi.ResourceOptions(additional_secret_outputs=["data", "stringData"])


class Namespace(pulumi.CustomResource):
    """``kubernetes:core/v1:Namespace``."""

    def __init__(self, resource_name: str, metadata: Input = None, spec: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:core/v1:Namespace", resource_name,
                         {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata, "spec": spec, "status": None}, _opts(opts))


class Secret(pulumi.CustomResource):
    """``kubernetes:core/v1:Secret``; ``data`` and ``string_data`` are secret, as the SDK makes them."""

    def __init__(self, resource_name: str, metadata: Input = None, type: Input = None, string_data: Optional[Mapping[str, Input]] = None,
                 data: Optional[Mapping[str, Input]] = None, immutable: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:core/v1:Secret", resource_name, {
            "apiVersion": "v1",
            "data": None if data is None else pulumi.Output.secret(data),
            "immutable": immutable,
            "kind": "Secret",
            "metadata": metadata,
            "stringData": None if string_data is None else pulumi.Output.secret(string_data),
            "type": type,
        }, _opts(opts, _SECRET_OUTPUTS))


class ConfigMap(pulumi.CustomResource):
    """``kubernetes:core/v1:ConfigMap``."""

    def __init__(self, resource_name: str, metadata: Input = None, data: Input = None, binary_data: Input = None,
                 immutable: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:core/v1:ConfigMap", resource_name, {
            "apiVersion": "v1", "binaryData": binary_data, "data": data, "immutable": immutable, "kind": "ConfigMap", "metadata": metadata,
        }, _opts(opts))


class Service(pulumi.CustomResource):
    """``kubernetes:core/v1:Service``."""

    def __init__(self, resource_name: str, metadata: Input = None, spec: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:core/v1:Service", resource_name,
                         {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec, "status": None}, _opts(opts))


class ServiceAccount(pulumi.CustomResource):
    """``kubernetes:core/v1:ServiceAccount``."""

    def __init__(self, resource_name: str, metadata: Input = None, automount_service_account_token: Input = None,
                 image_pull_secrets: Input = None, secrets: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:core/v1:ServiceAccount", resource_name, {
            "apiVersion": "v1", "automountServiceAccountToken": automount_service_account_token, "imagePullSecrets": image_pull_secrets,
            "kind": "ServiceAccount", "metadata": metadata, "secrets": secrets,
        }, _opts(opts))


class DaemonSet(pulumi.CustomResource):
    """``kubernetes:apps/v1:DaemonSet``."""

    def __init__(self, resource_name: str, metadata: Input = None, spec: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:apps/v1:DaemonSet", resource_name,
                         {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata, "spec": spec, "status": None},
                         _opts(opts, _aliases("DaemonSet", "apps/v1beta2", "extensions/v1beta1")))


class Deployment(pulumi.CustomResource):
    """``kubernetes:apps/v1:Deployment``."""

    def __init__(self, resource_name: str, metadata: Input = None, spec: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:apps/v1:Deployment", resource_name,
                         {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec, "status": None},
                         _opts(opts, _aliases("Deployment", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1")))


class Release(pulumi.CustomResource):
    """``kubernetes:helm.sh/v3:Release``, with the inputs infermon sets (``repository_opts``: ``{"repo": url}``)."""

    def __init__(self, resource_name: str, *, chart: Input, name: Input = None, version: Input = None, repository_opts: Input = None,
                 namespace: Input = None, values: Input = None, timeout: Input = None, cleanup_on_fail: Input = None,
                 skip_crds: Input = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("kubernetes:helm.sh/v3:Release", resource_name, {
            "chart": chart, "cleanupOnFail": cleanup_on_fail, "compat": "true", "name": name, "namespace": namespace,
            "repositoryOpts": repository_opts, "skipCrds": skip_crds, "timeout": timeout, "values": values, "version": version,
            "status": None,
        }, _opts(opts))
