"""Dev-only: draw the Teams icons color.png and outline.png with Pillow (not a runtime dependency)."""

# Run once from the repository root with a scratch venv that has Pillow:
#   python -m venv /tmp/pillowvenv && /tmp/pillowvenv/bin/pip install pillow
#   /tmp/pillowvenv/bin/python manifest/tools/make_icons.py
# The PNGs are committed; the bot never imports this file.

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

MANIFEST_DIR = Path(__file__).resolve().parent.parent
ACCENT = (31, 78, 95)  # #1F4E5F, the manifest's accentColor
GOLD = (242, 183, 5)
GOLD_SHADE = (196, 140, 20)
HIGHLIGHT = (255, 228, 130)
SUPERSAMPLE = 8  # draw large, shrink with a good filter: cheap anti-aliasing


def _nugget(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """A lumpy, slightly flattened blob that reads as a gold nugget."""
    points = []
    steps = 72
    for i in range(steps):
        angle = 2 * math.pi * i / steps
        k = 1 + 0.10 * math.sin(3 * angle + 0.6) + 0.06 * math.sin(5 * angle + 1.9)
        points.append((cx + r * k * math.cos(angle) * 1.2, cy + r * k * math.sin(angle) * 0.9))
    return points


def _draw_sieve(
    draw: ImageDraw.ImageDraw, size: int, rim: int, pitch: float, fill: int | tuple[int, ...]
) -> None:
    """A round sieve seen from above: a rim with a square mesh inside it."""
    c = size / 2
    outer = size * 0.42
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=fill, width=rim)
    mesh = outer - rim * 1.5
    line = max(1, rim // 3)
    offset = -math.floor(mesh / pitch) * pitch
    while offset <= mesh:
        half = math.sqrt(max(mesh**2 - offset**2, 0))
        draw.line((c + offset, c - half, c + offset, c + half), fill=fill, width=line)
        draw.line((c - half, c + offset, c + half, c + offset), fill=fill, width=line)
        offset += pitch


def make_color(size: int = 192) -> Image.Image:
    """The full-colour icon: a gold sieve and nugget on the accent colour."""
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), ACCENT)
    draw = ImageDraw.Draw(image)
    _draw_sieve(draw, big, rim=int(big * 0.06), pitch=big * 0.12, fill=GOLD_SHADE)
    c = big / 2
    draw.polygon(_nugget(c, c, big * 0.24), fill=ACCENT)  # a moat so the nugget stands off the mesh
    draw.polygon(_nugget(c, c, big * 0.19), fill=GOLD)
    draw.polygon(_nugget(c - big * 0.06, c - big * 0.05, big * 0.055), fill=HIGHLIGHT)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def make_outline(size: int = 32) -> Image.Image:
    """The outline icon: the sieve's rim and nugget in pure white on a transparent background."""
    big = size * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    # At 32 pixels a mesh turns to mush: keep the rim and the nugget only.
    c = big / 2
    outer = big * 0.42
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=255, width=int(big * 0.09))
    draw.polygon(_nugget(c, c + big * 0.02, big * 0.2), fill=255)
    alpha = mask.resize((size, size), Image.Resampling.LANCZOS)
    # Every pixel is white; only alpha varies, as Teams asks of outline icons.
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    image.putalpha(alpha)
    return image


def main() -> None:
    """Write both icons next to manifest.json."""
    make_color().save(MANIFEST_DIR / "color.png", optimize=True)
    make_outline().save(MANIFEST_DIR / "outline.png", optimize=True)


if __name__ == "__main__":
    main()
