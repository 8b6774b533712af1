"""Turning untrusted text into something safe to put in a one-line message."""

import unicodedata
from collections.abc import Iterable

ELLIPSIS = "..."

# Cc/Cf are what the brief is about (newlines, ESC, DEL, bidi overrides such as
# U+202E). Zl/Zp (U+2028/U+2029) also break a line, and Cs are the lone
# surrogates that os.fsdecode makes from undecodable file-name bytes: printing
# one raises UnicodeEncodeError, so they must be escaped too.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def printable(text: object, limit: int = 120) -> str:
    """Return ``text`` as one bounded line that is safe to show a user.

    Error messages name files and quote cells from files we did not write. A
    file name holding an escape sequence must never reach the terminal raw (it
    could recolour, move the cursor or retitle the window), and a 20 MB cell
    must not make a 20 MB message. So control and format characters are shown
    escaped the way Python's ``repr`` shows them (``\\n``, ``\\x1b``,
    ``\\u202e``), and a result longer than ``limit`` characters is cut in the
    middle with ``...`` so both ends stay visible (the end of a path is often
    the part that matters). Anything that is not a str is ``str()``-ed first.
    ``limit`` is raised to 5 if smaller, so the cut still shows both ends.
    """
    if not isinstance(text, str):
        text = str(text)
    limit = max(int(limit), len(ELLIPSIS) + 2)
    # Only the ends can be shown, and each escaped character is at least one
    # character long, so `limit` characters from each end are always enough:
    # never escape (or copy) the middle of a huge string.
    if len(text) <= limit:
        head_pieces = tail_pieces = _escaped_pieces(text)
    else:
        head_pieces = _escaped_pieces(text[:limit])
        tail_pieces = _escaped_pieces(text[-limit:])
    if len(text) <= limit and sum(map(len, head_pieces)) <= limit:
        return "".join(head_pieces)
    room = limit - len(ELLIPSIS)
    head = _take(head_pieces, room - room // 2)
    tail = _take(reversed(tail_pieces), room // 2)
    return "".join(head) + ELLIPSIS + "".join(reversed(tail))


def _escaped_pieces(text: str) -> list[str]:
    """One piece per character, so a cut never splits an escape like \\x1b."""
    return [_escape(char) for char in text]


def _escape(char: str) -> str:
    if unicodedata.category(char) in _UNSAFE_CATEGORIES:
        return repr(char)[1:-1]  # exactly Python's spelling: \n, \x1b, \u202e
    return char


def _take(pieces: Iterable[str], budget: int) -> list[str]:
    """The leading pieces whose total length fits in ``budget``."""
    taken: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) > budget:
            break
        taken.append(piece)
        used += len(piece)
    return taken
