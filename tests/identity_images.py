"""Rendered identity markings for OCR tests and bench/ocr.py: ISO 6346 container doors, Kazakh
vehicle plates and CIS rail wagon numbers, with perspective, blur, dirt and small text.

Fonts are the DejaVu files shipped in the repository (backend/idk/fonts), so every machine
renders the same pixels for a seed. `char_px` is the height of a capital letter in the frame.

    number = random_container(rng); frame = container_door(number, 20, rng)
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from contract.numbers import iso6346_check_digit, wagon_check_digit

FONT_DIR = Path(__file__).resolve().parents[1] / "backend" / "idk" / "fonts"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
CAP_HEIGHT = 0.73  # DejaVu Sans capitals are 0.73 em tall
FRAME = (960, 540)  # what the pipeline hands OCR (validate.OCR_SIDE)
Kind = Literal["container", "plate", "wagon"]


def random_container(rng: np.random.Generator) -> str:
    owner = "".join(rng.choice(list(string.ascii_uppercase), 3)) + "U"
    serial = "".join(str(d) for d in rng.integers(0, 10, 6))
    return owner + serial + str(iso6346_check_digit(owner + serial))


def random_plate(rng: np.random.Generator) -> str:
    """A Kazakh plate: 3 digits, 3 letters (people) or 2 (legal entities), 2-digit region."""
    letters = "".join(rng.choice(list("ABCDEFGHKLMNPRSTUVXYZ"), 3 if rng.random() < 0.6 else 2))
    digits = f"{int(rng.integers(1, 1000)):03d}"
    return digits + letters + f"{int(rng.integers(1, 21)):02d}"


def random_wagon(rng: np.random.Generator) -> str:
    first7 = str(int(rng.choice([2, 3, 4, 5, 6, 7, 8, 9]))) + "".join(
        str(d) for d in rng.integers(0, 10, 6)
    )
    return first7 + str(wagon_check_digit(first7))


def _font(char_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD), max(6, round(char_px / CAP_HEIGHT)))


def _text_block(lines: list[list[tuple[str, bool]]], char_px: float, fg: tuple, bg: tuple,
                pad: float = 0.6) -> np.ndarray:  # fmt: skip
    """Lines of (text, boxed) runs drawn on `bg`; a boxed run gets a frame (check digits)."""
    font = _font(char_px)
    gap = char_px * 0.55
    widths = [sum(font.getlength(t) + gap for t, _ in line) for line in lines]
    w = int(max(widths) + 2 * pad * char_px) + 4
    h = int(len(lines) * char_px * 1.8 + 2 * pad * char_px) + 4
    img = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(img)
    y = pad * char_px
    for line in lines:
        x = pad * char_px
        for text, boxed in line:
            draw.text((x, y), text, font=font, fill=fg)
            tw = font.getlength(text)
            if boxed:
                m = char_px * 0.25
                box = (x - m, y - m + char_px * 0.2, x + tw + m, y + char_px * 1.25 + m)
                draw.rectangle(box, outline=fg, width=max(1, round(char_px / 10)))
            x += tw + gap
        y += char_px * 1.8
    return np.asarray(img)


def _place(block: np.ndarray, background: np.ndarray, rng: np.random.Generator,
           tilt: float) -> np.ndarray:  # fmt: skip
    """Warp the block with a random perspective and paste it into the frame."""
    fh, fw = background.shape[:2]
    bh, bw = block.shape[:2]
    scale = min(1.0, 0.8 * fw / bw, 0.7 * fh / bh)
    bw2, bh2 = bw * scale, bh * scale
    x0 = rng.uniform(0.05 * fw, max(0.05 * fw, fw - bw2 - 0.05 * fw))
    y0 = rng.uniform(0.05 * fh, max(0.05 * fh, fh - bh2 - 0.05 * fh))
    j = tilt * min(bw2, bh2 * 3)
    src = np.float32([[0, 0], [bw, 0], [bw, bh], [0, bh]])
    dst = np.float32([[x0 + rng.uniform(-j, j) * 0.3, y0 + rng.uniform(-j, j) * 0.3]
                      for _ in range(4)])  # fmt: skip
    dst += np.float32([[0, 0], [bw2, 0], [bw2, bh2], [0, bh2]])
    dst[1, 1] += rng.uniform(-1, 1) * tilt * bh2  # one side further from the camera
    dst[2, 1] -= rng.uniform(-1, 1) * tilt * bh2 * 0.5
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(block, m, (fw, fh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((bh, bw), 255, np.uint8), m, (fw, fh))
    out = background.copy()
    out[mask > 127] = warped[mask > 127]
    return out


def _degrade(frame: np.ndarray, rng: np.random.Generator, blur: float, dirt: float,
             motion: bool, fade: float = 0.0) -> np.ndarray:  # fmt: skip
    out = frame.astype(np.float32)
    if fade > 0:  # faded paint, haze: contrast pulled towards the mean
        out = out.mean() + (out - out.mean()) * (1.0 - fade)
    h, w = frame.shape[:2]
    for _ in range(int(dirt * 60)):  # grime: soft brown blotches
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        r = int(rng.integers(3, 18))
        layer = np.zeros((h, w), np.float32)
        cv2.circle(layer, c, r, 1.0, -1)
        layer = cv2.GaussianBlur(layer, (0, 0), r / 2 + 1) * rng.uniform(0.2, 0.6)
        out = out * (1 - layer[..., None]) + np.float32([70, 55, 40]) * layer[..., None]
    if motion:
        k = int(rng.integers(3, 10))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        out = cv2.filter2D(out, -1, kernel)
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    out += rng.normal(0, 3.0, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def _corrugated(color: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    w, h = FRAME
    bg = np.zeros((h, w, 3), np.uint8)
    bg[:] = color
    period = int(rng.integers(14, 26))
    shade = tuple(max(0, c - 25) for c in color)
    for x in range(0, w, period):
        cv2.line(bg, (x, 0), (x, h), shade, max(2, period // 4))
    return bg


def container_door(number: str, char_px: float, rng: np.random.Generator, *,
                   blur: float = 0.0, dirt: float = 0.0, tilt: float = 0.1,
                   motion: bool = False, fade: float = 0.0) -> np.ndarray:  # fmt: skip
    """An ISO 6346 door marking: owner code, serial and the boxed check digit; size/type below."""
    colors = [((40, 90, 150), (245, 245, 245)), ((150, 40, 35), (245, 245, 245)),
              ((200, 200, 195), (25, 25, 25)), ((35, 110, 60), (240, 240, 240))]  # fmt: skip
    bg_color, fg = colors[int(rng.integers(len(colors)))]
    size_type = str(rng.choice(["22G1", "45G1", "42R1", "22U1"]))
    lines = [[(number[:4], False), (number[4:10], False), (number[10], True)], [(size_type, False)]]
    block = _text_block(lines, char_px, fg, bg_color)
    frame = _place(block, _corrugated(bg_color, rng), rng, tilt)
    return _degrade(frame, rng, blur, dirt, motion, fade)


def kazakh_plate(plate: str, char_px: float, rng: np.random.Generator, *,
                 blur: float = 0.0, dirt: float = 0.0, tilt: float = 0.1,
                 motion: bool = False, fade: float = 0.0) -> np.ndarray:  # fmt: skip
    """White plate: flag and KZ at the left, `123 ABC` in the middle, the region boxed right."""
    digits, letters, region = plate[:3], plate[3:-2], plate[-2:]
    font = _font(char_px)
    small = _font(char_px * 0.45)
    pad = char_px * 0.35
    flag_w = char_px * 0.9
    main = f"{digits} {letters}"
    main_w, region_w = font.getlength(main), font.getlength(region)
    w = int(pad * 4 + flag_w + main_w + region_w + pad * 2)
    h = int(char_px * 1.6)
    img = Image.new("RGB", (w, h), (248, 248, 248))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w - 1, h - 1), outline=(10, 10, 10), width=max(1, round(char_px / 12)))
    draw.rectangle((pad, pad * 0.8, pad + flag_w, h * 0.55), fill=(0, 160, 200))
    draw.ellipse((pad + flag_w * 0.3, h * 0.15, pad + flag_w * 0.7, h * 0.4), fill=(250, 210, 0))
    draw.text((pad, h * 0.6), "KZ", font=small, fill=(10, 10, 10))
    x = pad * 2.5 + flag_w
    y = (h - char_px) / 2 - char_px * 0.18
    draw.text((x, y), main, font=font, fill=(10, 10, 10))
    sep = x + main_w + pad * 0.8
    draw.line((sep, 0, sep, h), fill=(10, 10, 10), width=max(1, round(char_px / 12)))
    draw.text((sep + pad * 0.8, y), region, font=font, fill=(10, 10, 10))
    body = _corrugated(tuple(int(c) for c in rng.integers(60, 200, 3)), rng)  # type: ignore[arg-type]
    frame = _place(np.asarray(img), body, rng, tilt)
    return _degrade(frame, rng, blur, dirt, motion, fade)


def wagon_side(number: str, char_px: float, rng: np.random.Generator, *,
               blur: float = 0.0, dirt: float = 0.0, tilt: float = 0.1,
               motion: bool = False, fade: float = 0.0) -> np.ndarray:  # fmt: skip
    """A CIS wagon's side: the 8-digit number stencilled large, tare and capacity below."""
    bg_color = [(95, 55, 40), (60, 75, 60), (50, 50, 55)][int(rng.integers(3))]
    shown = number if rng.random() < 0.5 else f"{number[:4]} {number[4:]}"
    tare = f"{rng.uniform(20, 28):.1f}"
    lines = [[(shown, False)], [(f"ГП {int(rng.integers(60, 75))}т", False), (tare, False)]]
    block = _text_block(lines, char_px, (235, 235, 230), bg_color, pad=0.8)
    frame = _place(block, _corrugated(bg_color, rng), rng, tilt)
    return _degrade(frame, rng, blur, dirt, motion, fade)


RENDER = {"container": container_door, "plate": kazakh_plate, "wagon": wagon_side}
RANDOM = {"container": random_container, "plate": random_plate, "wagon": random_wagon}
