"""Run the CLI as a process, read its CSV, and look at the report in Chromium (Playwright)."""

from __future__ import annotations

import csv
import math
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE = ("--period", "2026-Q3", "--as-of", "2026-10-15")


def csmkpi(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``csmkpi`` as a process (the installed package), from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "csmkpi", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def ok(*args: str, cwd: Path = ROOT) -> str:
    done = csmkpi(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def chromium_or_skip() -> None:
    """Skip with a reason when Chromium is missing; under CI (env CI set) fail instead."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set: install the Debian package chromium")
    pytest.skip(f"{CHROMIUM} is missing (Debian package chromium); the browser tests need it")


def shown(text: str) -> tuple[float | None, int]:
    """A number as the page shows it (``▼ 0.3 pp``, ``≥ 102.0%``, ``−13,707``, ``—``) and its decimals."""
    t = text.replace(",", "").replace("−", "-").replace("≥", "").replace("≤", "").strip()
    if t in ("—", ""):
        return None, 0
    sign = 1.0
    if t.startswith("▲"):
        t = t[1:]
    elif t.startswith("▼"):
        sign, t = -1.0, t[1:]
    elif t.startswith("="):
        t = t[1:]
    t = re.sub(r"(pp|%| d)$", "", t.strip()).strip()
    decimals = len(t.split(".")[1]) if "." in t else 0
    return sign * float(t), decimals


def close_enough(text: str, raw: float, scale: int) -> bool:
    """The shown text is ``raw`` (times ``scale``) rounded to the text's own decimals."""
    value, decimals = shown(text)
    if value is None:
        return False
    return math.isclose(value, raw * scale, abs_tol=0.5 * 10**-decimals + 1e-9)


def png_colours(png: bytes, limit: int = 3) -> int:
    """How many distinct pixel colours a PNG has (counting stops at ``limit``); 8-bit RGB(A), not interlaced."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        body = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    data = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    seen: set[bytes] = set()
    for y in range(height):
        line = data[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, raw = line[0], bytearray(line[1:])
        for i in range(stride):
            left = raw[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                raw[i] = (raw[i] + left) & 255
            elif kind == 2:
                raw[i] = (raw[i] + up) & 255
            elif kind == 3:
                raw[i] = (raw[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                raw[i] = (raw[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = raw
        for x in range(0, stride, channels * 7):  # every 7th pixel is plenty to tell a blank image
            seen.add(bytes(raw[x : x + channels]))
            if len(seen) >= limit:
                return len(seen)
    return len(seen)
