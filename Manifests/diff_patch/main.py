#!/usr/bin/env python3
"""text.diff_patch: make a unified diff of two texts, or apply a unified diff to a text.

mode "diff":  {"a", "b", "context"?, "fromFile"?, "toFile"?} -> {"diff", "stats"}
mode "patch": {"original", "patch", "reverse"?}     -> {"result", "stats", "hunks"}

Patching is implemented here (no external `patch`): hunks are parsed, each hunk's context and removed
lines are verified against the original, and a mismatch is reported with the hunk, the line and both
texts. A hunk that does not match at its stated position is searched for nearby (as GNU patch does,
without fuzz); the offset used is reported. Lines are split on "\\n" only; "\\ No newline at end of file"
is produced and honoured.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, NoReturn

MAX_INPUT_BYTES = 16 * 1024 * 1024
NO_NEWLINE = "\\ No newline at end of file"
HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
KEYS = {
    "diff": {"mode", "a", "b", "context", "fromFile", "toFile"},
    "patch": {"mode", "original", "patch", "reverse"},
}


class ToolError(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def fail(error: ToolError) -> NoReturn:
    print(json.dumps({"error": {"code": error.code, "message": error.message, **error.details}}, ensure_ascii=False))
    sys.exit(2)


def split_lines(text: str) -> list[str]:
    """Split on \\n only, keeping the terminators (the last line may lack one)."""
    if not text:
        return []
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


# ---------------------------------------------------------------------------------------------------
# diff


def make_diff(a: str, b: str, context: int, from_file: str, to_file: str) -> dict[str, Any]:
    a_lines, b_lines = split_lines(a), split_lines(b)
    out: list[str] = []
    additions = deletions = hunks = 0
    for number, line in enumerate(difflib.unified_diff(a_lines, b_lines, from_file, to_file, n=context)):
        if number >= 2:  # the first two lines are the "---" / "+++" file headers
            if line.startswith("@@"):
                hunks += 1
            elif line.startswith("+"):
                additions += 1
            elif line.startswith("-"):
                deletions += 1
        out.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE + "\n")
    return {
        "mode": "diff",
        "diff": "".join(out),
        "stats": {
            "additions": additions,
            "deletions": deletions,
            "hunks": hunks,
            "identical": a == b,
            "linesA": len(a_lines),
            "linesB": len(b_lines),
        },
    }


# ---------------------------------------------------------------------------------------------------
# patch


@dataclass
class Hunk:
    index: int
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    header_line: int
    old: list[str] = field(default_factory=list)  # context + removed lines, with terminators
    new: list[str] = field(default_factory=list)  # context + added lines
    additions: int = 0
    deletions: int = 0


def parse_patch(patch: str) -> list[Hunk]:
    lines = patch.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    hunks: list[Hunk] = []
    files = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            files += 1
            if files > 1:
                raise ToolError("UNSUPPORTED_PATCH", "the patch changes more than one file; give one file's diff", line=i + 1)
            i += 2
            continue
        match = HUNK_RE.match(line)
        if match is None:
            if hunks and line.strip():
                raise ToolError("INVALID_PATCH", f"line {i + 1} of the patch is neither a hunk header nor part of a hunk: {line!r}", line=i + 1)
            i += 1  # preamble (e.g. "diff --git", "index ...") before the first hunk
            continue
        hunk = Hunk(
            index=len(hunks) + 1,
            old_start=int(match[1]),
            old_count=int(match[2]) if match[2] is not None else 1,
            new_start=int(match[3]),
            new_count=int(match[4]) if match[4] is not None else 1,
            header_line=i + 1,
        )
        i += 1
        old_seen = new_seen = 0
        while old_seen < hunk.old_count or new_seen < hunk.new_count:
            if i >= len(lines):
                raise ToolError(
                    "INVALID_PATCH",
                    f"hunk {hunk.index} (patch line {hunk.header_line}) ends early: expected {hunk.old_count} old and "
                    f"{hunk.new_count} new lines, found {old_seen} and {new_seen}",
                    hunk=hunk.index,
                )
            body = lines[i]
            tag, text = (body[:1], body[1:]) if body else (" ", "")  # an empty line is empty context
            if tag == "\\":
                i += 1
                continue
            if tag not in " +-":
                raise ToolError("INVALID_PATCH", f"line {i + 1} of the patch in hunk {hunk.index} starts with {tag!r}, not ' ', '+' or '-'", line=i + 1, hunk=hunk.index)
            no_newline = i + 1 < len(lines) and lines[i + 1].startswith("\\")
            text = text if no_newline else text + "\n"
            if tag in " -":
                hunk.old.append(text)
                old_seen += 1
            if tag in " +":
                hunk.new.append(text)
                new_seen += 1
            if tag == "-":
                hunk.deletions += 1
            elif tag == "+":
                hunk.additions += 1
            i += 1
        if old_seen != hunk.old_count or new_seen != hunk.new_count:
            raise ToolError("INVALID_PATCH", f"hunk {hunk.index} (patch line {hunk.header_line}) has more lines than its header says", hunk=hunk.index)
        # A trailing "\ No newline" marker after the hunk's last line.
        if i < len(lines) and lines[i].startswith("\\"):
            i += 1
        hunks.append(hunk)
    if not hunks:
        raise ToolError("INVALID_PATCH", "the patch contains no hunks (no '@@ -a,b +c,d @@' header)")
    return hunks


def reverse_hunk(h: Hunk) -> Hunk:
    return Hunk(h.index, h.new_start, h.new_count, h.old_start, h.old_count, h.header_line, list(h.new), list(h.old), h.deletions, h.additions)


def matches_at(lines: list[str], block: list[str], at: int) -> bool:
    return at >= 0 and at + len(block) <= len(lines) and lines[at : at + len(block)] == block


def first_mismatch(lines: list[str], block: list[str], at: int) -> tuple[int, str | None, str]:
    for k, expected in enumerate(block):
        actual = lines[at + k] if 0 <= at + k < len(lines) else None
        if actual != expected:
            return at + k + 1, actual, expected
    return at + 1, None, block[0] if block else ""


def apply_patch(original: str, patch: str, reverse: bool) -> dict[str, Any]:
    hunks = parse_patch(patch)
    if reverse:
        hunks = [reverse_hunk(h) for h in hunks]
    lines = split_lines(original)
    result: list[str] = []
    cursor = 0  # next unconsumed line of the original (0-based)
    offset_total = 0
    report: list[dict[str, Any]] = []
    for hunk in hunks:
        # Position of the hunk's old lines (0-based). For a pure insertion (old_count 0) the header's
        # start line is the line *after which* the text goes.
        base = hunk.old_start - 1 if hunk.old_count else hunk.old_start
        expected = base + offset_total
        at = None
        if matches_at(lines, hunk.old, expected) and expected >= cursor:
            at = expected
        else:
            for distance in range(1, len(lines) + 1):
                for candidate in (expected - distance, expected + distance):
                    if candidate >= cursor and matches_at(lines, hunk.old, candidate):
                        at = candidate
                        break
                if at is not None:
                    break
        if at is None:
            line, actual, wanted = first_mismatch(lines, hunk.old, max(expected, cursor))
            shown = "end of file" if actual is None else repr(actual.rstrip("\n"))
            raise ToolError(
                "PATCH_MISMATCH",
                f"hunk {hunk.index} (patch line {hunk.header_line}, @@ -{hunk.old_start},{hunk.old_count}) does not apply: "
                f"line {line} of the original is {shown} but the patch expects {wanted.rstrip(chr(10))!r}",
                hunk=hunk.index,
                line=line,
                expected=wanted.rstrip("\n"),
                actual=None if actual is None else actual.rstrip("\n"),
            )
        result.extend(lines[cursor:at])
        result.extend(hunk.new)
        cursor = at + len(hunk.old)
        offset = at - base
        offset_total = offset
        report.append({"hunk": hunk.index, "oldStart": hunk.old_start, "appliedAt": at + 1 if hunk.old_count else at, "offset": offset})
    result.extend(lines[cursor:])
    text = "".join(result)
    return {
        "mode": "patch",
        "result": text,
        "stats": {
            "additions": sum(h.additions for h in hunks),
            "deletions": sum(h.deletions for h in hunks),
            "hunks": len(hunks),
            "lines": len(split_lines(text)),
        },
        "hunks": report,
    }


# ---------------------------------------------------------------------------------------------------


def read_input() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ToolError("INPUT_TOO_LARGE", f"input exceeds {MAX_INPUT_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ToolError("INVALID_INPUT", f"stdin is not a JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise ToolError("INVALID_INPUT", "input must be a JSON object")
    return doc


def require_string(doc: dict[str, Any], key: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str):
        raise ToolError("INVALID_INPUT", f"'{key}' is required and must be a string")
    return value


def run(doc: dict[str, Any]) -> dict[str, Any]:
    mode = doc.get("mode")
    if mode not in KEYS:
        raise ToolError("INVALID_INPUT", "'mode' must be 'diff' or 'patch'")
    unknown = sorted(set(doc) - KEYS[mode])
    if unknown:
        raise ToolError("INVALID_INPUT", f"unknown field(s) for mode '{mode}': {', '.join(unknown)}")
    if mode == "diff":
        context = doc.get("context", 3)
        if isinstance(context, bool) or not isinstance(context, int) or not 0 <= context <= 10_000:
            raise ToolError("INVALID_INPUT", "'context' must be an integer between 0 and 10000")
        for key in ("fromFile", "toFile"):
            if "\n" in doc.get(key, ""):
                raise ToolError("INVALID_INPUT", f"'{key}' must be a single line")
        return make_diff(
            require_string(doc, "a"),
            require_string(doc, "b"),
            context,
            require_string(doc, "fromFile", "a"),
            require_string(doc, "toFile", "b"),
        )
    reverse = doc.get("reverse", False)
    if not isinstance(reverse, bool):
        raise ToolError("INVALID_INPUT", "'reverse' must be a boolean")
    return apply_patch(require_string(doc, "original"), require_string(doc, "patch"), reverse)


def main() -> None:
    try:
        result = run(read_input())
    except ToolError as exc:
        print(f"diff_patch: {exc.message}", file=sys.stderr)
        fail(exc)
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
