#!/usr/bin/python3
"""Executes notebooks headless (jupyter nbconvert --execute) and checks that every figure a
notebook lists in its metadata (metadata.xpusim.figures) was written, as a non-empty PNG, to the
output folder. ctest runs it once per notebook.

Usage: run_notebooks.py --out DIR [--xpusim BINARY] [--timeout S] NOTEBOOK.ipynb ...
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
from xpusim_cli.requirements import missing_modules  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_one(notebook, out, timeout, env):
    figures = json.loads(notebook.read_text())["metadata"].get("xpusim", {}).get("figures", [])
    if not figures:
        return [f"{notebook.name}: metadata.xpusim.figures lists no figure to check"]
    for name in figures:  # a figure left from an earlier run must not pass for this one
        (out / name).unlink(missing_ok=True)
    command = [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
               f"--ExecutePreprocessor.timeout={timeout}",
               "--ExecutePreprocessor.kernel_name=python3",
               "--output-dir", str(out / "executed"), str(notebook)]
    start = time.monotonic()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if done.returncode != 0:
        return [f"{notebook.name}: nbconvert failed (exit {done.returncode}):\n{done.stderr[-4000:]}"]
    problems = []
    for name in figures:
        path = out / name
        if not path.is_file():
            problems.append(f"{notebook.name}: figure {path} was not written")
        elif path.stat().st_size == 0 or path.read_bytes()[:8] != PNG_MAGIC:
            problems.append(f"{notebook.name}: figure {path} is empty or not a PNG")
        else:
            print(f"{notebook.name}: {path} ({path.stat().st_size} bytes)")
    print(f"{notebook.name}: executed in {seconds:.1f} s wall, {cpu:.1f} s CPU (all processes)")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for figures")
    parser.add_argument("--xpusim", help="xpusim binary (default: $XPUSIM or build/xpusim)")
    parser.add_argument("--timeout", type=int, default=300, help="per-cell timeout, seconds")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()

    missing = missing_modules(["pandas", "numpy", "matplotlib", "nbformat", "nbconvert",
                               "ipykernel"])
    if missing:
        print("run_notebooks: cannot execute notebooks, missing Python modules: "
              + ", ".join(missing) + " (scripts/setup.sh installs them)", file=sys.stderr)
        return 1

    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, XPUSIM_NOTEBOOK_OUT=str(args.out.resolve()), MPLBACKEND="Agg")
    if args.xpusim:
        env["XPUSIM"] = str(Path(args.xpusim).resolve())
    problems = []
    for notebook in args.notebooks:
        problems += run_one(notebook.resolve(), args.out.resolve(), args.timeout, env)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
