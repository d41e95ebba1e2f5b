"""Text from an export made safe to print: terminal control sequences and bidirectional overrides
written as escapes (``\\x1b``, ``\\u202e``), so that a hostile value cannot clear the screen, recolour
it or reorder what a message says. Only messages are escaped; stored values stay as written.

>>> shown("EVIL\\x1b[2J\\u202e")
'EVIL\\\\x1b[2J\\\\u202e'
>>> shown("金额 ¥1,234\\t")
'金额 ¥1,234\\\\t'
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str | None:
    """``text`` with control and bidi-override characters escaped (None stays None). Newlines are
    escaped too: a message is one line."""
    if text is None:
        return None
    return _UNSAFE.sub(_escape, str(text))
