"""File names from mail: cleaned of what is clearly not part of the name, and made harmless.

What a sender's client writes is kept, except what is certainly not the name: control
characters, format controls (U+202E RIGHT-TO-LEFT OVERRIDE shows 「…fdp.exe」 as 「…exe.pdf」;
zero-width characters hide differences), stray double quotes at either end, and a MIME header
glued to the end of the name by a broken client (「….pdf Content-Transfer-Encoding: 8bit」).
Every cleaning is said, in Japanese, with the name as sent. Nothing else is touched: an
apostrophe, quotes inside the name or the word "Content" in it stay.
"""

from __future__ import annotations

import re

from intake.adapters.mimedefects import DISPLAY_CONTROL_RE, shown
from intake.domain.text import code_point, format_controls, without_format_controls

__all__ = ["SAFE_BASENAME_MAX", "clean_filename", "safe_basename"]

SAFE_BASENAME_MAX = 200
_NAME_SHOWN = 200

# A MIME header that a broken client wrote into the name (no line break before it).
_GLUED_HEADER_RE = re.compile(
    r"\s+(?:Content-(?:Transfer-Encoding|Type|Disposition|ID|Description|Location)|MIME-Version)"
    r"\s*:.*\Z",
    re.IGNORECASE | re.DOTALL,
)


def clean_filename(name: str) -> tuple[str, list[str]]:
    """The name without debris, and one Japanese note per kind of cleaning done."""
    notes: list[str] = []
    sent = name
    cleaned = DISPLAY_CONTROL_RE.sub("", name)
    if cleaned != name:
        notes.append(
            f"添付ファイル名から制御文字を取り除きました（元の名前: {shown(sent, _NAME_SHOWN)}）"
        )
    controls = format_controls(cleaned)
    if controls:
        cleaned = without_format_controls(cleaned)
        listed = "、".join(code_point(ch) for ch in controls)
        notes.append(
            f"添付ファイル名に、表示される名前を変えてしまう書式制御文字（{listed}）があったため、"
            f"取り除いた名前で判定しました（元の名前: {shown(sent, _NAME_SHOWN)}）"
        )
    removed: list[str] = []
    glued = _GLUED_HEADER_RE.search(cleaned)
    if glued and cleaned[: glued.start()].strip(' "'):
        removed.append(glued.group().strip().rstrip('"'))
        cleaned = cleaned[: glued.start()]
    unquoted = _without_stray_quotes(cleaned)
    if unquoted != cleaned:
        removed.append('"')
        cleaned = unquoted
    if removed:
        pieces = "、".join(f"「{shown(piece)}」" for piece in removed)
        notes.append(
            f"添付ファイル名の前後にあった名前の一部ではない文字（{pieces}）を取り除いて判定しました"
            f"（元の名前: {shown(sent, _NAME_SHOWN)}）"
        )
    return cleaned, notes


def _without_stray_quotes(name: str) -> str:
    """Double quotes at the ends that cannot belong to the name: an unpaired one, or a pair
    around all of it. 「"YAMADA" Taro.pdf」 keeps its quotes."""
    for _ in range(3):
        text = name.strip()
        if len(text) > 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        elif text.count('"') % 2 == 1 and text.endswith('"'):
            text = text[:-1]
        elif text.count('"') % 2 == 1 and text.startswith('"'):
            text = text[1:]
        if text == name.strip() or not text.strip():
            return name
        name = text
    return name.strip()


def safe_basename(filename: str) -> str:
    """Reduce a sender-supplied file name to a harmless display/export name.

    Drops any directory part (``/`` and ``\\``) and drive prefix, removes control characters
    and format controls, and truncates to 200 characters keeping the extension.  Returns
    ``"attachment"`` if nothing usable is left.
    """
    name = without_format_controls(DISPLAY_CONTROL_RE.sub("", filename))
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"^[A-Za-z]:", "", name).strip()
    if name in {"", ".", ".."}:
        return "attachment"
    if len(name) > SAFE_BASENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: SAFE_BASENAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:SAFE_BASENAME_MAX]
    return name
