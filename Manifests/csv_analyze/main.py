#!/usr/bin/env python3
"""data.csv_analyze: profile CSV text.

Reads one JSON object on stdin ({"csv": "...", ...}), writes one JSON object on stdout: the column
types, per-column statistics, a missing-values summary and plain-language insights. Standard library
only; no file or network access.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import statistics
import sys
from collections import Counter
from datetime import date, datetime
from typing import Any, NoReturn

MAX_INPUT_BYTES = 16 * 1024 * 1024
MAX_COLUMNS = 1000
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "nil", "#n/a"})
TRUE_TOKENS = frozenset({"true", "yes", "y", "t"})
FALSE_TOKENS = frozenset({"false", "no", "n", "f"})
INT_RE = re.compile(r"^[+-]?\d+$")
FLOAT_RE = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
)
ID_WORDS = frozenset({"id", "key", "uuid", "guid", "sku"})
NAME_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
ALLOWED_KEYS = {"csv", "delimiter", "hasHeader", "maxRows", "topValues", "correlationThreshold"}


class InputError(Exception):
    """Bad input detected by the tool itself."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(code: str, message: str) -> NoReturn:
    print(json.dumps({"error": {"code": code, "message": message}}))
    sys.exit(2)


def log(message: str) -> None:
    print(f"csv_analyze: {message}", file=sys.stderr)


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


def int_option(doc: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError("INVALID_INPUT", f"'{key}' must be an integer between {low} and {high}")
    return value


# ---------------------------------------------------------------------------------------------------
# Parsing


def detect_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def parse_rows(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InputError("INVALID_CSV", f"CSV parse error on line {reader.line_num}: {exc}") from None


def unique_names(header: list[str], width: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for index in range(width):
        base = header[index].strip() if index < len(header) else ""
        base = base or f"column_{index + 1}"
        name, suffix = base, 2
        while name in seen:
            name, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(name)
        names.append(name)
    return names


# ---------------------------------------------------------------------------------------------------
# Types and statistics


def is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING_TOKENS


def parse_date(value: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.date() if fmt in ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y") else parsed
    return None


def infer_type(values: list[str]) -> str:
    if not values:
        return "empty"
    if all(INT_RE.match(v) for v in values):
        return "integer"
    if all(FLOAT_RE.match(v) for v in values):
        return "float"
    lowered = {v.lower() for v in values}
    if lowered <= TRUE_TOKENS | FALSE_TOKENS:
        return "boolean"
    if all(parse_date(v) is not None for v in values):
        return "date"
    return "string"


def clean_number(x: float) -> float | int:
    """Round for stable, readable output; integral values print as integers."""
    if math.isnan(x) or math.isinf(x):
        return 0
    rounded = round(x, 6)
    if rounded == int(rounded) and abs(rounded) < 2**53:
        return int(rounded)
    return rounded


def numeric_stats(numbers: list[float]) -> dict[str, Any]:
    return {
        "min": clean_number(min(numbers)),
        "max": clean_number(max(numbers)),
        "mean": clean_number(statistics.fmean(numbers)),
        "median": clean_number(statistics.median(numbers)),
        "stddev": clean_number(statistics.stdev(numbers)) if len(numbers) > 1 else None,
        "sum": clean_number(math.fsum(numbers)),
    }


def top_values(values: list[str], limit: int) -> list[dict[str, Any]]:
    counts = Counter(values)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"value": value, "count": count} for value, count in ranked[:limit]]


def outliers(numbers: list[float]) -> list[float]:
    if len(numbers) < 5:
        return []
    q1, _, q3 = statistics.quantiles(numbers, n=4, method="inclusive")
    spread = q3 - q1
    if spread == 0:
        return []
    low, high = q1 - 3 * spread, q3 + 3 * spread
    return [x for x in numbers if x < low or x > high]


def pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:
        return None  # a constant column


def looks_like_identifier(name: str, kind: str, values: list[str]) -> bool:
    words = NAME_WORD_RE.findall(name)
    if words and words[-1].lower() in ID_WORDS:
        return kind in ("integer", "string")
    if kind == "integer":
        ordered = sorted(int(v) for v in values)
        return ordered == list(range(ordered[0], ordered[0] + len(ordered)))
    return False


def percent(part: int, whole: int) -> str:
    value = 100.0 * part / whole if whole else 0.0
    return f"{value:.0f}%" if abs(value - round(value)) < 0.05 else f"{value:.1f}%"


def analyze(doc: dict[str, Any]) -> dict[str, Any]:
    text = doc.get("csv")
    if not isinstance(text, str):
        raise InputError("INVALID_INPUT", "'csv' is required and must be a string")
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = doc.get("delimiter")
    if delimiter is None:
        delimiter = detect_delimiter(text)
    elif not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        raise InputError("INVALID_INPUT", "'delimiter' must be a single character (not a quote or newline)")
    has_header = doc.get("hasHeader", True)
    if not isinstance(has_header, bool):
        raise InputError("INVALID_INPUT", "'hasHeader' must be a boolean")
    max_rows = int_option(doc, "maxRows", 100_000, 1, 1_000_000)
    top_n = int_option(doc, "topValues", 5, 0, 100)
    threshold = doc.get("correlationThreshold", 0.8)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise InputError("INVALID_INPUT", "'correlationThreshold' must be a number in (0, 1]")

    rows = parse_rows(text, delimiter)
    header = rows.pop(0) if has_header and rows else []
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    width = max([len(header)] + [len(r) for r in rows]) if (header or rows) else 0
    if width > MAX_COLUMNS:
        raise InputError("INVALID_CSV", f"too many columns ({width} > {MAX_COLUMNS})")
    names = unique_names(header, width)
    ragged = sum(1 for r in rows if len(r) != width)

    columns: list[dict[str, Any]] = []
    numeric: dict[str, list[float | None]] = {}
    insights: list[str] = []
    missing_by_column: dict[str, int] = {}
    for index, name in enumerate(names):
        cells = [(r[index].strip() if index < len(r) else "") for r in rows]
        present = [c for c in cells if not is_missing(c)]
        missing = len(cells) - len(present)
        missing_by_column[name] = missing
        kind = infer_type(present)
        column: dict[str, Any] = {
            "name": name,
            "type": kind,
            "count": len(present),
            "missing": missing,
            "missingRatio": clean_number(missing / len(cells)) if cells else 0,
            "unique": len(set(present)),
        }
        if kind in ("integer", "float"):
            numbers = [float(c) for c in present]
            column.update(numeric_stats(numbers))
            numeric[name] = [float(c) if not is_missing(c) else None for c in cells]
            extreme = outliers(numbers)
            if extreme:
                shown = ", ".join(str(clean_number(x)) for x in sorted(set(extreme))[:3])
                noun = "value" if len(extreme) == 1 else "values"
                insights.append(f"column {name!r} has {len(extreme)} potential outlier {noun} ({shown})")
        elif kind == "boolean":
            column["trueCount"] = sum(1 for c in present if c.lower() in TRUE_TOKENS)
            column["falseCount"] = len(present) - column["trueCount"]
        elif kind == "date":
            parsed = sorted((parse_date(c) for c in present), key=lambda d: (d.isoformat() if d else ""))
            column["min"] = parsed[0].isoformat() if parsed[0] else None
            column["max"] = parsed[-1].isoformat() if parsed[-1] else None
        if kind in ("string", "boolean") and top_n:
            column["topValues"] = top_values(present, top_n)
        if kind == "string" and present:
            lengths = [len(c) for c in present]
            column["minLength"], column["maxLength"] = min(lengths), max(lengths)
        columns.append(column)

        if not cells:
            continue
        if kind == "empty":
            insights.append(f"column {name!r} is empty")
        elif missing and missing / len(cells) >= 0.1:
            insights.append(f"column {name!r} has {percent(missing, len(cells))} missing values")
        if len(present) > 1 and len(set(present)) == 1:
            insights.append(f"column {name!r} has a single value ({present[0]!r})")
        elif len(present) >= 3 and len(set(present)) == len(cells) and looks_like_identifier(name, kind, present):
            insights.append(f"column {name!r} has a distinct value in every row (likely an identifier)")

    names_numeric = list(numeric)
    for i, left in enumerate(names_numeric):
        for right in names_numeric[i + 1 :]:
            pairs = [(x, y) for x, y in zip(numeric[left], numeric[right]) if x is not None and y is not None]
            r = pearson([p[0] for p in pairs], [p[1] for p in pairs])
            if r is not None and abs(r) >= threshold:
                direction = "strongly correlated" if r > 0 else "strongly negatively correlated"
                insights.append(f"{left!r} and {right!r} are {direction} (r={r:.2f}, n={len(pairs)})")

    duplicates = len(rows) - len({tuple(r) for r in rows})
    if duplicates:
        insights.append(
            f"{duplicates} row is an exact duplicate of an earlier row"
            if duplicates == 1
            else f"{duplicates} rows are exact duplicates of earlier rows"
        )
    if ragged:
        insights.append(f"{ragged} row{'s have' if ragged != 1 else ' has'} a different number of fields than the header")
    if truncated:
        insights.append(f"only the first {max_rows} rows were analyzed")

    total_cells = len(rows) * width
    missing_cells = sum(missing_by_column.values())
    return {
        "rowCount": len(rows),
        "columnCount": width,
        "delimiter": delimiter,
        "hasHeader": has_header,
        "truncated": truncated,
        "columns": columns,
        "missing": {
            "totalCells": total_cells,
            "missingCells": missing_cells,
            "ratio": clean_number(missing_cells / total_cells) if total_cells else 0,
            "byColumn": {name: count for name, count in missing_by_column.items() if count},
            "rowsWithMissing": sum(
                1 for r in rows if any(is_missing(r[i]) if i < len(r) else True for i in range(width))
            ),
        },
        "duplicateRows": duplicates,
        "insights": insights,
    }


def main() -> None:
    try:
        result = analyze(read_input())
    except InputError as exc:
        log(exc.message)
        fail(exc.code, exc.message)
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
