"""Chart versions and container images are pinned (no ``latest``, no floating tag)."""

import re

from ._common import HELM_RELEASE, Resource, Rule, pod_spec

SEMVER = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$")


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest", "main", "master", "stable", "nightly")


def validate(r: Resource, config) -> list[str]:
    out = []
    if r.type == HELM_RELEASE:
        version = r.props.get("version") or ""
        if not SEMVER.match(version):
            out.append(f"chart {r.props.get('chart')!r} is not pinned to an exact version (version={version!r})")
    if r.type == "docker:index/remoteImage:RemoteImage" and not _image_pinned(r.props.get("name") or ""):
        out.append(f"Docker image {r.props.get('name')!r} is not pinned to a tag or digest")
    spec = pod_spec(r)
    if spec is not None:
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            if not _image_pinned(c.get("image", "")):
                out.append(f"container {c.get('name')!r} uses an unpinned image {c.get('image')!r}")
    return out


RULE = Rule("pinned-versions", "Helm charts and container images are pinned to exact versions.", validate)
