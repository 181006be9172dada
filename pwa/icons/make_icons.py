"""Draws the app icons (run once; the PNGs are committed): `python pwa/icons/make_icons.py`.

A camera lens inside a shield on customs blue, with a tick: "filmed and proven". The maskable
variant keeps the drawing inside the 80 % safe zone so launchers may crop it to any shape.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
BLUE = (11, 61, 145, 255)
WHITE = (255, 255, 255, 255)
GOLD = (255, 196, 0, 255)


def draw(size: int, safe: float) -> Image.Image:
    """`safe` is the share of the canvas the drawing may use (1.0 = full, 0.8 = maskable)."""
    scale = 4  # draw large, then downsample: smooth edges without antialiasing support
    s = size * scale
    img = Image.new("RGBA", (s, s), BLUE if safe < 1 else (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if safe >= 1:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 6, fill=BLUE)
    m = s * (1 - safe) / 2 + s * 0.12
    box = (m, m, s - m, s - m)
    w = box[2] - box[0]
    # shield
    top, left, right = box[1], box[0] + w * 0.08, box[2] - w * 0.08
    mid = (left + right) / 2
    d.polygon(
        [(left, top + w * 0.12), (mid, top), (right, top + w * 0.12), (right, top + w * 0.5),
         (mid, box[3]), (left, top + w * 0.5)],
        fill=WHITE,
    )
    # lens
    r = w * 0.2
    cy = top + w * 0.38
    d.ellipse((mid - r, cy - r, mid + r, cy + r), fill=BLUE)
    r2 = r * 0.5
    d.ellipse((mid - r2, cy - r2, mid + r2, cy + r2), fill=GOLD)
    # tick
    t = w * 0.07
    d.line([(mid - w * 0.16, top + w * 0.7), (mid - w * 0.04, top + w * 0.8),
            (mid + w * 0.18, top + w * 0.6)], fill=GOLD, width=int(t), joint="curve")
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    for size in (192, 512):
        draw(size, 1.0).save(HERE / f"icon-{size}.png", optimize=True)
    draw(512, 0.8).save(HERE / "icon-maskable-512.png", optimize=True)
    draw(180, 0.9).convert("RGB").save(HERE / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
