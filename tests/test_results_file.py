"""Resumable JSONL results: torn lines dropped, a SIGKILLed job resumes with every item exactly once."""

import json
import os
import signal
import subprocess
import sys

from kvideo.utils.results import ResultsWriter, list_inputs, read_done

_JOB = r"""
import sys, time
from kvideo.utils.results import ResultsWriter, read_done
out, n = sys.argv[1], int(sys.argv[2])
done = read_done(out)
with ResultsWriter(out) as w:
    for i in range(n):
        p = f"v{i:03d}.mp4"
        if p in done:
            continue
        w.write({"path": p, "label": "x"})
        print(i, flush=True)
        time.sleep(0.02)
"""


def test_torn_last_line_is_dropped(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_bytes(b'{"path": "a"}\n{"path": "b"}\n{"path": "c", "la')
    assert sorted(read_done(out)) == ["a", "b"]
    assert out.read_bytes() == b'{"path": "a"}\n{"path": "b"}\n'
    with ResultsWriter(out) as w:
        w.write({"path": "c"})
    assert sorted(read_done(out)) == ["a", "b", "c"]


def test_killed_job_resumes_exactly_once(tmp_path):
    out, n = tmp_path / "r.jsonl", 40
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", _JOB, str(out), str(n)], stdout=subprocess.PIPE, env=env,
                            text=True)
    for _ in range(10):
        proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with open(out, "ab") as f:  # simulate a write torn by the kill
        f.write(b'{"path": "v0')
    first = len(read_done(out))
    assert 10 <= first < n
    subprocess.run([sys.executable, "-c", _JOB, str(out), str(n)], check=True, env=env, capture_output=True)
    paths = [json.loads(ln)["path"] for ln in out.read_text().splitlines()]
    assert sorted(paths) == [f"v{i:03d}.mp4" for i in range(n)]


def test_list_inputs_dir_and_list(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.mp4", "a/b/y.avi", "a/notes.txt", "a/b/p.jpg"):
        (tmp_path / name).write_bytes(b"")
    assert [os.path.basename(p) for p in list_inputs(tmp_path / "a")] == ["y.avi", "x.mp4"]
    assert [os.path.basename(p) for p in list_inputs(tmp_path / "a", kinds=("image",))] == ["p.jpg"]
    lst = tmp_path / "list.txt"
    lst.write_text("# videos\none.mp4\n\n two.mp4 \n")
    assert list_inputs(lst) == ["one.mp4", "two.mp4"]
    assert list_inputs(tmp_path / "a" / "x.mp4") == [str(tmp_path / "a" / "x.mp4")]
