"""Text that cannot act: user- and link-supplied text made inert before Streamlit shows it.

Streamlit renders almost every string it shows as GitHub-flavoured markdown: ``st.markdown``, captions, alerts,
toasts, headers, and the labels and help texts of widgets, buttons, tabs, expanders and metrics. A label, note,
annotator name, subset name, file name or link value typed by one visitor would then act on another's page: a
``[login](https://…)`` link, an ``![p](https://…)`` image the browser fetches, a bare ``https://…`` turned into a
link by remark-gfm, ``:red[…]`` and ``:material/…:`` directives, ``$…$`` LaTeX, headings and lists. Every such
text reaches the page through :func:`inert`, which returns markdown that shows exactly its characters::

    st.caption(f"{inert(annotator)} · session {session}")
    inert("[login](https://evil.example/login)")  # '\\\\[login\\\\](https:\\u2060//evil.example/login)'

How (each rule checked in chromium by tests/test_browser_page_text.py):

* whitespace runs, newlines included, become one space: the text stays one line, so no block (heading, list,
  table, quote, code block) can start inside it, and HTML shows a run of spaces as one anyway;
* the characters that open inline markdown, ``\\ ` * _ ~ [ ] < > $ | & #``, get a backslash: CommonMark shows a
  backslash-escaped ASCII punctuation character as that character (links, images, raw HTML, code, emphasis,
  LaTeX, entities, Streamlit's ``:color[…]`` directives);
* a leading ``-``, ``+`` or ``=`` and the ``.`` or ``)`` after leading digits get a backslash (a list item or a
  heading's underline when the text starts a line);
* GFM autolink literals and Streamlit's ``:material/…:`` icons and ``:emoji:`` shortcodes are found in the
  parsed text, after escapes are resolved, so a backslash does not stop them: a WORD JOINER (U+2060, invisible,
  no line break) goes after every ``:`` followed by a non-space (``https:⁠//``, ``:⁠smile:``), before every ``@``
  (``user⁠@host``) and between ``www`` and its ``.``.

The visible text is the input's (whitespace collapsed); its copied text carries the invisible joiners.
No Streamlit import: pure functions of strings.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
MARKDOWN_OPENERS = "\\`*_~[]<>$|&#"  # backslash-escaped wherever they stand
_ESCAPED = str.maketrans({c: "\\" + c for c in MARKDOWN_OPENERS})
_WHITESPACE = re.compile(r"\s+")
_LIST_MARKER = re.compile(r"^(\s?(?:\d{1,9})?)([-+=.)])")  # "- ", "+ ", "1. ", "1) ": a list when at a line's start
_AUTOLINK_COLON = re.compile(r":(?=\S|$)")  # https://, :material/…:, :smile:
_AUTOLINK_WWW = re.compile(r"(?<=www)\.", re.IGNORECASE)


def inert(text: object) -> str:
    """Markdown that Streamlit shows as exactly the characters of ``str(text)`` (whitespace runs as one space), with
    no link, image, HTML, directive, icon, emoji, LaTeX, emphasis or block structure: see the module docstring.

    >>> inert("**bold** [x](https://e.example)")
    '\\\\*\\\\*bold\\\\*\\\\* \\\\[x\\\\](https:\\u2060//e.example)'
    >>> inert("1. item")
    '1\\\\. item'
    """
    one_line = _WHITESPACE.sub(" ", str(text))
    escaped = one_line.translate(_ESCAPED)
    escaped = _LIST_MARKER.sub(r"\1\\\2", escaped)
    escaped = _AUTOLINK_COLON.sub(":" + WORD_JOINER, escaped)
    escaped = _AUTOLINK_WWW.sub(WORD_JOINER + ".", escaped)
    return escaped.replace("@", WORD_JOINER + "@")


def shown(markdown: str) -> str:
    """The text a reader sees of ``inert``'s output: the inverse of :func:`inert` up to whitespace, e.g. for a
    test comparing what a page shows with what was typed."""
    return re.sub(r"\\(.)", r"\1", markdown.replace(WORD_JOINER, ""))
