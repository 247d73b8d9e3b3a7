"""Where each page of a PDF starts in its cleaned text, so a citation can name its page.

The cleaner lays the kept lines out in order, each exactly as read (stripped) and separated
by one or two newlines; a dropped line (chrome, a reference) leaves no trace. So walking the
raw lines against the cleaned text finds every kept line at the cursor, and with it the
offset of each page's first kept line.
"""

from __future__ import annotations

from s1assist.corpus.reader import RawSource

_SEPARATORS = ("", "\n", "\n\n")


def page_starts(source: RawSource, text: str) -> tuple[int, ...]:
    """One offset per page (the first is 0); empty for a source without pages."""
    if not source.page_lines:
        return ()
    first_line_page = {line: page for page, line in enumerate(source.page_lines)}
    starts: list[int | None] = [None] * len(source.page_lines)
    cursor = 0
    page = 0
    for i, line in enumerate(source.lines):
        page = first_line_page.get(i, page)
        stripped = line.text.strip()
        if not stripped:
            continue
        for separator in _SEPARATORS:
            at = cursor + len(separator)
            if text.startswith(separator + stripped, cursor):
                if starts[page] is None:
                    starts[page] = at
                cursor = at + len(stripped)
                break
    # A page with no kept text starts where the next page with text does.
    resolved: list[int] = []
    following = len(text)
    for start in reversed(starts):
        following = start if start is not None else following
        resolved.append(following)
    resolved.reverse()
    resolved[0] = 0
    return tuple(resolved)
