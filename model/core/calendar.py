"""Months as integers: the model's clock is one step per month from ``simulation.start``."""

from __future__ import annotations


def parse(ym: str) -> int:
    """'2024-03' -> absolute month number (year * 12 + month - 1)."""
    year, month = ym.split("-")
    return int(year) * 12 + int(month) - 1


def fmt(absolute: int) -> str:
    return f"{absolute // 12:04d}-{absolute % 12 + 1:02d}"


def offset(start: str, ym: str) -> int:
    """Months from ``start`` to ``ym`` (negative if before)."""
    return parse(ym) - parse(start)
