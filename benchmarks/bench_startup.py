"""Start-up time of the kvideo commands that need no model (numbers in BENCHMARKS.md, "Start-up").

    python benchmarks/bench_startup.py                       # -> benchmarks/results/startup.json
    python benchmarks/bench_startup.py --repeats 7 --out /tmp/startup.json

Each command runs ``--repeats`` times as a fresh ``python3 -m kvideo ...`` process (wall time, median and
min), and once more under ``python3 -X importtime`` to list the slowest imports. For comparison it also
times ``python3 -c "import keras"`` (what any command that loads a model pays on top).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _wall(cmd, env, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3), "runs": len(times)}


def _slowest_imports(cmd, env, top=8):
    res = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], env=env, capture_output=True, text=True)
    rows = []
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            if cumulative.strip().isdigit() and not name[1:].startswith(" "):  # top level: one leading space
                rows.append((int(cumulative), name))
    top_level = rows
    return [{"module": n.strip(), "ms": round(us / 1000, 1)} for us, n in sorted(top_level, reverse=True)[:top]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "startup.json"))
    args = ap.parse_args()

    import numpy as np

    from kvideo.io import write_video

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    video = write_video(os.path.join(tempfile.mkdtemp(), "clip.mp4"), np.zeros((48, 64, 64, 3), np.uint8), fps=12)
    kv = [sys.executable, "-m", "kvideo"]
    commands = {
        "kvideo info VIDEO": kv + ["info", str(video)],
        "kvideo info VIDEO --json": kv + ["info", str(video), "--json"],
        "kvideo --help": kv + ["--help"],
        "kvideo predict --help": kv + ["predict", "--help"],
        "kvideo models": kv + ["models"],
        "kvideo faces doctor": kv + ["faces", "doctor"],
        "python3 -c pass": [sys.executable, "-c", "pass"],
        "python3 -c 'import keras' (reference)": [sys.executable, "-c", "import keras"],
    }
    results = {}
    for name, cmd in commands.items():
        results[name] = _wall(cmd, env, args.repeats if "keras" not in name else max(1, args.repeats // 2))
        print(f"{name:42s} median {results[name]['median_s']:.3f}s  min {results[name]['min_s']:.3f}s", flush=True)
    importtime = _slowest_imports(commands["kvideo info VIDEO"], env)
    out = {"command": "python benchmarks/bench_startup.py " + " ".join(sys.argv[1:]), "results": results,
           "slowest_top_level_imports_of_info": importtime,
           "machine": {"platform": platform.platform(), "python": platform.python_version(),
                       "cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()}}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
