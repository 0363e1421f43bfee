"""Start-up of ``kvideo demo``: time to the first page and to the first classification (numbers in
BENCHMARKS.md, "Demo"). Loopback only; every wait is bounded.

    python benchmarks/bench_demo_start.py                          # -> benchmarks/results/demo_start.json
    python benchmarks/bench_demo_start.py --repeats 3 --label after --out /tmp/demo_start.json

Each run starts a fresh ``python -m kvideo demo`` process (sample clips already made in the run's own
``KVIDEO_CACHE_DIR``, i.e. a warm start) and measures, from the moment the process is started:

* ``page_s``: ``GET /`` returns the page (Gradio's HTML);
* ``ready_s``: the page's status line says the models are ready (``/status`` endpoint; absent on builds
  without it);
* ``first_classify_s``: a ``/classify`` request sent as soon as the page is served (the page's default
  model, ImageNet labels) has returned its answer;
* ``builtin_classify_s``: the next ``/classify`` with the built-in motion model has returned.

Run it against another checkout (e.g. the code before a change) with ``PYTHONPATH=/path/to/checkout``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench_demo import stop  # noqa: E402  (this folder is on sys.path when a benchmark runs as a script)

ROOT = Path(__file__).resolve().parents[1]


def _served(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200 and b"<html" in r.read(4096).lower()
    except OSError:
        return False


def _wait(cond, proc, timeout, what):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f"kvideo demo exited with {proc.returncode} while waiting for {what}")
        if cond():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not reached after {timeout} s")


def one_run(port, cache, clip, timeout=600):
    """Start the demo once; return the seconds (since the process started) to each milestone."""
    from gradio_client import Client, handle_file

    import kvideo

    env = dict(os.environ, KVIDEO_CACHE_DIR=str(cache), TF_CPP_MIN_LOG_LEVEL="3")
    checkout = Path(kvideo.__file__).resolve().parents[1]  # `python -m` puts the cwd first on sys.path
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kvideo", "demo", "--port", str(port)], env=env, cwd=checkout,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    out = {}
    try:
        _wait(lambda: _served(url), proc, timeout, "the page")
        out["page_s"] = round(time.perf_counter() - t0, 2)
        client = Client(url, verbose=False)
        has_status = "/status" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        ready = {}
        if has_status:  # watch the status line in the background while the first classify waits
            def watch():
                while "ready_s" not in ready and proc.poll() is None:
                    if Client(url, verbose=False).predict(api_name="/status").strip().lower().startswith("ready"):
                        ready["ready_s"] = round(time.perf_counter() - t0, 2)
                    time.sleep(0.2)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
        label = client.predict(handle_file(str(clip)), api_name="/classify")[0]
        out["first_classify_s"] = round(time.perf_counter() - t0, 2)
        out["first_label"] = label.get("label")
        label = client.predict(handle_file(str(clip)), "built-in", api_name="/classify")[0]
        out["builtin_classify_s"] = round(time.perf_counter() - t0, 2)
        out["builtin_label"] = label.get("label")
        if has_status:
            watcher.join(timeout=60)
            out.update(ready)
    finally:
        stop(proc)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=7873)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--label", default="", help="a name for this build (e.g. before / after)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "demo_start.json"))
    p.add_argument("--append", action="store_true", help="add this run to the --out file's runs")
    args = p.parse_args(argv)
    import kvideo

    res = {"label": args.label, "kvideo": str(Path(kvideo.__file__).parent), "python": sys.version.split()[0],
           "cpus": os.cpu_count(), "loadavg_start": [round(x, 1) for x in os.getloadavg()], "runs": []}
    with tempfile.TemporaryDirectory(prefix="kvideo-bench-start-") as tmp:
        cache = Path(tmp) / "cache"
        env = dict(os.environ, KVIDEO_CACHE_DIR=str(cache))
        made = subprocess.run([sys.executable, "-c", "from kvideo.demo.defaults import sample_clips; "
                               "print(sample_clips()[1])"], env=env, cwd=Path(kvideo.__file__).resolve().parents[1],
                              capture_output=True, text=True, timeout=600)
        clip = Path(made.stdout.strip().splitlines()[-1])  # a short sample clip (made once, then cached)
        for _ in range(args.repeats):
            res["runs"].append(one_run(args.port, cache, clip))
            print(json.dumps(res["runs"][-1]), flush=True)
    for k in ("page_s", "ready_s", "first_classify_s", "builtin_classify_s"):
        vals = [r[k] for r in res["runs"] if k in r]
        if vals:
            res[f"median_{k}"] = round(statistics.median(vals), 2)
    res["loadavg_end"] = [round(x, 1) for x in os.getloadavg()]
    out = Path(args.out)
    doc = {"runs": []}
    if args.append and out.exists():
        doc = json.loads(out.read_text())
    doc["runs"] = [r for r in doc.get("runs", []) if r.get("label") != args.label] + [res]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "runs"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
