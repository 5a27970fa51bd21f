#!/usr/bin/env python3
"""data.json_query: run a jq-style query over a JSON document.

The language is a documented subset of jq (see README.md):

    .  .name  ."odd key"  .["key"]  .[0]  .[-1]  .[2:5]  .[]  ..  .a.b[0].c  .x?
    a | b        a , b        (a)        [a]  (collect)        {name: .n, "k": .v, id}
    == != < <= > >=    and  or    + - * / %    literals: 1 2.5 "s" true false null
    if c then a elif c2 then b else d end        a // b (alternative)        f?  (suppress errors)
    and the builtins listed in README.md (length, keys, map, select, sort_by, group_by, ...)

Results are every output of the query, in order. Values compare with jq's total order
(null < false < true < numbers < strings < arrays < objects).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NoReturn

MAX_INPUT_BYTES = 32 * 1024 * 1024
MAX_QUERY_CHARS = 4000
MAX_RESULTS_DEFAULT = 10_000
MAX_DEPTH = 200
ALLOWED_KEYS = {"data", "query", "maxResults"}


class QueryError(Exception):
    """A malformed query (found while parsing)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class EvalError(Exception):
    """A query that fails on this data (e.g. indexing a number). `?` suppresses it."""


class ToolError(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def fail(error: ToolError) -> NoReturn:
    print(json.dumps({"error": {"code": error.code, "message": error.message, **error.details}}, ensure_ascii=False))
    sys.exit(2)


# ---------------------------------------------------------------------------------------------------
# Lexer

TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<op>\.\.|==|!=|<=|>=|//|[.\[\]{}()|,:;<>+\-*/%?])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, op, ident, eof
    value: Any
    pos: int


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        match = TOKEN_RE.match(query, pos)
        if match is None and query[pos] == "$":
            raise QueryError(f"variables ($name) are not supported (column {pos + 1})", pos + 1)
        if match is None:
            raise QueryError(f"unexpected character {query[pos]!r} at column {pos + 1}", pos + 1)
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "num":
            tokens.append(Token("num", float(text) if any(c in text for c in ".eE") else int(text), pos))
        elif kind == "str":
            try:
                tokens.append(Token("str", json.loads(text), pos))
            except json.JSONDecodeError:
                raise QueryError(f"bad string literal at column {pos + 1}", pos + 1) from None
        elif kind in ("op", "ident"):
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("eof", None, len(query)))
    return tokens


# ---------------------------------------------------------------------------------------------------
# Parser: query text -> AST of tuples


KEYWORDS = {"and", "or", "if", "then", "elif", "else", "end", "true", "false", "null"}


class Parser:
    def __init__(self, query: str) -> None:
        self.tokens = tokenize(query)
        self.i = 0
        self.depth = 0

    # helpers ------------------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def at(self, value: str, kind: str = "op") -> bool:
        token = self.peek()
        return token.kind == kind and token.value == value

    def take(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def expect(self, value: str, kind: str = "op") -> Token:
        token = self.peek()
        if token.kind != kind or token.value != value:
            raise QueryError(f"expected '{value}' at column {token.pos + 1}, found {describe(token)}", token.pos + 1)
        return self.take()

    def error(self, message: str) -> QueryError:
        token = self.peek()
        return QueryError(f"{message} at column {token.pos + 1}, found {describe(token)}", token.pos + 1)

    # grammar ------------------------------------------------------------------------------------------
    def parse(self) -> tuple:
        node = self.pipe()
        if self.peek().kind != "eof":
            raise self.error("unexpected input")
        return node

    def pipe(self) -> tuple:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("query nested too deeply")
        left = self.comma()
        if self.at("|"):
            self.take()
            left = ("pipe", left, self.pipe())
        self.depth -= 1
        return left

    def comma(self) -> tuple:
        left = self.alternative()
        while self.at(","):
            self.take()
            left = ("comma", left, self.alternative())
        return left

    def alternative(self) -> tuple:
        left = self.or_()
        if self.at("//"):
            self.take()
            left = ("alt", left, self.alternative())
        return left

    def or_(self) -> tuple:
        left = self.and_()
        while self.at("or", "ident"):
            self.take()
            left = ("or", left, self.and_())
        return left

    def and_(self) -> tuple:
        left = self.compare()
        while self.at("and", "ident"):
            self.take()
            left = ("and", left, self.compare())
        return left

    def compare(self) -> tuple:
        left = self.additive()
        token = self.peek()
        if token.kind == "op" and token.value in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.additive()
            nxt = self.peek()
            if nxt.kind == "op" and nxt.value in ("==", "!=", "<", "<=", ">", ">="):
                raise self.error("comparisons do not chain; use 'and'")
            return ("cmp", token.value, left, right)
        return left

    def additive(self) -> tuple:
        left = self.multiplicative()
        while self.peek().kind == "op" and self.peek().value in ("+", "-"):
            op = self.take().value
            left = ("arith", op, left, self.multiplicative())
        return left

    def multiplicative(self) -> tuple:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().value in ("*", "/", "%"):
            op = self.take().value
            left = ("arith", op, left, self.unary())
        return left

    def unary(self) -> tuple:
        if self.at("-"):
            self.take()
            return ("neg", self.unary())
        return self.postfix()

    def postfix(self) -> tuple:
        node = self.primary()
        while True:
            if self.at("."):
                dot, token = self.peek(), self.peek(1)
                if token.kind in ("ident", "str") and token.pos == dot.pos + 1:
                    self.take()
                    self.take()
                    node = ("pipe", node, ("field", token.value))
                    continue
                if token.kind == "op" and token.value == "[":
                    self.take()
                    node = self.bracket_suffix(node)
                    continue
                raise self.error("expected a field name right after '.'")
            if self.at("["):
                node = self.bracket_suffix(node)
                continue
            if self.at("?"):
                self.take()
                node = ("try", node)
                continue
            return node

    def bracket_suffix(self, target: tuple) -> tuple:
        """Parse `[]`, `[expr]`, `[a:b]` after a term. As in jq, the index expressions see the same
        input as the term (in `.items[.i]`, `.i` is a field of the input, not of `.items`)."""
        self.expect("[")
        if self.at("]"):
            self.take()
            return ("iterate", target)
        start = None if self.at(":") else self.pipe()
        if self.at(":"):
            self.take()
            end = None if self.at("]") else self.pipe()
            self.expect("]")
            return ("slice", target, start, end)
        self.expect("]")
        return ("index", target, start)

    def primary(self) -> tuple:
        token = self.peek()
        if token.kind == "num" or token.kind == "str":
            self.take()
            return ("literal", token.value)
        if token.kind == "op":
            if token.value == "..":
                self.take()
                return ("recurse",)
            if token.value == ".":
                self.take()
                following = self.peek()
                if following.kind in ("ident", "str") and following.pos == token.pos + 1:
                    self.take()
                    return ("field", following.value)
                return ("identity",)
            if token.value == "(":
                self.take()
                node = self.pipe()
                self.expect(")")
                return node
            if token.value == "[":
                self.take()
                if self.at("]"):
                    self.take()
                    return ("literal", [])
                node = self.pipe()
                self.expect("]")
                return ("collect", node)
            if token.value == "{":
                return self.object_construction()
        if token.kind == "ident":
            if token.value in ("true", "false", "null"):
                self.take()
                return ("literal", {"true": True, "false": False, "null": None}[token.value])
            if token.value == "if":
                return self.conditional()
            if token.value in KEYWORDS:
                raise self.error(f"unexpected keyword '{token.value}'")
            self.take()
            args: list[tuple] = []
            if self.at("("):
                self.take()
                args.append(self.pipe())
                while self.at(";"):
                    self.take()
                    args.append(self.pipe())
                self.expect(")")
            return self.function(token, args)
        raise self.error("expected a value, '.', a function or '('")

    def conditional(self) -> tuple:
        self.expect("if", "ident")
        branches: list[tuple[tuple, tuple]] = []
        condition = self.pipe()
        self.expect("then", "ident")
        branches.append((condition, self.pipe()))
        otherwise: tuple = ("identity",)
        while True:
            if self.at("elif", "ident"):
                self.take()
                condition = self.pipe()
                self.expect("then", "ident")
                branches.append((condition, self.pipe()))
                continue
            if self.at("else", "ident"):
                self.take()
                otherwise = self.pipe()
            self.expect("end", "ident")
            return ("if", tuple(branches), otherwise)

    def object_construction(self) -> tuple:
        self.expect("{")
        entries: list[tuple[tuple, tuple]] = []
        while not self.at("}"):
            token = self.peek()
            if token.kind in ("ident", "str"):
                self.take()
                key: tuple = ("literal", token.value)
                if self.at(":"):
                    self.take()
                    value = self.alternative_no_comma()
                else:
                    value = ("field", token.value)  # {name} is {name: .name}
            elif token.kind == "op" and token.value == "(":
                self.take()
                key = self.pipe()
                self.expect(")")
                self.expect(":")
                value = self.alternative_no_comma()
            else:
                raise self.error("expected an object key")
            entries.append((key, value))
            if not self.at(","):
                break
            self.take()
        self.expect("}")
        return ("object", tuple(entries))

    def alternative_no_comma(self) -> tuple:
        # Object values bind tighter than ',' (as in jq); a pipe needs parentheses.
        return self.alternative()

    def function(self, token: Token, args: list[tuple]) -> tuple:
        name = token.value
        arity = FUNCTION_ARITY.get(name)
        if arity is None:
            raise QueryError(f"unknown function '{name}' at column {token.pos + 1}", token.pos + 1)
        if len(args) not in arity:
            expected = " or ".join(str(n) for n in sorted(arity))
            raise QueryError(f"{name} takes {expected} argument(s), got {len(args)} at column {token.pos + 1}", token.pos + 1)
        return ("call", name, tuple(args))


def describe(token: Token) -> str:
    if token.kind == "eof":
        return "end of query"
    if token.kind == "str":
        return json.dumps(token.value)
    return f"'{token.value}'"


# ---------------------------------------------------------------------------------------------------
# Values: jq ordering, truthiness, arithmetic


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


TYPE_RANK = {"null": 0, "boolean": 1, "number": 2, "string": 3, "array": 4, "object": 5}


def compare(a: Any, b: Any) -> int:
    ta, tb = type_name(a), type_name(b)
    if ta != tb:
        return -1 if TYPE_RANK[ta] < TYPE_RANK[tb] else 1
    if ta == "null":
        return 0
    if ta in ("boolean", "number", "string"):
        return (a > b) - (a < b)
    if ta == "array":
        for x, y in zip(a, b):
            c = compare(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    keys_a, keys_b = sorted(a), sorted(b)
    if keys_a != keys_b:
        return compare(keys_a, keys_b)
    for key in keys_a:
        c = compare(a[key], b[key])
        if c:
            return c
    return 0


class SortKey:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: "SortKey") -> bool:
        return compare(self.value, other.value) < 0


def truthy(v: Any) -> bool:
    return v is not None and v is not False


def number(v: Any, what: str) -> float | int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise EvalError(f"{what} needs a number, got {type_name(v)}")
    return v


def arithmetic(op: str, a: Any, b: Any) -> Any:
    ta, tb = type_name(a), type_name(b)
    if op == "+":
        if a is None:
            return b
        if b is None:
            return a
        if ta == tb == "number":
            return a + b
        if ta == tb and ta in ("string", "array"):
            return a + b
        if ta == tb == "object":
            return {**a, **b}
    elif op == "-":
        if ta == tb == "number":
            return a - b
        if ta == tb == "array":
            return [x for x in a if all(compare(x, y) for y in b)]
    elif op == "*":
        if ta == tb == "number":
            return a * b
        if ta == tb == "object":
            return deep_merge(a, b)
    elif op == "/":
        if ta == tb == "number":
            if b == 0:
                raise EvalError("division by zero")
            return a / b
        if ta == tb == "string":
            return a.split(b) if b else list(a)
    elif op == "%":
        if ta == tb == "number":
            if int(b) == 0:
                raise EvalError("modulo by zero")
            return int(math.fmod(int(a), int(b)))
    raise EvalError(f"cannot apply '{op}' to {ta} and {tb}")


def deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        out[key] = deep_merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


def normalize_number(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


# ---------------------------------------------------------------------------------------------------
# Evaluator: a generator of outputs per node

Env = dict[str, Any]
FUNCTION_ARITY: dict[str, set[int]] = {
    "length": {0}, "keys": {0}, "values": {0}, "map": {1}, "select": {1}, "sort": {0}, "sort_by": {1},
    "group_by": {1}, "unique": {0}, "unique_by": {1}, "reverse": {0}, "first": {0, 1}, "last": {0, 1},
    "add": {0}, "min": {0}, "max": {0}, "min_by": {1}, "max_by": {1}, "has": {1}, "contains": {1},
    "type": {0}, "not": {0}, "empty": {0}, "join": {1}, "split": {1}, "to_entries": {0},
    "from_entries": {0}, "flatten": {0, 1}, "tostring": {0}, "tonumber": {0}, "ascii_downcase": {0},
    "ascii_upcase": {0}, "startswith": {1}, "endswith": {1}, "test": {1, 2}, "any": {0, 1}, "all": {0, 1},
    "range": {1, 2}, "floor": {0}, "ceil": {0}, "round": {0}, "abs": {0}, "limit": {2}, "error": {0, 1},
    "keys_unsorted": {0}, "map_values": {1}, "del": {1}, "paths": {0}, "tojson": {0}, "fromjson": {0},
    "ltrimstr": {1}, "rtrimstr": {1}, "splits": {1}, "index": {1}, "indices": {1}, "with_entries": {1},
    "recurse": {0}, "isempty": {1}, "count": {0}, "numbers": {0}, "strings": {0}, "booleans": {0},
    "nulls": {0}, "arrays": {0}, "objects": {0}, "iterables": {0}, "scalars": {0},
}


class Evaluator:
    def __init__(self) -> None:
        self.steps = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > 5_000_000:
            raise EvalError("query is too expensive (more than 5,000,000 steps)")

    def one(self, node: tuple, value: Any, what: str) -> Any:
        outputs = list(self.eval(node, value))
        if len(outputs) != 1:
            raise EvalError(f"{what} must produce exactly one value, got {len(outputs)}")
        return outputs[0]

    def eval(self, node: tuple, value: Any) -> Iterator[Any]:
        self.tick()
        kind = node[0]
        if kind == "identity":
            yield value
        elif kind == "literal":
            yield node[1]
        elif kind == "field":
            yield self.field(value, node[1])
        elif kind == "index":
            for target in self.eval(node[1], value):
                for key in self.eval(node[2], value):
                    yield self.index(target, key)
        elif kind == "slice":
            for target in self.eval(node[1], value):
                starts = [None] if node[2] is None else list(self.eval(node[2], value))
                ends = [None] if node[3] is None else list(self.eval(node[3], value))
                for start in starts:
                    for end in ends:
                        yield self.slice(target, start, end)
        elif kind == "iterate":
            for target in self.eval(node[1], value):
                yield from self.iterate(target)
        elif kind == "recurse":
            yield from self.recurse(value)
        elif kind == "pipe":
            for middle in self.eval(node[1], value):
                yield from self.eval(node[2], middle)
        elif kind == "comma":
            yield from self.eval(node[1], value)
            yield from self.eval(node[2], value)
        elif kind == "alt":
            found = False
            try:
                for out in self.eval(node[1], value):
                    if truthy(out):
                        found = True
                        yield out
            except EvalError:
                pass
            if not found:
                yield from self.eval(node[2], value)
        elif kind == "try":
            try:
                yield from list(self.eval(node[1], value))
            except EvalError:
                return
        elif kind == "collect":
            yield list(self.eval(node[1], value))
        elif kind == "object":
            yield from self.construct(node[1], value, 0, {})
        elif kind in ("and", "or"):
            for left in self.eval(node[1], value):
                if kind == "and" and not truthy(left):
                    yield False
                elif kind == "or" and truthy(left):
                    yield True
                else:
                    for right in self.eval(node[2], value):
                        yield truthy(right)
        elif kind == "cmp":
            op = node[1]
            for right in self.eval(node[3], value):
                for left in self.eval(node[2], value):
                    c = compare(left, right)
                    yield {"==": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
        elif kind == "arith":
            for right in self.eval(node[3], value):
                for left in self.eval(node[2], value):
                    yield arithmetic(node[1], left, right)
        elif kind == "neg":
            for v in self.eval(node[1], value):
                yield -number(v, "negation")
        elif kind == "if":
            yield from self.conditional(node[1], node[2], value)
        elif kind == "call":
            yield from self.call(node[1], node[2], value)
        else:  # pragma: no cover - the parser only makes the kinds above
            raise EvalError(f"internal: unknown node {kind}")

    def conditional(self, branches: tuple, otherwise: tuple, value: Any) -> Iterator[Any]:
        if not branches:
            yield from self.eval(otherwise, value)
            return
        (condition, then), rest = branches[0], branches[1:]
        for c in self.eval(condition, value):
            if truthy(c):
                yield from self.eval(then, value)
            else:
                yield from self.conditional(rest, otherwise, value)

    def construct(self, entries: tuple, value: Any, i: int, partial: dict) -> Iterator[Any]:
        if i == len(entries):
            yield dict(partial)
            return
        key_node, value_node = entries[i]
        for key in self.eval(key_node, value):
            if not isinstance(key, str):
                raise EvalError(f"object keys must be strings, got {type_name(key)}")
            for v in self.eval(value_node, value):
                yield from self.construct(entries, value, i + 1, {**partial, key: v})

    # access ---------------------------------------------------------------------------------------
    @staticmethod
    def field(value: Any, name: str) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            return value.get(name)
        raise EvalError(f"cannot index {type_name(value)} with \"{name}\"")

    def index(self, value: Any, key: Any) -> Any:
        if isinstance(key, str):
            return self.field(value, key)
        if value is None:
            return None
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            if not isinstance(value, list):
                raise EvalError(f"cannot index {type_name(value)} with a number")
            i = math.floor(key)
            if i < 0:
                i += len(value)
            return value[i] if 0 <= i < len(value) else None
        raise EvalError(f"cannot index {type_name(value)} with {type_name(key)}")

    @staticmethod
    def slice(value: Any, start: Any, end: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, (list, str)):
            raise EvalError(f"cannot slice {type_name(value)}")
        for bound in (start, end):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
                raise EvalError("slice bounds must be numbers")
        s = None if start is None else math.floor(start)
        e = None if end is None else math.ceil(end)
        return value[s:e]

    @staticmethod
    def iterate(value: Any) -> Iterator[Any]:
        if isinstance(value, list):
            yield from value
        elif isinstance(value, dict):
            yield from value.values()
        else:
            raise EvalError(f"cannot iterate over {type_name(value)}")

    def recurse(self, value: Any) -> Iterator[Any]:
        self.tick()
        yield value
        if isinstance(value, list):
            for v in value:
                yield from self.recurse(v)
        elif isinstance(value, dict):
            for v in value.values():
                yield from self.recurse(v)

    # builtins -------------------------------------------------------------------------------------
    def call(self, name: str, args: tuple, value: Any) -> Iterator[Any]:
        handler: Callable[..., Iterator[Any]] | None = getattr(self, f"fn_{name}", None)
        if handler is None:  # pragma: no cover - arity table and methods agree
            raise EvalError(f"unknown function {name}")
        yield from handler(value, *args)

    def each_arg(self, node: tuple, value: Any) -> Iterator[Any]:
        return self.eval(node, value)

    def fn_length(self, v: Any) -> Iterator[Any]:
        if v is None:
            yield 0
        elif isinstance(v, bool):
            raise EvalError("boolean has no length")
        elif isinstance(v, (int, float)):
            yield abs(v)
        else:
            yield len(v)

    def fn_count(self, v: Any) -> Iterator[Any]:
        yield from self.fn_length(v)

    def fn_keys(self, v: Any) -> Iterator[Any]:
        if isinstance(v, dict):
            yield sorted(v)
        elif isinstance(v, list):
            yield list(range(len(v)))
        else:
            raise EvalError(f"{type_name(v)} has no keys")

    def fn_keys_unsorted(self, v: Any) -> Iterator[Any]:
        if isinstance(v, dict):
            yield list(v)
        else:
            yield from self.fn_keys(v)

    def fn_values(self, v: Any) -> Iterator[Any]:
        if v is not None:  # jq: select(. != null)
            yield v

    def _of_types(self, v: Any, *types: str) -> Iterator[Any]:
        if type_name(v) in types:
            yield v

    def fn_numbers(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "number")

    def fn_strings(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "string")

    def fn_booleans(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "boolean")

    def fn_nulls(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "null")

    def fn_arrays(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "array")

    def fn_objects(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "object")

    def fn_iterables(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "array", "object")

    def fn_scalars(self, v: Any) -> Iterator[Any]:
        return self._of_types(v, "null", "boolean", "number", "string")

    def fn_map(self, v: Any, f: tuple) -> Iterator[Any]:
        yield [out for item in self.iterate(v) for out in self.eval(f, item)]

    def fn_map_values(self, v: Any, f: tuple) -> Iterator[Any]:
        if isinstance(v, dict):
            result = {}
            for key, item in v.items():
                outs = list(self.eval(f, item))
                if outs:
                    result[key] = outs[0]
            yield result
        else:
            yield [outs[0] for item in self.iterate(v) if (outs := list(self.eval(f, item)))]

    def fn_select(self, v: Any, f: tuple) -> Iterator[Any]:
        for c in self.eval(f, v):
            if truthy(c):
                yield v

    def fn_sort(self, v: Any) -> Iterator[Any]:
        yield sorted(self.array(v, "sort"), key=SortKey)

    def fn_sort_by(self, v: Any, f: tuple) -> Iterator[Any]:
        items = self.array(v, "sort_by")
        yield [item for _, item in sorted(((SortKey(list(self.eval(f, item))), item) for item in items), key=lambda p: p[0])]

    def fn_group_by(self, v: Any, f: tuple) -> Iterator[Any]:
        items = self.array(v, "group_by")
        keyed = sorted(((list(self.eval(f, item)), item) for item in items), key=lambda p: SortKey(p[0]))
        groups: list[list[Any]] = []
        previous: Any = object()
        for key, item in keyed:
            if groups and compare(key, previous) == 0:
                groups[-1].append(item)
            else:
                groups.append([item])
            previous = key
        yield groups

    def fn_unique(self, v: Any) -> Iterator[Any]:
        out: list[Any] = []
        for item in sorted(self.array(v, "unique"), key=SortKey):
            if not out or compare(out[-1], item):
                out.append(item)
        yield out

    def fn_unique_by(self, v: Any, f: tuple) -> Iterator[Any]:
        for groups in self.fn_group_by(v, f):
            yield [group[0] for group in groups]

    def fn_reverse(self, v: Any) -> Iterator[Any]:
        if v is None:
            yield []
        elif isinstance(v, str):
            yield v[::-1]
        else:
            yield list(reversed(self.array(v, "reverse")))

    def fn_first(self, v: Any, f: tuple | None = None) -> Iterator[Any]:
        if f is None:
            yield self.index(v, 0)
            return
        for out in self.eval(f, v):
            yield out
            return

    def fn_last(self, v: Any, f: tuple | None = None) -> Iterator[Any]:
        if f is None:
            yield self.index(v, -1)
            return
        outs = list(self.eval(f, v))
        if outs:
            yield outs[-1]

    def fn_limit(self, v: Any, n: tuple, f: tuple) -> Iterator[Any]:
        for count in self.eval(n, v):
            count = number(count, "limit")
            if count <= 0:
                continue
            for i, out in enumerate(self.eval(f, v)):
                yield out
                if i + 1 >= count:
                    break

    def fn_add(self, v: Any) -> Iterator[Any]:
        total: Any = None
        for item in self.iterate(v):
            total = arithmetic("+", total, item)
        yield total

    def fn_min(self, v: Any) -> Iterator[Any]:
        items = self.array(v, "min")
        yield min(items, key=SortKey) if items else None

    def fn_max(self, v: Any) -> Iterator[Any]:
        items = self.array(v, "max")
        yield max(items, key=SortKey) if items else None

    def fn_min_by(self, v: Any, f: tuple) -> Iterator[Any]:
        items = self.array(v, "min_by")
        yield min(items, key=lambda item: SortKey(list(self.eval(f, item)))) if items else None

    def fn_max_by(self, v: Any, f: tuple) -> Iterator[Any]:
        items = self.array(v, "max_by")
        yield max(items, key=lambda item: SortKey(list(self.eval(f, item)))) if items else None

    def fn_has(self, v: Any, f: tuple) -> Iterator[Any]:
        for key in self.eval(f, v):
            if isinstance(v, dict) and isinstance(key, str):
                yield key in v
            elif isinstance(v, list) and isinstance(key, (int, float)) and not isinstance(key, bool):
                yield 0 <= key < len(v)
            else:
                raise EvalError(f"cannot check whether {type_name(v)} has a {type_name(key)} key")

    def fn_contains(self, v: Any, f: tuple) -> Iterator[Any]:
        for b in self.eval(f, v):
            yield contains(v, b)

    def fn_type(self, v: Any) -> Iterator[Any]:
        yield type_name(v)

    def fn_not(self, v: Any) -> Iterator[Any]:
        yield not truthy(v)

    def fn_empty(self, v: Any) -> Iterator[Any]:
        return
        yield

    def fn_error(self, v: Any, f: tuple | None = None) -> Iterator[Any]:
        message = v if f is None else self.one(f, v, "error message")
        raise EvalError(message if isinstance(message, str) else json.dumps(message))

    def fn_join(self, v: Any, f: tuple) -> Iterator[Any]:
        for sep in self.eval(f, v):
            if not isinstance(sep, str):
                raise EvalError("join separator must be a string")
            parts = []
            for item in self.array(v, "join"):
                if item is None:
                    parts.append("")
                elif isinstance(item, bool) or isinstance(item, (int, float)):
                    parts.append(json.dumps(normalize_number(item)))
                elif isinstance(item, str):
                    parts.append(item)
                else:
                    raise EvalError(f"cannot join {type_name(item)}")
            yield sep.join(parts)

    def fn_split(self, v: Any, f: tuple) -> Iterator[Any]:
        for sep in self.eval(f, v):
            yield arithmetic("/", self.string(v, "split"), sep)

    def fn_splits(self, v: Any, f: tuple) -> Iterator[Any]:
        for parts in self.fn_split(v, f):
            yield from parts

    def fn_to_entries(self, v: Any) -> Iterator[Any]:
        if not isinstance(v, dict):
            raise EvalError(f"to_entries needs an object, got {type_name(v)}")
        yield [{"key": k, "value": x} for k, x in v.items()]

    def fn_from_entries(self, v: Any) -> Iterator[Any]:
        out = {}
        for entry in self.array(v, "from_entries"):
            if not isinstance(entry, dict):
                raise EvalError("from_entries needs an array of objects")
            key = next((entry[k] for k in ("key", "k", "name", "Name", "Key", "K") if k in entry), None)
            if isinstance(key, bool) or isinstance(key, (int, float)):
                key = json.dumps(key)
            if not isinstance(key, str):
                raise EvalError("from_entries: each entry needs a string 'key'")
            out[key] = next((entry[k] for k in ("value", "v", "Value", "V") if k in entry), None)
        yield out

    def fn_with_entries(self, v: Any, f: tuple) -> Iterator[Any]:
        for entries in self.fn_to_entries(v):
            mapped = [out for entry in entries for out in self.eval(f, entry)]
            yield from self.fn_from_entries(mapped)

    def fn_flatten(self, v: Any, f: tuple | None = None) -> Iterator[Any]:
        depth = 10**9 if f is None else number(self.one(f, v, "flatten depth"), "flatten")
        if depth < 0:
            raise EvalError("flatten depth must not be negative")

        def flat(items: list, d: float) -> list:
            out: list = []
            for item in items:
                if isinstance(item, list) and d > 0:
                    out.extend(flat(item, d - 1))
                else:
                    out.append(item)
            return out

        yield flat(self.array(v, "flatten"), depth)

    def fn_tostring(self, v: Any) -> Iterator[Any]:
        yield v if isinstance(v, str) else json.dumps(normalize_number(v), ensure_ascii=False, separators=(",", ":"))

    def fn_tojson(self, v: Any) -> Iterator[Any]:
        yield json.dumps(normalize_number(v), ensure_ascii=False, separators=(",", ":"))

    def fn_fromjson(self, v: Any) -> Iterator[Any]:
        try:
            yield json.loads(self.string(v, "fromjson"))
        except json.JSONDecodeError as exc:
            raise EvalError(f"fromjson: {exc}") from None

    def fn_tonumber(self, v: Any) -> Iterator[Any]:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            yield v
            return
        text = self.string(v, "tonumber").strip()
        try:
            yield int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
        except ValueError:
            raise EvalError(f"cannot parse {text!r} as a number") from None

    def fn_ascii_downcase(self, v: Any) -> Iterator[Any]:
        yield "".join(c.lower() if "A" <= c <= "Z" else c for c in self.string(v, "ascii_downcase"))

    def fn_ascii_upcase(self, v: Any) -> Iterator[Any]:
        yield "".join(c.upper() if "a" <= c <= "z" else c for c in self.string(v, "ascii_upcase"))

    def fn_startswith(self, v: Any, f: tuple) -> Iterator[Any]:
        for prefix in self.eval(f, v):
            yield self.string(v, "startswith").startswith(self.string(prefix, "startswith"))

    def fn_endswith(self, v: Any, f: tuple) -> Iterator[Any]:
        for suffix in self.eval(f, v):
            yield self.string(v, "endswith").endswith(self.string(suffix, "endswith"))

    def fn_ltrimstr(self, v: Any, f: tuple) -> Iterator[Any]:
        for prefix in self.eval(f, v):
            yield v[len(prefix):] if isinstance(v, str) and isinstance(prefix, str) and v.startswith(prefix) else v

    def fn_rtrimstr(self, v: Any, f: tuple) -> Iterator[Any]:
        for suffix in self.eval(f, v):
            ok = isinstance(v, str) and isinstance(suffix, str) and suffix and v.endswith(suffix)
            yield v[: -len(suffix)] if ok else v

    def fn_test(self, v: Any, f: tuple, flags_node: tuple | None = None) -> Iterator[Any]:
        flags = "" if flags_node is None else self.string(self.one(flags_node, v, "test flags"), "test")
        re_flags = 0
        for flag in flags:
            if flag == "i":
                re_flags |= re.IGNORECASE
            elif flag == "x":
                re_flags |= re.VERBOSE
            elif flag == "s":
                re_flags |= re.DOTALL
            else:
                raise EvalError(f"test: unsupported flag {flag!r} (use i, x, s)")
        for pattern in self.eval(f, v):
            pattern = self.string(pattern, "test")
            if len(pattern) > 500:
                raise EvalError("test: pattern longer than 500 characters")
            try:
                yield re.search(pattern, self.string(v, "test"), re_flags) is not None
            except re.error as exc:
                raise EvalError(f"test: bad regular expression: {exc}") from None

    def fn_index(self, v: Any, f: tuple) -> Iterator[Any]:
        for found in self.fn_indices(v, f):
            yield found[0] if found else None

    def fn_indices(self, v: Any, f: tuple) -> Iterator[Any]:
        for needle in self.eval(f, v):
            if isinstance(v, str) and isinstance(needle, str) and needle:
                yield [m.start() for m in re.finditer(f"(?={re.escape(needle)})", v)]
            elif isinstance(v, list):
                sub = needle if isinstance(needle, list) else [needle]
                yield [i for i in range(len(v) - len(sub) + 1) if sub and all(compare(v[i + k], sub[k]) == 0 for k in range(len(sub)))]
            elif v is None:
                yield None
            else:
                raise EvalError(f"cannot search {type_name(v)} for {type_name(needle)}")

    def fn_any(self, v: Any, f: tuple | None = None) -> Iterator[Any]:
        items = self.array(v, "any")
        yield any(truthy(out) for item in items for out in (self.eval(f, item) if f else [item]))

    def fn_all(self, v: Any, f: tuple | None = None) -> Iterator[Any]:
        items = self.array(v, "all")
        yield all(truthy(out) for item in items for out in (self.eval(f, item) if f else [item]))

    def fn_isempty(self, v: Any, f: tuple) -> Iterator[Any]:
        for _ in self.eval(f, v):
            yield False
            return
        yield True

    def fn_range(self, v: Any, a: tuple, b: tuple | None = None) -> Iterator[Any]:
        for first in self.eval(a, v):
            start, stop = (0, number(first, "range")) if b is None else (number(first, "range"), None)
            stops = [stop] if stop is not None else [number(x, "range") for x in self.eval(b, v)]  # type: ignore[arg-type]
            for end in stops:
                if end - start > 1_000_000:
                    raise EvalError("range is limited to 1,000,000 values")
                i = start
                while i < end:
                    self.tick()
                    yield i
                    i += 1

    def fn_floor(self, v: Any) -> Iterator[Any]:
        yield math.floor(number(v, "floor"))

    def fn_ceil(self, v: Any) -> Iterator[Any]:
        yield math.ceil(number(v, "ceil"))

    def fn_round(self, v: Any) -> Iterator[Any]:
        x = number(v, "round")
        yield math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)

    def fn_abs(self, v: Any) -> Iterator[Any]:
        yield abs(number(v, "abs"))

    def fn_del(self, v: Any, f: tuple) -> Iterator[Any]:
        # Supports del(.key), del(.[i]), del(.a, .b): one level of path below the input.
        targets = flatten_comma(f)
        keys = []
        for target in targets:
            if target[0] == "field":
                keys.append(target[1])
            elif target[0] == "index" and target[1] == ("identity",) and target[2][0] == "literal":
                keys.append(target[2][1])
            else:
                raise EvalError("del supports .key, .[\"key\"] and .[n] paths (one level)")
        if isinstance(v, dict):
            yield {k: x for k, x in v.items() if k not in keys}
        elif isinstance(v, list):
            drop = {(k + len(v)) if isinstance(k, int) and k < 0 else k for k in keys}
            yield [x for i, x in enumerate(v) if i not in drop]
        elif v is None:
            yield None
        else:
            raise EvalError(f"cannot delete from {type_name(v)}")

    def fn_paths(self, v: Any) -> Iterator[Any]:
        def walk(value: Any, prefix: list) -> Iterator[list]:
            items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
            for key, child in items:
                self.tick()
                yield prefix + [key]
                yield from walk(child, prefix + [key])

        yield from walk(v, [])

    def fn_recurse(self, v: Any) -> Iterator[Any]:
        yield from self.recurse(v)

    # type helpers -----------------------------------------------------------------------------------
    @staticmethod
    def array(v: Any, what: str) -> list:
        if not isinstance(v, list):
            raise EvalError(f"{what} needs an array, got {type_name(v)}")
        return v

    @staticmethod
    def string(v: Any, what: str) -> str:
        if not isinstance(v, str):
            raise EvalError(f"{what} needs a string, got {type_name(v)}")
        return v


def flatten_comma(node: tuple) -> list[tuple]:
    if node[0] == "comma":
        return flatten_comma(node[1]) + flatten_comma(node[2])
    return [node]


def contains(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in a and contains(a[k], v) for k, v in b.items())
    if isinstance(a, list) and isinstance(b, list):
        return all(any(contains(x, y) for x in a) for y in b)
    if isinstance(a, str) and isinstance(b, str):
        return b in a
    if type_name(a) == type_name(b):
        return compare(a, b) == 0
    raise EvalError(f"{type_name(a)} and {type_name(b)} cannot have their containment checked")


def clean(value: Any) -> Any:
    """Integral floats print as integers (jq prints 2.0 as 2)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return normalize_number(value)
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------------------


def read_input() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ToolError("INPUT_TOO_LARGE", f"input exceeds {MAX_INPUT_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ToolError("INVALID_INPUT", f"stdin is not a JSON document: {exc}") from None
    except RecursionError:
        raise ToolError("INVALID_INPUT", "the input JSON is nested too deeply") from None
    if not isinstance(doc, dict):
        raise ToolError("INVALID_INPUT", "input must be a JSON object")
    unknown = sorted(set(doc) - ALLOWED_KEYS)
    if unknown:
        raise ToolError("INVALID_INPUT", f"unknown input field(s): {', '.join(unknown)}")
    if "data" not in doc:
        raise ToolError("INVALID_INPUT", "'data' is required (any JSON value)")
    if not isinstance(doc.get("query"), str):
        raise ToolError("INVALID_INPUT", "'query' is required and must be a string")
    if len(doc["query"]) > MAX_QUERY_CHARS:
        raise ToolError("INVALID_INPUT", f"'query' is longer than {MAX_QUERY_CHARS} characters")
    limit = doc.get("maxResults", MAX_RESULTS_DEFAULT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
        raise ToolError("INVALID_INPUT", "'maxResults' must be an integer between 1 and 100000")
    doc["maxResults"] = limit
    return doc


def run(doc: dict[str, Any]) -> dict[str, Any]:
    query = doc["query"].strip() or "."
    try:
        ast = Parser(query).parse()
    except QueryError as exc:
        raise ToolError("INVALID_QUERY", exc.message, position=exc.position) from None
    evaluator = Evaluator()
    results: list[Any] = []
    truncated = False
    try:
        for out in evaluator.eval(ast, doc["data"]):
            if len(results) >= doc["maxResults"]:
                truncated = True
                break
            results.append(clean(out))
    except EvalError as exc:
        raise ToolError("QUERY_ERROR", str(exc), resultsSoFar=len(results)) from None
    except RecursionError:
        raise ToolError("QUERY_ERROR", "the data or the query is nested too deeply") from None
    return {"results": results, "count": len(results), "truncated": truncated}


def main() -> None:
    sys.setrecursionlimit(10_000)
    try:
        result = run(read_input())
    except ToolError as exc:
        print(f"json_query: {exc.message}", file=sys.stderr)
        fail(exc)
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
