#!/usr/bin/env python3
"""text.to_checklist: turn plain text, Markdown or HTML into a checklist of actionable items.

An item is a Markdown task (`- [ ] ...`), a marked line (`TODO:`, `FIXME:`, `Action item:` ...), a
list item, or a prose sentence that is an instruction (starts with an imperative verb or "please") or
states an obligation ("should", "must", "need to", ...). Items are deduplicated (case, spacing and
punctuation insensitive) and keep the 1-based line number where they start in the source.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Iterable, NoReturn

MAX_INPUT_BYTES = 8 * 1024 * 1024
ALLOWED_KEYS = {"text", "format", "includeListItems", "maxItems"}
FORMATS = ("auto", "text", "markdown", "html")

MARKER_RE = re.compile(
    r"^\s*(?:[-*+]\s+|\d+[.)]\s+|//\s*|#\s*)?(?P<marker>TODO|FIXME|ACTION(?:\s+ITEM)?|NEXT\s+STEPS?|FOLLOW[- ]UP)\b\s*[:\-–]\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
TASK_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[(?P<mark>[ xX])\]\s+(?P<rest>.+)$")
BULLET_RE = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|[a-z][.)])\s+(?P<rest>.+)$")
HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+")
FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
SETEXT_RE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?\w)")
ABBREVIATIONS = frozenset({"e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "approx.", "no.", "st.", "cf."})
OBLIGATION_RE = re.compile(
    r"\b(?:should|must|needs? to|have to|has to|ought to|is required to|are required to|make sure|"
    r"ensure that|remember to|don't forget to|do not forget to|be sure to)\b",
    re.IGNORECASE,
)
IMPERATIVE_VERBS = frozenset(
    """
    add adjust align allocate analyze apply approve archive arrange ask assign attach audit avoid back
    book bring build buy calculate call cancel change check choose clarify clean clear close collect
    commit compare compile complete configure confirm connect consider contact continue convert copy
    coordinate correct create cut debug decide define delete deliver deploy describe design determine
    disable discuss document double-check download draft drop edit email enable ensure escalate
    establish estimate evaluate examine execute explain export file fill finalize find finish fix
    follow forward gather generate get give go handle identify implement import improve include
    inform install integrate investigate invite keep label launch let list load locate log look make
    mark measure meet merge migrate monitor move notify obtain open order organize pack pay pick plan
    post prepare present print prioritize process publish pull purchase push put raise read rebuild
    record reduce refactor register reinstall release remind remove rename renew reorganize repair
    replace reply report request rerun research reserve reset resolve respond restart restore
    retest return review revise rewrite run save schedule scan select send set settle share ship
    sign simplify sort specify split start stop store submit summarize switch sync take talk tell
    test track train transfer translate try turn unblock update upgrade upload use validate verify
    visit wait wash water write
    """.split()
)
SKIP_PREFIXES = ("http://", "https://")


class InputError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(code: str, message: str) -> NoReturn:
    print(json.dumps({"error": {"code": code, "message": message}}))
    sys.exit(2)


@dataclass
class Block:
    """A unit of source text: a list item, a paragraph of prose, or a task line."""

    kind: str  # "task", "marker", "list", "prose"
    text: str
    line: int
    done: bool = False
    column: int = 0
    line_offsets: tuple[tuple[int, int], ...] = ()  # (char offset in text, source line) for prose


@dataclass
class Item:
    text: str
    line: int
    kind: str
    done: bool

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "line": self.line, "kind": self.kind, "done": self.done}


# ---------------------------------------------------------------------------------------------------
# Format detection and inline clean-up


def detect_format(text: str) -> str:
    if re.search(r"<(?:html|body|p|ul|ol|li|div|h[1-6]|br|table|span|section)\b[^>]*>", text, re.IGNORECASE):
        return "html"
    if re.search(r"^\s{0,3}(?:#{1,6}\s|[-*+]\s+\[[ xX]\]|```|~~~)|\[[^\]]+\]\([^)]+\)|\*\*[^*]+\*\*", text, re.MULTILINE):
        return "markdown"
    return "text"


def strip_markdown(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    return text


def tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = text.strip(" -–—:;,")
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    if text[:1].islower():
        text = text[0].upper() + text[1:]
    return text


def dedupe_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


# ---------------------------------------------------------------------------------------------------
# Block extraction: text / Markdown


def text_blocks(text: str, markdown: bool) -> Iterable[Block]:
    lines = text.split("\n")
    paragraph: list[tuple[int, str]] = []
    in_fence = False

    def flush() -> Iterable[Block]:
        if not paragraph:
            return []
        parts: list[str] = []
        offsets: list[tuple[int, int]] = []
        position = 0
        for line_number, content in paragraph:
            offsets.append((position, line_number))
            parts.append(content)
            position += len(content) + 1
        paragraph.clear()
        return [Block("prose", " ".join(parts), offsets[0][1], line_offsets=tuple(offsets))]

    for index, raw in enumerate(lines):
        number = index + 1
        line = raw.rstrip("\r")
        if FENCE_RE.match(line):
            yield from flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            yield from flush()
            continue
        content = strip_markdown(line) if markdown else line
        if markdown and (HEADING_RE.match(line) or SETEXT_RE.match(line)):
            yield from flush()
            continue
        if (task := TASK_RE.match(content)) is not None:
            yield from flush()
            yield Block("task", task["rest"], number, done=task["mark"] != " ")
        elif (marker := MARKER_RE.match(content)) is not None:
            yield from flush()
            yield Block("marker", marker["rest"], number)
        elif (bullet := BULLET_RE.match(content)) is not None:
            yield from flush()
            yield Block("list", bullet["rest"], number)
        else:
            paragraph.append((number, content.strip()))
    yield from flush()


# ---------------------------------------------------------------------------------------------------
# Block extraction: HTML


class _HTMLBlocks(HTMLParser):
    BLOCK_TAGS = frozenset(
        "p div section article header footer main aside blockquote pre table tr td th dd dt form ul ol "
        "h1 h2 h3 h4 h5 h6 br hr".split()
    )
    SKIP_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})
    HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._skip_depth = 0
        self._heading_depth = 0
        self._li_stack: list[dict[str, Any]] = []
        self._prose: list[tuple[int, str]] = []

    # prose buffer ---------------------------------------------------------------------------------
    def _flush_prose(self) -> None:
        pieces = [(line, text) for line, text in self._prose if text.strip()]
        self._prose = []
        if not pieces:
            return
        parts: list[str] = []
        offsets: list[tuple[int, int]] = []
        position = 0
        for line, text in pieces:
            chunk = re.sub(r"\s+", " ", text)
            offsets.append((position, line))
            parts.append(chunk)
            position += len(chunk)
        joined = "".join(parts)
        self.blocks.append(Block("prose", joined, offsets[0][1], line_offsets=tuple(offsets)))

    def _flush_li(self) -> None:
        item = self._li_stack.pop()
        text = "".join(item["text"])
        if not text.strip():
            return
        marker = MARKER_RE.match(text)
        if item["checkbox"] is not None:
            self.blocks.append(Block("task", text, item["line"], done=item["checkbox"], column=item["column"]))
        elif marker is not None:
            self.blocks.append(Block("marker", marker["rest"], item["line"], column=item["column"]))
        else:
            self.blocks.append(Block("list", text, item["line"], column=item["column"]))

    # parser callbacks ------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP_TAGS:
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        if tag == "li":
            if self._li_stack:  # a nested list ends the parent's own text
                self._li_stack[-1]["closed_text"] = True
            else:
                self._flush_prose()
            line, column = self.getpos()
            self._li_stack.append({"line": line, "column": column, "text": [], "checkbox": None, "closed_text": False})
        elif tag == "input" and self._li_stack:
            attributes = dict(attrs)
            if (attributes.get("type") or "").lower() == "checkbox":
                self._li_stack[-1]["checkbox"] = "checked" in attributes
        elif tag in self.HEADINGS:
            self._flush_prose()
            self._heading_depth += 1
        elif tag in self.BLOCK_TAGS and not self._li_stack:
            self._flush_prose()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self.SKIP_TAGS:
            self._skip_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if self._skip_depth:
            return
        if tag == "li" and self._li_stack:
            self._flush_li()
        elif tag in self.HEADINGS:
            self._heading_depth = max(0, self._heading_depth - 1)
        elif tag in self.BLOCK_TAGS and not self._li_stack:
            self._flush_prose()

    def handle_data(self, data: str) -> None:
        if self._skip_depth or self._heading_depth:
            return
        if self._li_stack:
            if not self._li_stack[-1]["closed_text"]:
                self._li_stack[-1]["text"].append(data)
            return
        line = self.getpos()[0]
        # Attribute each text line to its own source line.
        for offset, piece in enumerate(data.split("\n")):
            self._prose.append((line + offset, piece + (" " if offset < data.count("\n") else "")))

    def close(self) -> None:
        super().close()
        while self._li_stack:
            self._flush_li()
        self._flush_prose()


def html_blocks(text: str) -> list[Block]:
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    return sorted(parser.blocks, key=lambda b: (b.line, b.column))


# ---------------------------------------------------------------------------------------------------
# Classification


def sentences(block: Block) -> Iterable[tuple[str, int]]:
    start = 0
    text = block.text
    boundaries = [
        m for m in SENTENCE_END_RE.finditer(text) if text[: m.start()].rsplit(None, 1)[-1].lower() not in ABBREVIATIONS
    ]
    for match in boundaries + [None]:
        end = match.start() if match else len(text)
        sentence = text[start:end]
        if sentence.strip():
            leading = len(sentence) - len(sentence.lstrip())
            yield sentence.strip(), line_at(block, start + leading)
        if match:
            start = match.end()


def line_at(block: Block, offset: int) -> int:
    line = block.line
    for position, number in block.line_offsets:
        if position <= offset:
            line = number
        else:
            break
    return line


def prose_kind(sentence: str) -> str | None:
    if sentence.endswith("?"):
        return None
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", sentence)
    if not words:
        return None
    first = words[0].lower()
    if first == "please" or first in IMPERATIVE_VERBS and (len(words) == 1 or words[1].lower() not in {"is", "are", "was", "were"}):
        return "imperative"
    if OBLIGATION_RE.search(sentence):
        return "obligation"
    return None


def extract(text: str, fmt: str, include_list_items: bool) -> list[Item]:
    if fmt == "html":
        blocks = html_blocks(text)
    else:
        blocks = list(text_blocks(text, markdown=fmt == "markdown"))
    items: list[Item] = []
    for block in blocks:
        if block.kind in ("task", "marker"):
            items.append(Item(tidy(block.text), block.line, "task" if block.kind == "task" else "todo", block.done))
        elif block.kind == "list":
            kind = prose_kind(block.text.strip())
            if kind is not None:
                items.append(Item(tidy(block.text), block.line, kind, False))
            elif include_list_items:
                items.append(Item(tidy(block.text), block.line, "list_item", False))
        else:
            for sentence, line in sentences(block):
                if (marker := MARKER_RE.match(sentence)) is not None:
                    items.append(Item(tidy(marker["rest"]), line, "todo", False))
                elif (kind := prose_kind(sentence)) is not None:
                    items.append(Item(tidy(sentence), line, kind, False))
    return items


def dedupe(items: list[Item]) -> tuple[list[Item], int]:
    seen: dict[str, Item] = {}
    unique: list[Item] = []
    for item in items:
        if not item.text or item.text.lower().startswith(SKIP_PREFIXES):
            continue
        key = dedupe_key(item.text)
        if not key:
            continue
        if key in seen:
            seen[key].done = seen[key].done and item.done
            continue
        seen[key] = item
        unique.append(item)
    return unique, len(items) - len(unique)


def read_input() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError("INPUT_TOO_LARGE", f"input exceeds {MAX_INPUT_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("INVALID_INPUT", f"stdin is not a JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise InputError("INVALID_INPUT", "input must be a JSON object")
    unknown = sorted(set(doc) - ALLOWED_KEYS)
    if unknown:
        raise InputError("INVALID_INPUT", f"unknown input field(s): {', '.join(unknown)}")
    return doc


def run(doc: dict[str, Any]) -> dict[str, Any]:
    text = doc.get("text")
    if not isinstance(text, str):
        raise InputError("INVALID_INPUT", "'text' is required and must be a string")
    fmt = doc.get("format", "auto")
    if fmt not in FORMATS:
        raise InputError("INVALID_INPUT", f"'format' must be one of {', '.join(FORMATS)}")
    include_list_items = doc.get("includeListItems", True)
    if not isinstance(include_list_items, bool):
        raise InputError("INVALID_INPUT", "'includeListItems' must be a boolean")
    max_items = doc.get("maxItems", 500)
    if isinstance(max_items, bool) or not isinstance(max_items, int) or not 1 <= max_items <= 10_000:
        raise InputError("INVALID_INPUT", "'maxItems' must be an integer between 1 and 10000")

    text = text.replace("\r\n", "\n")
    detected = detect_format(text) if fmt == "auto" else fmt
    items, duplicates = dedupe(extract(text, detected, include_list_items))
    truncated = len(items) > max_items
    items = items[:max_items]
    return {
        "format": detected,
        "items": [item.as_json() for item in items],
        "count": len(items),
        "open": sum(1 for item in items if not item.done),
        "duplicatesRemoved": duplicates,
        "truncated": truncated,
    }


def main() -> None:
    try:
        result = run(read_input())
    except InputError as exc:
        print(f"text_checklist: {exc.message}", file=sys.stderr)
        fail(exc.code, exc.message)
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
