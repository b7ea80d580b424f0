"""Runs Jupyter notebooks top to bottom on one kernel (the evcxr Rust kernel unless
--kernel names another) and fails loudly.

A notebook fails on any cell error (compile errors, and panics: the kernel is started
with `:preserve_vars_on_panic 0` so a panic is an error, see init.evcxr), on stderr that
says "panicked at", and on a cell tagged `expect-svg` / `expect-html` / `expect-png` whose output lacks
that rich output. Executed copies are written to --out (the committed notebooks stay
without outputs). Prints one line per notebook and `N passed, M failed`.

usage: run_notebooks.py NOTEBOOK.ipynb... --out DIR [--timeout SECONDS] [--kernel NAME]
"""

import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

EXPECT = {"expect-svg": "image/svg+xml", "expect-html": "text/html", "expect-png": "image/png"}


def problems_of(nb):
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        mimes = set()
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error" and "raises-exception" not in tags:
                text = "\n".join(out.get("traceback", [])) or out.get("evalue", "") or out.get("ename", "")
                found.append(f"cell {i}: error: {text.strip()[:2000]}")
            elif kind == "stream" and out.get("name") == "stderr" and "panicked at" in out.get("text", ""):
                found.append(f"cell {i}: panic: {out['text'].strip()[:2000]}")
            elif kind in ("display_data", "execute_result"):
                mimes.update(out.get("data", {}).keys())
        for tag, mime in EXPECT.items():
            if tag in tags and mime not in mimes:
                found.append(f"cell {i}: expected {mime} output, got {sorted(mimes) or 'none'}")
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+", type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--timeout", type=int, default=900, help="per cell, compile included")
    ap.add_argument("--kernel", default="rust", help="the kernelspec to run them on")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            kernel_name=args.kernel,
            allow_errors=True,
            timeout=args.timeout,
            resources={"metadata": {"path": str(path.parent.resolve())}},
        )
        start = time.time()
        try:
            client.execute()
            problems = problems_of(nb)
        except Exception as e:  # the kernel died or a cell timed out
            problems = [f"execution stopped: {type(e).__name__}: {e}"]
        seconds = time.time() - start
        nbformat.write(nb, args.out / path.name)
        status = "ok" if not problems else "FAILED"
        print(f"{path.name}: {status} in {seconds:.0f} s", flush=True)
        for p in problems:
            print(f"  {p}")
        failed += bool(problems)
    passed = len(args.notebooks) - failed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
