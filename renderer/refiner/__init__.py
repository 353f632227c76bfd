"""Diffusion refiner: move rendered images toward a real-photo domain while keeping labels valid.

Pieces, one module each:

* :mod:`.images` — reading folders of photos, atomic PNG writes, uint8 <-> model tensors.
* :mod:`.hdri_photos` — the embedded "real photo" default: perspective crops of Blender's CC0 HDRIs.
* :mod:`.model` — the denoising UNet (diffusers ``UNet2DModel``), its config and the
  self-describing, resumable checkpoint file.
* :mod:`.training` — training from scratch on a folder of real images (random crops and flips).
* :mod:`.sdedit` — SDEdit refinement (noise to a strength, DDIM denoise, optional guidance by the
  render's low frequencies), whole-frame, tiled or resized.
* :mod:`.label_gate` — the label-consistency gate (edge alignment with instance boundaries, per-object
  structural similarity).
* :mod:`.gap` — a domain-gap score that needs no downloaded weights.
* :mod:`.dataset` — refining a native dataset folder: labels carried over byte-identical,
  manifest updated.

torch and diffusers are an optional extra (``pip install synthscene[refiner]``); only
:mod:`.model`, :mod:`.training` and :mod:`.sdedit` import them. :mod:`.label_gate`, :mod:`.gap` and
:mod:`.hdri_photos` need numpy/OpenCV/scikit-learn only.
"""

from renderer.refiner.errors import RefinerInputError

__all__ = ["RefinerInputError"]
