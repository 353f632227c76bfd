"""The camera/sensor model at render time: what a real camera does to the light a render computed.

:func:`apply_sensor` turns a clean rendered RGB image into the photo a
:class:`scenes.spec.SensorSpec` describes. It runs after the colour pass and before the image is
written, on the RGB only: label passes (ids, depth, normals, boxes) stay those of the sharp,
noise-free scene, so a blurred edge spreads over pixels the labels assign to one side of it
(documented, intended: the labels say where the object *is*).

Order (physical; optics and noise act on linear light): auto exposure (scale to a metered
key: mean sRGB luminance), exposure error and white-balance gains,
lens blur (Gaussian) then defocus (disk) then motion blur (line), lateral chromatic aberration
(red scaled outward, blue inward about the centre), vignetting (1 - v * r^2, r = 1 at the
corners), clipping at full well, sensor noise (Gaussian, sigma^2 = read^2 + shot^2 * signal),
then the camera's processing: saturation (chroma about the luminance), sRGB encoding with an
S-shaped tone curve (contrast), the *finish* a phone's image processor applies (auto levels:
black and white points stretched towards the image's 0.5 / 99.5 % luminance percentiles; clarity:
large-radius local contrast; sharpening: an unsharp mask of 1 output pixel), 8 bits, and JPEG
re-encoding. Deterministic: the noise comes from ``sensor.seed`` and OpenCV's filters are
exact, so the same spec gives the same bytes.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from scenes.spec import SensorSpec


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] -> linear light."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light (clipped to [0, 1]) -> sRGB in [0, 1]."""
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


_LINEAR_OF_BYTE = srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0).astype(np.float32)
_LUT_STEPS = 1 << 16
_BYTE_OF_LINEAR = (
    linear_to_srgb(np.arange(_LUT_STEPS, dtype=np.float64) / (_LUT_STEPS - 1)) * 255 + 0.5
).astype(np.uint8)


def apply_sensor(image: np.ndarray, sensor: SensorSpec) -> np.ndarray:
    """``image`` (uint8 (H, W, 3|4) sRGB) as the modelled camera records it: uint8 (H, W, 3)."""
    linear = _LINEAR_OF_BYTE[image[..., :3]]
    width = linear.shape[1]
    if sensor.auto_exposure > 0:
        linear = linear * np.float32(metered_gain(linear, sensor.auto_exposure))
    linear *= np.float32(2.0**sensor.exposure) * np.asarray(sensor.white_balance, np.float32)
    linear = optical_blur(
        linear,
        sensor.blur * width,
        sensor.defocus * width,
        sensor.motion * width,
        sensor.motion_angle,
    )
    linear = chromatic_aberration(linear, sensor.chromatic_aberration * width)
    linear *= vignetting_mask(linear.shape[:2], sensor.vignetting)[..., None]
    linear = sensor_noise(np.clip(linear, 0, 1), sensor.shot_noise, sensor.read_noise, sensor.seed)
    if sensor.saturation != 1.0:
        grey = (linear @ _LUMINANCE_WEIGHTS)[..., None]
        linear = grey + np.float32(sensor.saturation) * (linear - grey)
    srgb = _BYTE_OF_LINEAR[(np.clip(linear, 0, 1) * (_LUT_STEPS - 1) + 0.5).astype(np.int32)]
    if sensor.contrast > 0:
        srgb = tone_curve(srgb, sensor.contrast)
    srgb = camera_finish(srgb, sensor.levels, sensor.clarity, sensor.sharpen)
    return jpeg_roundtrip(srgb, sensor.jpeg_quality) if sensor.jpeg_quality else srgb


_LUMINANCE_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], np.float32)


def metered_gain(linear: np.ndarray, key: float, iterations: int = 4) -> float:
    """Gain on linear light that makes the image's mean sRGB luminance ``key`` (clipping
    included), by a few fixed-point steps on the exposure; kept within 1/64..64."""
    gain = 1.0
    luminance = np.clip(linear @ _LUMINANCE_WEIGHTS, 0, None)
    for _ in range(iterations):
        mean = float(linear_to_srgb(np.clip(luminance * gain, 0, 1)).mean())
        if mean <= 1e-4:
            return gain
        gain *= (key / mean) ** 2.2  # sRGB ~ linear^(1/2.2)
        gain = min(max(gain, 1 / 64), 64.0)
    return gain


def tone_curve(srgb: np.ndarray, contrast: float) -> np.ndarray:
    """uint8 sRGB through (1 - c) * s + c * smoothstep(s): more contrast in the mid-tones,
    black and white fixed."""
    levels = np.arange(256, dtype=np.float64) / 255.0
    curve = (1 - contrast) * levels + contrast * levels * levels * (3 - 2 * levels)
    return (curve * 255 + 0.5).astype(np.uint8)[srgb]


LEVELS_PERCENTILES = (0.5, 99.5)  # luminance percentiles auto levels stretches towards 0 and 1
CLARITY_RADIUS = 1 / 24  # Gaussian sigma of the clarity (local contrast) step, fraction of width
SHARPEN_RADIUS_PX = 1.0  # Gaussian sigma of the unsharp mask, output pixels


def camera_finish(srgb: np.ndarray, levels: float, clarity: float, sharpen: float) -> np.ndarray:
    """uint8 sRGB through a phone's finishing steps; all three 0 = the same bytes.

    ``levels`` in [0, 1]: the black point moves from 0 to ``levels`` x the 0.5 % luminance
    percentile and the white point from 1 towards the 99.5 % one, the values are stretched
    linearly between them (clipped), and :func:`keep_mean_luminance` restores the mean
    luminance (the metered key). ``clarity`` and ``sharpen``: ``x + a * (x - blur(x))`` with a
    Gaussian of sigma :data:`CLARITY_RADIUS` x width and :data:`SHARPEN_RADIUS_PX`."""
    if levels <= 0 and clarity <= 0 and sharpen <= 0:
        return srgb
    values = srgb.astype(np.float32) / 255.0
    if levels > 0:
        luminance = values @ _LUMINANCE_WEIGHTS
        low, high = np.percentile(luminance, LEVELS_PERCENTILES)
        black, white = levels * low, 1.0 - levels * (1.0 - high)
        values = np.clip((values - black) / max(white - black, 1e-3), 0.0, 1.0)
        values = keep_mean_luminance(values, float(luminance.mean()))
    for amount, sigma in (
        (clarity, CLARITY_RADIUS * values.shape[1]),
        (sharpen, SHARPEN_RADIUS_PX),
    ):
        if amount > 0:
            smooth = cv2.GaussianBlur(values, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
            values = values + np.float32(amount) * (values - smooth)
    return (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def keep_mean_luminance(values: np.ndarray, mean: float, iterations: int = 3) -> np.ndarray:
    """``values`` (float sRGB in [0, 1]) with their luminance through a gamma that brings its mean
    back to ``mean`` (a few fixed-point steps, to about 0.001); each pixel's RGB is scaled by its
    luminance's change, so hue and saturation stay. The auto exposure's key stays the photo's
    brightness after the finish stretched the levels."""
    if not 0.02 < mean < 0.98:
        return values
    luminance = np.maximum(values @ _LUMINANCE_WEIGHTS, 1e-4)
    target = luminance
    for _ in range(iterations):
        current = float(target.mean())
        if not 0.02 < current < 0.98 or abs(current - mean) < 1e-3:
            break
        target = target ** np.float32(math.log(mean) / math.log(current))
    return np.clip(values * (target / luminance)[..., None], 0.0, 1.0)


def optical_blur(
    linear: np.ndarray,
    sigma: float,
    defocus_radius: float,
    motion_length: float,
    motion_angle: float,
) -> np.ndarray:
    """Gaussian (sigma px), disk (radius px) and line (length px at ``motion_angle`` rad)
    blurs; each skipped below a tenth of a pixel. Borders are reflected."""
    if sigma > 0.1:
        linear = cv2.GaussianBlur(linear, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    if defocus_radius > 0.1:
        linear = cv2.filter2D(
            linear, -1, disk_kernel(defocus_radius), borderType=cv2.BORDER_REFLECT
        )
    if motion_length > 0.1:
        linear = cv2.filter2D(
            linear, -1, line_kernel(motion_length, motion_angle), borderType=cv2.BORDER_REFLECT
        )
    return linear


def disk_kernel(radius: float) -> np.ndarray:
    """Normalised disk of ``radius`` px (at least half a pixel), anti-aliased by 4x4
    supersampling."""
    radius = max(radius, 0.5)
    half = int(math.ceil(radius))
    offsets = (np.arange(4) + 0.5) / 4 - 0.5
    grid = np.arange(-half, half + 1, dtype=np.float32)
    ys = grid[:, None, None, None] + offsets[None, None, :, None]
    xs = grid[None, :, None, None] + offsets[None, None, None, :]
    kernel = ((xs**2 + ys**2) <= radius**2).mean(axis=(2, 3)).astype(np.float32)
    return kernel / kernel.sum()


def line_kernel(length: float, angle: float) -> np.ndarray:
    """Normalised line of ``length`` px at ``angle`` (radians from +x), anti-aliased."""
    half = int(math.ceil(length / 2)) + 1
    kernel = np.zeros((2 * half + 1, 2 * half + 1), np.float32)
    steps = max(int(length * 8), 2)
    for t in np.linspace(-length / 2, length / 2, steps):
        x, y = half + t * math.cos(angle), half + t * math.sin(angle)
        x0, y0 = int(math.floor(x)), int(math.floor(y))
        fx, fy = x - x0, y - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    return kernel / kernel.sum()


def chromatic_aberration(linear: np.ndarray, shift_px: float) -> np.ndarray:
    """Red scaled outward and blue inward about the image centre so each moves ``shift_px``
    at the corners (lateral chromatic aberration); green stays."""
    if shift_px <= 0.05:
        return linear
    height, width = linear.shape[:2]
    corner = math.hypot(width / 2, height / 2)
    result = linear.copy()
    for channel, sign in ((0, 1.0), (2, -1.0)):
        zoom = 1.0 + sign * shift_px / corner
        matrix = cv2.getRotationMatrix2D((width / 2 - 0.5, height / 2 - 0.5), 0.0, zoom)
        result[..., channel] = cv2.warpAffine(
            np.ascontiguousarray(linear[..., channel]),
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
    return result


def vignetting_mask(shape: tuple[int, int], strength: float) -> np.ndarray:
    """Gain per pixel: 1 - strength * r^2 with r the distance from the centre (1 at corners)."""
    height, width = shape
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = np.hypot((cols + 0.5) / width - 0.5, (rows + 0.5) / height - 0.5) / np.sqrt(0.5)
    return (1.0 - strength * radius**2).astype(np.float32)


def sensor_noise(linear: np.ndarray, shot: float, read: float, seed: int) -> np.ndarray:
    """Signal plus Gaussian noise of sigma sqrt(read^2 + shot^2 * signal), seeded."""
    if shot <= 0 and read <= 0:
        return linear
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(read**2 + shot**2 * linear).astype(np.float32)
    return linear + rng.standard_normal(linear.shape, dtype=np.float32) * sigma


def jpeg_roundtrip(srgb: np.ndarray, quality: int) -> np.ndarray:
    """Encode as JPEG at ``quality`` (1-100) and decode again (uint8 RGB)."""
    ok, encoded = cv2.imencode(
        ".jpg", np.ascontiguousarray(srgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])


def apply_to_passes(raw, sensor: SensorSpec | None) -> None:
    """Apply ``sensor`` (if any) to the RGB of a backend's raw passes, in place; alpha and every
    label pass stay as rendered."""
    if sensor is not None:
        raw.rgba[..., :3] = apply_sensor(raw.rgba, sensor)
