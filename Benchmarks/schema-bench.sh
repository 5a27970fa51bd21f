#!/usr/bin/env bash
# JSON Schema validation: omega-exec's validator against Python's jsonschema, same inputs, same run.
#
#   Benchmarks/schema-bench.sh [COUNT]      (default 100000 inputs)
#
# schema-bench (release) generates COUNT deterministic tool inputs (~80% valid, ~20% invalid in ten
# different ways), times (a) validation with full error collection and (b) parse + validate, and
# writes the schema and the inputs to a temp dir; Python's jsonschema (Draft202012Validator,
# list(iter_errors(...)), formats as annotations like ours) then times the same two things on the
# same inputs. Both sides must agree on how many inputs are valid. Prints ops/s and the ratios.
# The Swift figures are the best of 3 passes of COUNT inputs (a pass takes well under a second, so
# one burst of other work on a shared machine would skew it); Python runs one pass per figure, which
# takes ~20 s and so averages the noise.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-100000}"
SCRATCH="${SCRATCH:-.build-schema}"

swift build -c release --scratch-path "$SCRATCH" --product schema-bench >/dev/null
if [ ! -x .venv-bench/bin/python ]; then
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install --quiet --disable-pip-version-check jsonschema
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$SCRATCH/release/schema-bench" --count "$COUNT" --emit "$out" | tee "$out/swift.txt"
swift_json=$(tail -n 1 "$out/swift.txt")

.venv-bench/bin/python - "$out" "$swift_json" <<'PY'
import json, sys, time
from importlib.metadata import version
from jsonschema import Draft202012Validator

out, swift = sys.argv[1], json.loads(sys.argv[2])
schema = json.load(open(f"{out}/schema.json"))
lines = open(f"{out}/inputs.jsonl").read().splitlines()
validator = Draft202012Validator(schema)
inputs = [json.loads(line) for line in lines]
for x in inputs[:2000]:
    list(validator.iter_errors(x))

start = time.perf_counter()
valid = sum(1 for x in inputs if not list(validator.iter_errors(x)))
validate_s = time.perf_counter() - start

start = time.perf_counter()
valid2 = sum(1 for line in lines if not list(validator.iter_errors(json.loads(line))))
parse_validate_s = time.perf_counter() - start

n = len(inputs)
py_validate, py_parse_validate = n / validate_s, n / parse_validate_s
print(f"python jsonschema {version('jsonschema')}: {n} inputs, {valid} valid")
print(f"  validate (all errors)     {py_validate:10.0f} ops/s  ({validate_s:.3f} s)")
print(f"  parse + validate          {py_parse_validate:10.0f} ops/s  ({parse_validate_s:.3f} s)")
assert valid == valid2 == swift["valid"], f"validity disagrees: python {valid}, swift {swift['valid']}"
print("ratio (omega-exec / python):")
print(f"  validate          {swift['validate_ops'] / py_validate:6.1f}x")
print(f"  parse + validate  {swift['parse_validate_ops'] / py_parse_validate:6.1f}x")
PY
