"""The robustness case makers, kill scripts and table of ``benchmarks/robustness_*.py``, importable by the tests
(one home for them: the table and the tests build the same cases)."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import robustness_cases as cases  # noqa: E402
import robustness_demo_faults as faults  # noqa: E402
import robustness_hostile as hostile  # noqa: E402
import robustness_table as table  # noqa: E402

__all__ = ["cases", "faults", "hostile", "table"]
