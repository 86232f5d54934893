#!/usr/bin/env bash
# Mutation testing of the planner, the renderer and the quoting (README, "Mutation testing").
#   scripts/mutation.sh [MUTANT_GLOB...]   e.g. 'fluid_render.render.quote.*' (default: all)
# Needs `pip install mutmut` (3.x; config in pyproject.toml [tool.mutmut]). Results are kept in
# mutants/ between runs (mutmut checks everything again after a test changes).
# Prints killed / survived / timed out per module; `mutmut show NAME` shows one mutant.
set -euo pipefail
cd "$(dirname "$0")/.."
MUTMUT=${MUTMUT:-.venv/bin/mutmut}
"$MUTMUT" run --max-children "${JOBS:-2}" "$@" >/dev/null || true
"${PYTHON:-.venv/bin/python}" - <<'PY'
import collections, json, pathlib
from mutmut.stats import status_by_exit_code

table = collections.defaultdict(collections.Counter)
for meta in sorted(pathlib.Path("mutants/fluid_render").rglob("*.py.meta")):
    module = ".".join(meta.relative_to("mutants").with_suffix("").with_suffix("").parts)
    for code in json.loads(meta.read_text())["exit_code_by_key"].values():
        table[module][status_by_exit_code[code]] += 1
columns = ["killed", "survived", "timeout", "no tests", "not checked"]
print(f"{'module':40} {'mutants':>8} " + " ".join(f"{c:>11}" for c in columns))
for module, counts in table.items():
    if counts:
        cells = " ".join(f"{counts[c]:>11}" for c in columns)
        print(f"{module:40} {sum(counts.values()):>8} {cells}")
PY
