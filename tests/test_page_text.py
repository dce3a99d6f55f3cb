"""astrodisc.app.page_text.inert over hostile strings: every markdown opener escaped, every autolink literal and
Streamlit directive broken by a word joiner, one line, and the visible characters those typed. (What chromium
makes of it is tests/test_browser_page_text.py.)"""

from __future__ import annotations

import re

import pytest

from astrodisc.app.page_text import MARKDOWN_OPENERS, WORD_JOINER, inert, shown

HOSTILE = {  # what each string would do on a page if shown as markdown
    "link": "[login](https://evil.example/login)",
    "image": "![p](https://evil.example/p.png)",
    "reference link": "[x][1] [1]: https://evil.example/ref",
    "raw html": '<img src="https://evil.example/h.png"> <a href="https://evil.example">a</a>',
    "angle autolink": "<https://evil.example/angle>",
    "url literal": "see https://evil.example/u now",
    "www literal": "see WWW.evil.example and www.evil.example/x",
    "email literal": "write to user@evil.example",
    "mailto": "mailto:user@evil.example",
    "colour directive": ":red[red] :blue-background[b]",
    "material icon": ":material/star: star",
    "emoji shortcode": ":smile: :+1:",
    "latex": "$x^2$ and $$y$$",
    "emphasis": "**bold** _it_ ~~struck~~ `code`",
    "heading": "# heading",
    "bullet list": "- item",
    "plus list": "+ item",
    "ordered list": "12. item",
    "ordered list paren": "3) item",
    "table": "| a | b |\n|---|---|\n| 1 | 2 |",
    "blockquote": "> quoted",
    "setext": "title\n===",
    "code block": "    indented\n\n```\nfenced\n```",
    "entity": "&lt;b&gt; &#106;avascript",
    "backslash": "a\\[b](https://evil.example/bs)",
}


def _unescaped(text: str, char: str) -> list[int]:
    """Positions of ``char`` in ``text`` not preceded by an odd number of backslashes."""
    found = []
    for match in re.finditer(re.escape(char), text):
        run = len(text[: match.start()]) - len(text[: match.start()].rstrip("\\"))
        if run % 2 == 0:
            found.append(match.start())
    return found


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_markdown_opener_is_escaped(text):
    out = inert(text)
    assert {c: _unescaped(out, c) for c in MARKDOWN_OPENERS if c != "\\"} == {
        c: [] for c in MARKDOWN_OPENERS if c != "\\"
    }


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_no_autolink_literal_or_directive_survives(text):
    out = inert(text).lower()
    assert "://" not in out and "www." not in out
    assert re.search(r"[\w.+-]@", out) is None  # an email literal needs a word character right before "@"
    assert re.search(r":[\w/+-]", out) is None  # :smile:, :material/…:, :red[…], mailto:


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_text_is_one_line_and_reads_as_typed(text):
    out = inert(text)
    assert "\n" not in out and "\r" not in out
    assert shown(out) == re.sub(r"\s+", " ", text)  # whitespace runs shown as one space, as HTML shows them


@pytest.mark.parametrize(
    "text, escaped",
    [
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("12. item", "12\\. item"),
        ("3) item", "3\\) item"),
        ("= x", "\\= x"),
        ("a - b. c) 1.", "a - b. c) 1."),
    ],
)
def test_only_a_leading_list_marker_is_escaped(text, escaped):
    assert inert(text) == escaped


def test_plain_text_passes_unchanged():
    """What the pages say around user text (names, ids, sentences) is not littered with escapes."""
    for text in (
        "ana",
        "TINY-0007",
        "Saved 8 objects and the view as 'my pick'",
        "e.g. 'NOT-A-STAR'",
        "Not searched: star.csv has no magnitude column (accepted names: mag)",
        "10h00m24s +02d12m00s",
    ):
        assert inert(text) == text


def test_a_word_joiner_breaks_each_autolink_and_directive():
    assert inert("https://e.example") == f"https:{WORD_JOINER}//e.example"
    assert inert("www.e.example") == f"www{WORD_JOINER}.e.example"
    assert inert("u@e.example") == f"u{WORD_JOINER}@e.example"
    assert inert(":material/star:") == f":{WORD_JOINER}material/star:{WORD_JOINER}"
    assert inert("x:") == f"x:{WORD_JOINER}"  # a colon ending the text may meet the page's next character


def test_non_text_is_shown_as_its_str():
    assert inert(ValueError("a_b: [x](y)")) == "a\\_b: \\[x\\](y)"
