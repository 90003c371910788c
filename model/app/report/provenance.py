"""The provenance of every parameter, read from the comments of scenarios/uncalibrated_defaults.toml and calibrated.toml.

uncalibrated_defaults.toml gives each parameter a comment: a seed line ("003 L2776", "[000 L3867]"), "assumption",
"setting" or "derived". ``parameters()`` returns one row per assignment line (an inline table such as
``instruments = { events = 1.2, ... }`` is one row): its dotted key, value text, comment (the inline comment,
or else the comment block right above it), the section's own comment, and a kind:

- ``calibrated``: set by scenarios/calibrated.toml (value and 90 % posterior interval from its comment);
- ``setting``: a switch or scenario lever (comment starts with "setting");
- ``source`` / ``source_assumption``: cites a seed line (and also calls part of it an assumption);
- ``assumption``, ``derived``; ``other`` when the comment states none of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from propeller.scenarios.loader import SCENARIO_DIR

BASELINE = SCENARIO_DIR / "uncalibrated_defaults.toml"
CALIBRATED = SCENARIO_DIR / "calibrated.toml"

_SECTION = re.compile(r"^\s*\[([A-Za-z0-9_.\"-]+)\]\s*(?:#\s*(.*))?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
_SEED_REF = re.compile(r"\b00[0-4] L\d+|\bL\d+(?:-\d+)?\]|Table \d\.\d|model_notes|abm_anchors|Rogers|Bass \(1969\)")
_INTERVAL = re.compile(r"calibrated: 90 % interval\s+(\S+)\s+-\s+(\S+)")


@dataclass
class Parameter:
    key: str            # dotted key (for an inline table, the table's key)
    value: str          # value text as written in uncalibrated_defaults.toml
    comment: str        # what the file says about it
    section: str        # the section's dotted name
    section_note: str   # the section header's comment
    kind: str           # calibrated, setting, source, source_assumption, assumption, derived, other
    calibrated: dict | None = None   # {"value", "lo", "hi"} for calibrated parameters


def _split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of a TOML line: the first '#' outside a string starts the comment."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def classify(comment: str) -> str:
    low = comment.lower()
    if low.startswith("setting") or "bass limit" in low:  # a switch (the Bass-limit theory check)
        return "setting"
    has_source = bool(_SEED_REF.search(comment))
    if has_source and "assumption" in low:
        return "source_assumption"
    if has_source:
        return "source"
    if "assumption" in low:
        return "assumption"
    if "derived" in low:
        return "derived"
    return "other"


def calibrated_values(path: Path = CALIBRATED) -> dict[str, dict]:
    """dotted key -> {"value", "lo", "hi"} from the comments of calibrated.toml."""
    out: dict[str, dict] = {}
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        code, comment = _split_comment(line)
        m = _SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        m = _ASSIGN.match(code)
        if m and section:
            iv = _INTERVAL.search(comment)
            out[f"{section}.{m.group(1)}"] = {"value": m.group(2).strip(), "lo": iv.group(1) if iv else "",
                                              "hi": iv.group(2) if iv else ""}
    return out


def parameters(baseline: Path = BASELINE, calibrated: Path | None = CALIBRATED) -> list[Parameter]:
    """One row per parameter line of uncalibrated_defaults.toml, with its comment and kind (see the module docstring)."""
    cal = calibrated_values(calibrated) if calibrated is not None and Path(calibrated).exists() else {}
    rows: list[Parameter] = []
    section, section_note = "", ""
    block: list[str] = []   # the comment lines right above the current line
    for line in baseline.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            block = []
            continue
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#").strip())
            continue
        m = _SECTION.match(line)
        if m:
            section, section_note = m.group(1), (m.group(2) or "").strip()
            block = []
            continue
        code, comment = _split_comment(line)
        m = _ASSIGN.match(code)
        if not m:
            block = []
            continue
        name, value = m.group(1), m.group(2).strip()
        if name == "extends":
            continue
        key = f"{section}.{name}" if section else name
        above = " ".join(block)
        text = comment or above
        kind = classify(text)
        if kind == "other" and comment and above:  # an inline remark whose source is in the block above
            kind, text = classify(above), f"{comment} ({above})"
        row = Parameter(key, value, text, section, section_note, kind)
        if key in cal:
            row.kind, row.calibrated = "calibrated", cal[key]
        rows.append(row)
        block = []
    return rows


def scenario_header(path: str | Path) -> str:
    """The leading comment block of a scenario file (its description and motivating passage), as one paragraph."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    text: list[str] = []
    for line in lines:
        s = line.strip()
        if not s.startswith("#"):
            break
        text.append(s.lstrip("#").strip())
    paras = " ".join(t if t else "\n" for t in text).split("\n")
    return " ".join(p.strip() for p in paras if p.strip())
