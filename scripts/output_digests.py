"""SHA-256 digests of everything symbiosim writes for a fixed set of jobs, to prove a change alters no result.

The jobs: the default run (10 years), every scenario in ``examples/`` (its own horizon), a
compare (two scenarios, two seeds, two years), an optimize of the default scenario and a 2 x 2
sweep (serial). Every file each job writes is hashed, except the parts of ``manifest.json``
that name the machine or a temporary folder (the versions of Python and the libraries, the sweep
spec's path) and the planner's solve times.

Usage (from the repository root)::

    .venv/bin/python scripts/output_digests.py --write digests.json   # before a change
    .venv/bin/python scripts/output_digests.py --check digests.json   # after it: lists every file that differs

Exit code 0 when ``--check`` finds every digest equal (or after ``--write``), 1 otherwise.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
VOLATILE_KEYS = {"manifest.json": ("versions",), "sweep.json": ("spec",)}  # the machine, the temporary folder
VOLATILE_COLUMNS = {"planner_totals.csv": ("solve_s",)}  # how long HiGHS took
SWEEP_SPEC = """[sweep]
name = "digest sweep"
years = 2
seeds = 1
design = "grid"

[parameters.limit_mode]
values = ["uniform"]

[parameters.limit_cap_share]
values = [0.5, 1.0]

[parameters.bargaining_share]
values = [0.4, 0.6]
"""


def jobs(work: Path) -> dict[str, list[str]]:
    """Each job's ``symbiosim`` arguments; its output folder is ``work / name``."""
    found = {"run_default": ["run", "--out", str(work / "run_default")]}
    for scenario in sorted((ROOT / "examples").rglob("*.toml")):
        if scenario.parent.name in ("sweeps", "app"):  # sweep specs and the app's controls are not scenarios
            continue
        name = f"run_{scenario.parent.name}_{scenario.stem}"
        found[name] = ["run", "--scenario", str(scenario), "--out", str(work / name)]
    policies = ROOT / "examples" / "policies"
    found["compare"] = [
        "compare",
        str(policies / "baseline.toml"),
        str(policies / "heating_season_uniform.toml"),
        "--seeds", "2", "--years", "2", "--out", str(work / "compare"),
    ]  # fmt: skip
    found["optimize"] = ["optimize", "--out", str(work / "optimize")]
    spec = work / "sweep.toml"
    spec.write_text(SWEEP_SPEC, encoding="utf-8")
    found["sweep"] = ["sweep", str(spec), "--engine", "serial", "--out", str(work / "sweep")]
    return found


def digest(path: Path) -> str:
    """SHA-256 of a file, without the keys or columns that name the machine, a moment or a duration."""
    if path.name in VOLATILE_KEYS:
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in VOLATILE_KEYS[path.name]:
            data.pop(key, None)
        text = json.dumps(data, sort_keys=True).replace(str(ROOT), "<repository>")  # where the checkout lies
        return hashlib.sha256(text.encode()).hexdigest()
    if path.name in VOLATILE_COLUMNS:
        table = pd.read_csv(path).drop(columns=list(VOLATILE_COLUMNS[path.name]))
        return hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_job(arguments: list[str]) -> None:
    """Run one ``symbiosim`` command; raise with its error output if it fails."""
    quiet = ["--quiet"] if arguments[0] in ("run", "compare", "sweep") else []
    command = [sys.executable, "-m", "symbiosim.runs.cli", *arguments, *quiet]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed ({done.returncode}):\n{done.stderr}")


def all_digests(workers: int) -> dict[str, str]:
    """Run every job and hash every file written (keys: ``job/relative path``)."""
    with tempfile.TemporaryDirectory(prefix="symbiosim-digests-") as folder:
        work = Path(folder)
        todo = jobs(work)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run_job, todo.values()))
        return {
            f"{name}/{path.relative_to(work / name).as_posix()}": digest(path)
            for name in todo
            for path in sorted((work / name).rglob("*"))
            if path.is_file()
        }


def main() -> int:
    """Write or check the digests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="write the digests to this JSON file")
    action.add_argument("--check", type=Path, help="compare with the digests in this JSON file")
    parser.add_argument("--workers", type=int, default=2, help="jobs run at once (default 2)")
    args = parser.parse_args()
    found = all_digests(args.workers)
    if args.write:
        args.write.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(found)} files hashed into {args.write}")
        return 0
    expected = json.loads(args.check.read_text(encoding="utf-8"))
    differ = sorted(k for k in expected.keys() & found.keys() if expected[k] != found[k])
    missing, extra = sorted(expected.keys() - found.keys()), sorted(found.keys() - expected.keys())
    for label, names in (("differs", differ), ("missing", missing), ("new", extra)):
        for name in names:
            print(f"{label}: {name}")
    same = len(expected.keys() & found.keys()) - len(differ)
    print(f"{same} of {len(expected)} files identical; {len(differ)} differ, {len(missing)} missing, {len(extra)} new")
    return 0 if not (differ or missing or extra) else 1


if __name__ == "__main__":
    sys.exit(main())
