"""Small real images for upload tests, made with Pillow."""

from __future__ import annotations

from io import BytesIO

from PIL import Image


def png_bytes(size: tuple[int, int] = (4, 3), colour: str = "navy") -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def image_bytes(kind: str) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, format=kind)
    return buffer.getvalue()
