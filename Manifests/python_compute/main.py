#!/usr/bin/env python3
"""compute.python: evaluate a small Python expression or snippet.

The jail is the sandbox (no network, read-only filesystem, memory/pid/time limits). This program adds
defence in depth on top: a reduced set of builtins (no open/eval/exec/compile/input/globals...), imports
limited to pure computation modules, no access to dunder attributes other than a few harmless ones, a
recursion limit, a CPU-time budget, and capped captured output.

Result rules: a single expression is evaluated; for a snippet, the value of its last statement when
that is an expression (as in a notebook cell), otherwise the variable `result` if the snippet set one,
otherwise null.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import decimal
import fractions
import io
import json
import math
import os
import resource
import signal
import sys
from typing import Any, NoReturn

MAX_INPUT_BYTES = 1024 * 1024
MAX_CODE_CHARS = 20_000
MAX_RESULT_BYTES = 512 * 1024
# Address-space cap so that a huge allocation fails with a clean MemoryError before the jail's cgroup
# limit (256 MiB in omega.json) kills the whole run.
ADDRESS_SPACE_BYTES = 224 * 1024 * 1024
ALLOWED_KEYS = {"code", "variables", "timeoutSeconds", "maxOutputChars"}

SAFE_BUILTINS = (
    "abs all any ascii bin bool bytearray bytes callable chr complex dict divmod enumerate filter "
    "float format frozenset hash hex id int isinstance issubclass iter len list map max min next "
    "object oct ord pow range repr reversed round set slice sorted str sum tuple type zip "
    "property staticmethod classmethod super "
    "ArithmeticError AssertionError AttributeError Exception IndexError KeyError LookupError "
    "NameError NotImplementedError OverflowError RecursionError RuntimeError StopIteration "
    "TypeError ValueError ZeroDivisionError NotImplemented Ellipsis False True None"
).split()
ALLOWED_MODULES = frozenset(
    "math cmath statistics fractions decimal numbers random itertools functools operator collections "
    "heapq bisect re string json datetime calendar textwrap unicodedata dataclasses typing enum copy "
    "hashlib base64 binascii zlib difflib pprint array".split()
)
ALLOWED_DUNDERS = frozenset({"__init__", "__name__", "__doc__", "__repr__", "__str__", "__eq__", "__lt__", "__len__"})


class ToolError(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class BudgetExceeded(BaseException):
    """Raised from the timer signal; a BaseException so user `except Exception` cannot swallow it."""


def fail(error: ToolError, stdout: str | None = None) -> NoReturn:
    body: dict[str, Any] = {"code": error.code, "message": error.message, **error.details}
    document: dict[str, Any] = {"error": body}
    if stdout:
        document["stdout"] = stdout
    print(json.dumps(document, ensure_ascii=False))
    sys.exit(2 if error.code == "INVALID_INPUT" else 1)


class CappedWriter(io.TextIOBase):
    """A text sink that keeps at most `limit` characters and remembers whether it dropped any."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("write() argument must be str")
        room = self.limit - self.size
        if len(text) > room:
            self.truncated = True
            text = text[: max(room, 0)]
        self.parts.append(text)
        self.size += len(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def restricted_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    root = name.split(".")[0]
    if level != 0 or root not in ALLOWED_MODULES:
        raise ImportError(f"import of '{name}' is not allowed (allowed: {', '.join(sorted(ALLOWED_MODULES))})")
    return __import__(name, globals, locals, fromlist, level)


def check_tree(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.Name):
            name = node.id
        if name and name.startswith("__") and name not in ALLOWED_DUNDERS:
            raise ToolError(
                "FORBIDDEN",
                f"access to '{name}' is not allowed",
                line=getattr(node, "lineno", None),
            )


def to_json(value: Any, depth: int = 0) -> Any:
    """Convert a Python value to JSON: containers recursively, other objects by their repr."""
    if depth > 100:
        raise ToolError("RESULT_NOT_SERIALIZABLE", "result is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v, depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, dict):
        return {str(k): to_json(v, depth + 1) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value), depth + 1)
    if isinstance(value, (fractions.Fraction, decimal.Decimal, complex)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "isoformat") and callable(value.isoformat):
        return value.isoformat()
    if hasattr(value, "__iter__") and not isinstance(value, type):
        return [to_json(v, depth + 1) for v in _take(value, 100_000)]
    return repr(value)


def _take(iterable: Any, limit: int) -> list[Any]:
    out: list[Any] = []
    for item in iterable:
        if len(out) >= limit:
            raise ToolError("OUTPUT_TOO_LARGE", f"result iterable has more than {limit} items")
        out.append(item)
    return out


def evaluate(code: str, variables: dict[str, Any], stdout: CappedWriter) -> tuple[Any, bool]:
    """Run the code; return (value, has_value)."""
    try:
        tree = ast.parse(code, "<input>", "exec")
    except SyntaxError as exc:
        raise ToolError("SYNTAX_ERROR", f"{exc.msg} (line {exc.lineno}, column {exc.offset})", line=exc.lineno) from None
    check_tree(tree)

    safe = {name: getattr(builtins, name) for name in SAFE_BUILTINS if hasattr(builtins, name)}
    safe["__import__"] = restricted_import
    safe["__build_class__"] = builtins.__build_class__
    safe["print"] = lambda *args, **kwargs: print(*args, **{**kwargs, "file": stdout})
    namespace: dict[str, Any] = {"__builtins__": safe, "__name__": "__main__", **variables}

    last_expr: ast.expr | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last_expr = tree.body.pop().value
    with contextlib.redirect_stdout(stdout):
        exec(compile(tree, "<input>", "exec"), namespace)  # noqa: S102 - the jail is the sandbox
        if last_expr is not None:
            expression = ast.Expression(last_expr)
            ast.fix_missing_locations(expression)
            return eval(compile(expression, "<input>", "eval"), namespace), True  # noqa: S307
    if "result" in namespace:
        return namespace["result"], True
    return None, False


def read_input() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ToolError("INVALID_INPUT", f"input exceeds {MAX_INPUT_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ToolError("INVALID_INPUT", f"stdin is not a JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise ToolError("INVALID_INPUT", "input must be a JSON object")
    unknown = sorted(set(doc) - ALLOWED_KEYS)
    if unknown:
        raise ToolError("INVALID_INPUT", f"unknown input field(s): {', '.join(unknown)}")
    code = doc.get("code")
    if not isinstance(code, str) or not code.strip():
        raise ToolError("INVALID_INPUT", "'code' is required and must be a non-empty string")
    if len(code) > MAX_CODE_CHARS:
        raise ToolError("INVALID_INPUT", f"'code' is longer than {MAX_CODE_CHARS} characters")
    variables = doc.get("variables", {})
    if not isinstance(variables, dict) or not all(k.isidentifier() and not k.startswith("_") for k in variables):
        raise ToolError("INVALID_INPUT", "'variables' must be an object whose keys are Python identifiers (not starting with _)")
    doc["variables"] = variables
    for key, name, low, high, default in (("timeoutSeconds", "timeout", 1, 25, 10), ("maxOutputChars", "output", 0, 200_000, 10_000)):
        value = doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ToolError("INVALID_INPUT", f"'{key}' must be an integer between {low} and {high}")
        doc[key] = value
    return doc


def on_timer(signum: int, frame: Any) -> None:
    raise BudgetExceeded()


def ensure_fixed_hash_seed() -> None:
    """Re-execute with PYTHONHASHSEED=0 so that set/dict-of-str iteration order, and so results and
    reprs, are the same on every run (Python randomizes string hashes per process otherwise)."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        environment = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, "-s", os.path.abspath(__file__)], environment)


def main() -> None:
    ensure_fixed_hash_seed()
    try:
        doc = read_input()
    except ToolError as exc:
        fail(exc)
    stdout = CappedWriter(doc["maxOutputChars"])
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > ADDRESS_SPACE_BYTES:
            resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, hard))
    signal.signal(signal.SIGALRM, on_timer)
    signal.setitimer(signal.ITIMER_REAL, doc["timeoutSeconds"])
    try:
        value, has_value = evaluate(doc["code"], doc["variables"], stdout)
        result = to_json(value)
        encoded = json.dumps(result, ensure_ascii=False)
    except ToolError as exc:
        fail(exc, stdout.getvalue())
    except BudgetExceeded:
        fail(ToolError("TIMEOUT", f"the code ran longer than {doc['timeoutSeconds']} s"), stdout.getvalue())
    except MemoryError:
        fail(ToolError("MEMORY_ERROR", "the code ran out of memory"), stdout.getvalue())
    except RecursionError:
        fail(ToolError("EXECUTION_ERROR", "RecursionError: maximum recursion depth exceeded"), stdout.getvalue())
    except Exception as exc:  # the user's code raised
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<input>":
                line = tb.tb_lineno
            tb = tb.tb_next
        fail(ToolError("EXECUTION_ERROR", f"{type(exc).__name__}: {exc}", line=line), stdout.getvalue())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if len(encoded.encode("utf-8")) > MAX_RESULT_BYTES:
        fail(ToolError("OUTPUT_TOO_LARGE", f"the result is larger than {MAX_RESULT_BYTES} bytes as JSON"))
    type_name = type(value).__name__ if has_value else "NoneType"
    representation = repr(value)
    output = {
        "result": result,
        "resultType": type_name,
        "repr": representation if len(representation) <= 1000 else representation[:1000] + "…",
        "stdout": stdout.getvalue(),
        "stdoutTruncated": stdout.truncated,
    }
    print(json.dumps(output, ensure_ascii=False))


if __name__ == "__main__":
    main()
