"""Observers that copy Kubric trait changes onto Blender data (values and keyframes).

Kubric assets are traitlets objects: a view registers callables with ``asset.observe(...)``.
A ``"change"`` notification carries the new value; a ``"keyframe"`` notification asks to store the
current value as a keyframe at ``change.frame``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from kubric.core.assets import UndefinedAsset


class SetAttribute:
    """On a change, ``setattr(target, attribute, converter(new_value))``."""

    def __init__(self, target: Any, attribute: str, converter: Optional[Callable] = None):
        self.target, self.attribute, self.converter = target, attribute, converter

    def __call__(self, change) -> None:
        value = change.new
        if isinstance(value, UndefinedAsset):
            return
        if self.converter is not None:
            value = self.converter(value)
        setattr(self.target, self.attribute, value)


class InsertKeyframe:
    """On a keyframe notification, key ``target.attribute`` at ``change.frame``."""

    def __init__(self, target: Any, attribute: str):
        self.target, self.attribute = target, attribute

    def __call__(self, change) -> None:
        self.target.keyframe_insert(self.attribute, frame=change.frame)


def bind(
    asset, trait: str, target: Any, attribute: str, converter: Optional[Callable] = None
) -> None:
    """Keep ``target.attribute`` equal to ``asset.<trait>``, including keyframes."""
    asset.observe(SetAttribute(target, attribute, converter), trait)
    asset.observe(InsertKeyframe(target, attribute), trait, type="keyframe")


def bind_object3d(asset, blender_object) -> None:
    """Bind position and orientation (quaternion, w first) of any Kubric ``Object3D``."""
    blender_object.rotation_mode = "QUATERNION"
    bind(asset, "position", blender_object, "location")
    bind(asset, "quaternion", blender_object, "rotation_quaternion")
