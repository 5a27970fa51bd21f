#!/usr/bin/env python3
"""text.regex_extract: find matches of named regular expressions and built-in patterns in a text.

Spans are Python string indices (Unicode code points, end exclusive); lines and columns are 1-based.
Defences against catastrophic input: the text and patterns are size-limited, patterns with nested
quantifiers (e.g. `(a+)+`, `(.*)*`) are refused before they run, and all matching shares a time budget
(the regular-expression engine is interrupted when it runs out).
"""

from __future__ import annotations

import bisect
import json
import re
import signal
import sys
from datetime import date
from typing import Any, Callable, NoReturn

MAX_INPUT_BYTES = 4 * 1024 * 1024
MAX_TEXT_CHARS = 1_000_000
MAX_PATTERN_CHARS = 500
MAX_PATTERNS = 20
ALLOWED_KEYS = {"text", "patterns", "builtins", "flags", "maxMatches", "unique", "timeoutSeconds"}
FLAG_VALUES = {"ignorecase": re.IGNORECASE, "multiline": re.MULTILINE, "dotall": re.DOTALL, "ascii": re.ASCII}

MONTHS = {
    name: index
    for index, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}
MONTH_RE = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

BUILTINS: dict[str, re.Pattern[str]] = {
    "emails": re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"),
    "urls": re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`]{1,2000}|\bwww\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+[^\s<>\"'`]{0,2000}", re.IGNORECASE),
    "ipv4": re.compile(rf"(?<![\d.]){OCTET}(?:\.{OCTET}){{3}}(?![\d]|\.\d)"),
    "dates": re.compile(
        rf"(?<![\w/.-])(?:"
        rf"(?P<iso>\d{{4}})-(?P<iso_m>\d{{1,2}})-(?P<iso_d>\d{{1,2}})(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:Z|[+-]\d{{2}}:?\d{{2}})?)?"
        rf"|(?P<dmy_d>\d{{1,2}})\.(?P<dmy_m>\d{{1,2}})\.(?P<dmy_y>\d{{4}})"
        rf"|(?P<sl_a>\d{{1,2}})/(?P<sl_b>\d{{1,2}})/(?P<sl_y>\d{{4}}|\d{{2}})"
        rf"|(?P<dmon_d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dmon_m>{MONTH_RE})\.?,?\s+(?P<dmon_y>\d{{4}})"
        rf"|(?P<mond_m>{MONTH_RE})\.?\s+(?P<mond_d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<mond_y>\d{{4}})"
        rf")(?![\w/-])",
        re.IGNORECASE,
    ),
    "phones": re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,8}){1,4}(?![\w-])|(?<![\w+])\+\d{7,15}(?!\w)"),
    "hashtags": re.compile(r"(?<![\w#&])#(?!\d+\b)[^\W][\w]{0,138}"),
    "mentions": re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,38}[A-Za-z0-9_])?(?![\w@])"),
}


class ToolError(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class BudgetExceeded(Exception):
    pass


def fail(error: ToolError) -> NoReturn:
    print(json.dumps({"error": {"code": error.code, "message": error.message, **error.details}}, ensure_ascii=False))
    sys.exit(2)


# ---------------------------------------------------------------------------------------------------
# Pattern safety


def strip_escapes_and_classes(pattern: str) -> str:
    """The pattern with escapes and character classes replaced by a single 'x' (for structure checks)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append("x")
            i += 2
        elif c == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            out.append("x")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def has_nested_quantifier(pattern: str) -> bool:
    """True for a quantified group that itself contains a quantifier: (a+)+, (a*b?)*, (?:x{2,})+ ..."""
    skeleton = strip_escapes_and_classes(pattern)
    stack: list[bool] = []  # per open group: does it contain an unbounded quantifier?
    i = 0
    while i < len(skeleton):
        c = skeleton[i]
        if c == "(":
            stack.append(False)
        elif c in "*+" or (c == "{" and re.match(r"\{\d*,\d*\}", skeleton[i:])):
            if stack:
                stack[-1] = True
        elif c == ")":
            inner = stack.pop() if stack else False
            following = skeleton[i + 1 : i + 2]
            quantified = following in ("*", "+") or (following == "{" and re.match(r"\{\d*,\d*\}", skeleton[i + 1 :]))
            if inner and quantified:
                return True
            if inner and stack:
                stack[-1] = True
        i += 1
    return False


def compile_patterns(patterns: Any, flags: int) -> dict[str, re.Pattern[str]]:
    if patterns is None:
        return {}
    if not isinstance(patterns, dict):
        raise ToolError("INVALID_INPUT", "'patterns' must be an object of name -> regular expression")
    if len(patterns) > MAX_PATTERNS:
        raise ToolError("INVALID_INPUT", f"at most {MAX_PATTERNS} patterns")
    compiled: dict[str, re.Pattern[str]] = {}
    for name, source in patterns.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", name):
            raise ToolError("INVALID_INPUT", f"pattern name {name!r} must be 1-64 letters, digits, '_', '.', '-'")
        if name in BUILTINS:
            raise ToolError("INVALID_INPUT", f"pattern name {name!r} is the name of a built-in; choose another")
        if not isinstance(source, str) or not source:
            raise ToolError("INVALID_INPUT", f"pattern {name!r} must be a non-empty string")
        if len(source) > MAX_PATTERN_CHARS:
            raise ToolError("PATTERN_TOO_LONG", f"pattern {name!r} is longer than {MAX_PATTERN_CHARS} characters", pattern=name)
        if has_nested_quantifier(source):
            raise ToolError(
                "UNSAFE_PATTERN",
                f"pattern {name!r} nests a quantifier inside a quantified group (like (a+)+), which can take exponential time; rewrite it without the nesting",
                pattern=name,
            )
        if re.search(r"\\[1-9]|\(\?P=", source):
            raise ToolError("UNSAFE_PATTERN", f"pattern {name!r} uses a backreference, which is not supported", pattern=name)
        try:
            compiled[name] = re.compile(source, flags)
        except re.error as exc:
            raise ToolError("INVALID_PATTERN", f"pattern {name!r} is not a valid regular expression: {exc}", pattern=name) from None
    return compiled


# ---------------------------------------------------------------------------------------------------
# Post-processing of built-in matches


def trim_url(text: str) -> str:
    """Drop trailing punctuation that usually ends the sentence, and unbalanced closing brackets."""
    while text:
        last = text[-1]
        if last in ".,;:!?":
            text = text[:-1]
        elif last in ")]}" and text.count({")": "(", "]": "[", "}": "{"}[last]) < text.count(last):
            text = text[:-1]
        else:
            break
    return text


def normalize_date(groups: dict[str, str | None]) -> str | None:
    """An ISO date for unambiguous forms; None when the form is ambiguous (a/b/yyyy) or invalid."""
    try:
        if groups.get("iso"):
            return date(int(groups["iso"]), int(groups["iso_m"] or 0), int(groups["iso_d"] or 0)).isoformat()
        if groups.get("dmy_y"):
            return date(int(groups["dmy_y"]), int(groups["dmy_m"] or 0), int(groups["dmy_d"] or 0)).isoformat()
        if groups.get("dmon_y"):
            return date(int(groups["dmon_y"]), MONTHS[(groups["dmon_m"] or "").lower()], int(groups["dmon_d"] or 0)).isoformat()
        if groups.get("mond_y"):
            return date(int(groups["mond_y"]), MONTHS[(groups["mond_m"] or "").lower()], int(groups["mond_d"] or 0)).isoformat()
    except (ValueError, KeyError):
        return None
    return None


def valid_slash_date(groups: dict[str, str | None]) -> bool:
    a, b = int(groups["sl_a"] or 0), int(groups["sl_b"] or 0)
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)


# ---------------------------------------------------------------------------------------------------


class Matcher:
    def __init__(self, text: str, max_matches: int, unique: bool) -> None:
        self.text = text
        self.max_matches = max_matches
        self.unique = unique
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.truncated = False

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def run(self, pattern: re.Pattern[str], post: Callable[[re.Match[str]], dict[str, Any] | None] | None, custom: bool) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        for match in pattern.finditer(self.text):
            if post is not None:
                item = post(match)
                if item is None:
                    continue
            else:
                item = {"match": match.group(), "start": match.start(), "end": match.end()}
            if custom:
                if pattern.groups:
                    item["groups"] = list(match.groups())
                if pattern.groupindex:
                    item["named"] = match.groupdict()
            if not item["match"]:
                continue  # empty matches say nothing
            if self.unique:
                if item["match"] in seen:
                    continue
                seen.add(item["match"])
            item["line"], item["column"] = self.position(item["start"])
            found.append(item)
            if len(found) >= self.max_matches:
                self.truncated = True
                break
        return found


def builtin_post(name: str) -> Callable[[re.Match[str]], dict[str, Any] | None] | None:
    if name == "urls":
        def url(match: re.Match[str]) -> dict[str, Any] | None:
            text = trim_url(match.group())
            return {"match": text, "start": match.start(), "end": match.start() + len(text)} if text else None
        return url
    if name == "dates":
        def dates(match: re.Match[str]) -> dict[str, Any] | None:
            groups = match.groupdict()
            if groups.get("sl_a") is not None and not valid_slash_date(groups):
                return None
            iso = normalize_date(groups)
            if groups.get("sl_a") is None and iso is None:
                return None  # e.g. 2024-13-45
            item: dict[str, Any] = {"match": match.group(), "start": match.start(), "end": match.end()}
            item["iso"] = iso
            return item
        return dates
    if name == "phones":
        def phones(match: re.Match[str]) -> dict[str, Any] | None:
            text = match.group()
            digits = re.sub(r"\D", "", text)
            if not 7 <= len(digits) <= 15:
                return None
            if BUILTINS["dates"].fullmatch(text) or BUILTINS["ipv4"].fullmatch(text):
                return None
            if re.fullmatch(r"\d{4}[\s.-]\d{4}", text) and not text.startswith("+"):
                return None  # year ranges like 2019-2024
            return {"match": text, "start": match.start(), "end": match.end(), "digits": ("+" if text.startswith("+") else "") + digits}
        return phones
    if name == "emails":
        def email(match: re.Match[str]) -> dict[str, Any] | None:
            return {"match": match.group(), "start": match.start(), "end": match.end(), "domain": match.group().rsplit("@", 1)[1].lower()}
        return email
    return None


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
    unknown = sorted(set(doc) - ALLOWED_KEYS)
    if unknown:
        raise ToolError("INVALID_INPUT", f"unknown input field(s): {', '.join(unknown)}")
    return doc


def on_timer(signum: int, frame: Any) -> None:
    raise BudgetExceeded()


def run(doc: dict[str, Any]) -> dict[str, Any]:
    text = doc.get("text")
    if not isinstance(text, str):
        raise ToolError("INVALID_INPUT", "'text' is required and must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise ToolError("TEXT_TOO_LARGE", f"'text' is longer than {MAX_TEXT_CHARS} characters; split it")
    flags = 0
    raw_flags = doc.get("flags", [])
    if not isinstance(raw_flags, list) or any(f not in FLAG_VALUES for f in raw_flags):
        raise ToolError("INVALID_INPUT", f"'flags' must be an array of {', '.join(FLAG_VALUES)}")
    for name in raw_flags:
        flags |= FLAG_VALUES[name]
    custom = compile_patterns(doc.get("patterns"), flags)
    builtins = doc.get("builtins")
    if builtins is None:
        builtins = [] if custom else list(BUILTINS)
    if not isinstance(builtins, list) or any(b not in BUILTINS for b in builtins):
        raise ToolError("INVALID_INPUT", f"'builtins' must be an array of {', '.join(BUILTINS)}")
    if not custom and not builtins:
        raise ToolError("INVALID_INPUT", "nothing to extract: give 'patterns' or 'builtins'")
    max_matches = doc.get("maxMatches", 1000)
    if isinstance(max_matches, bool) or not isinstance(max_matches, int) or not 1 <= max_matches <= 100_000:
        raise ToolError("INVALID_INPUT", "'maxMatches' must be an integer between 1 and 100000 (per pattern)")
    unique = doc.get("unique", False)
    if not isinstance(unique, bool):
        raise ToolError("INVALID_INPUT", "'unique' must be a boolean")
    budget = doc.get("timeoutSeconds", 10)
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0.1 <= budget <= 25:
        raise ToolError("INVALID_INPUT", "'timeoutSeconds' must be a number between 0.1 and 25")

    matcher = Matcher(text, max_matches, unique)
    matches: dict[str, list[dict[str, Any]]] = {}
    current = ""
    signal.signal(signal.SIGALRM, on_timer)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        for name in dict.fromkeys(builtins):
            current = name
            matches[name] = matcher.run(BUILTINS[name], builtin_post(name), custom=False)
        for name, pattern in custom.items():
            current = name
            matches[name] = matcher.run(pattern, None, custom=True)
    except BudgetExceeded:
        raise ToolError(
            "PATTERN_TIMEOUT",
            f"matching pattern {current!r} took longer than {budget} s; simplify it or shorten the text",
            pattern=current,
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return {
        "matches": matches,
        "counts": {name: len(found) for name, found in matches.items()},
        "total": sum(len(found) for found in matches.values()),
        "truncated": matcher.truncated,
    }


def main() -> None:
    try:
        result = run(read_input())
    except ToolError as exc:
        print(f"regex_extract: {exc.message}", file=sys.stderr)
        fail(exc)
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
