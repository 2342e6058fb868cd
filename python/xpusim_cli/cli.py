"""Thin wrappers over the xpusim command line: each call runs the binary with --format json and
returns a pandas DataFrame. Nothing here links or reimplements the simulator."""
import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .requirements import require

require(["pandas"])
import pandas as pd  # noqa: E402

from . import workload as wl  # noqa: E402

# python/xpusim_cli/cli.py -> repository root
REPO_ROOT = Path(__file__).resolve().parents[2]


class XpusimError(RuntimeError):
    """The CLI failed: `message` is what it printed on stderr (its UserError text)."""

    def __init__(self, message, returncode=None, command=None):
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.command = command


def find_binary(binary=None):
    """The xpusim executable: `binary`, else $XPUSIM, else build/xpusim in this checkout."""
    for candidate, origin in (
        (binary, "the binary argument"),
        (os.environ.get("XPUSIM"), "$XPUSIM"),
        (REPO_ROOT / "build" / "xpusim", "the checkout's build/"),
    ):
        if not candidate:
            continue
        path = Path(candidate)
        if not path.is_file():
            found = shutil.which(str(candidate))
            path = Path(found) if found else path
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()
        if origin != "the checkout's build/":
            raise XpusimError(f"xpusim binary '{candidate}' (from {origin}) is not an executable")
    raise XpusimError(
        f"no xpusim binary: pass binary=..., set $XPUSIM, or build {REPO_ROOT / 'build' / 'xpusim'}"
    )


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (str, int, float, dict)):
        return [value]
    return list(value)


def _set_flags(sets, flag="--set"):
    """{'compute.units': 66} or ['compute.units=66'] -> ['--set', 'compute.units=66']"""
    if isinstance(sets, dict):
        items = [f"{k}={v}" for k, v in sets.items()]
    else:
        items = [str(s) for s in _as_list(sets)]
    flags = []
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set value '{item}' is not key=value")
        flags += [flag, item]
    return flags


def _sets_text(sets):
    if isinstance(sets, dict):
        return ";".join(f"{k}={v}" for k, v in sets.items())
    return ";".join(str(s) for s in _as_list(sets))


class Xpusim:
    """One xpusim binary (and optional config dir); `jobs` simulations run side by side where a
    call asks for several (each is its own process, so results do not depend on `jobs`)."""

    def __init__(self, binary=None, config_dir=None, jobs=None, timeout_s=600):
        self.binary = find_binary(binary)
        self.config_dir = config_dir
        self.jobs = jobs or min(4, os.cpu_count() or 1)
        self.timeout_s = timeout_s
        self._commands = None

    # -- plumbing ---------------------------------------------------------------------------
    def call(self, args):
        """Runs `xpusim ARGS` and returns stdout; XpusimError with the CLI's stderr otherwise."""
        command = [str(self.binary)]
        if self.config_dir:
            command += ["--config-dir", str(self.config_dir)]
        command += [str(a) for a in args]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=self.timeout_s, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise XpusimError(
                f"{' '.join(command)}: no answer in {self.timeout_s} s", None, command
            ) from e
        if done.returncode != 0:
            message = done.stderr.strip() or done.stdout.strip() or "no message"
            if message.startswith("error: "):
                message = message[len("error: ") :]
            raise XpusimError(message, done.returncode, command)
        return done.stdout

    def call_json(self, args):
        text = self.call([*args, "--format", "json"])
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise XpusimError(f"xpusim {' '.join(map(str, args))}: output is not JSON ({e})") from e

    def commands(self):
        """Subcommand names this binary offers (from `xpusim --help`)."""
        if self._commands is None:
            text = self.call(["--help"])
            section = text.split("Subcommands:", 1)[1] if "Subcommands:" in text else ""
            self._commands = [
                line.split()[0]
                for line in section.splitlines()
                if line.startswith("  ") and not line.startswith("   ") and line.strip()
            ]
        return self._commands

    def has_command(self, name):
        return name in self.commands()

    def _require_command(self, name):
        if not self.has_command(name):
            raise XpusimError(f"{self.binary} has no '{name}' command (see `xpusim --help`)")

    def _map(self, fn, items):
        """fn over items, `jobs` at a time, results in input order."""
        if len(items) <= 1 or self.jobs <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            return list(pool.map(fn, items))

    # -- commands ---------------------------------------------------------------------------
    def specs(self, names=None, sets=None):
        """`xpusim specs NAMES --format json`: one row per chip or system, nested keys joined
        with '.' (peaks.bf16.derived_tflops, export.oct2023.class, ...)."""
        records = self.call_json(["specs", *_as_list(names), *_set_flags(sets)])
        return pd.json_normalize(records)

    def run(self, chip, workload, sets=None, extra_args=None):
        """`xpusim run --chip C <workload flags> --format json` for every chip x workload (chip
        and workload may be lists; see workload.py for the workload forms). Columns: the CLI's
        JSON flattened, plus `request` (the workload as given, canonical) and `sets`."""
        points = [
            (c, wl.parse(w)) for c in _as_list(chip) for w in _as_list(workload)
        ]

        def one(point):
            c, fields = point
            args = ["run", "--chip", c, *wl.run_flags(fields), *_set_flags(sets)]
            record = self.call_json([*args, *_as_list(extra_args)])
            record["request"] = wl.canonical(fields)
            record["sets"] = _sets_text(sets)
            return record

        return pd.json_normalize(self._map(one, points))

    def validate(self, csv_path, jobs=None, sets=None):
        """`xpusim validate FILE --format json`: one row per measurement row."""
        args = ["validate", str(csv_path), "--jobs", jobs or self.jobs, *_set_flags(sets)]
        return pd.json_normalize(self.call_json(args))

    def collective(self, system, op="allreduce", sizes="1K..8G", algo=None, proto=None,
                   sets=None, chip_sets=None):
        """`xpusim collective --system S --op OP --bytes SIZES --format json`: one row per size.
        `sizes` is what --bytes takes ('1M', '1K..8G') or a list of those (or byte counts)."""
        extra = []
        if algo:
            extra += ["--algo", algo]
        if proto:
            extra += ["--proto", proto]
        extra += _set_flags(sets) + _set_flags(chip_sets, "--chip-set")

        def one(size):
            answer = self.call_json(
                ["collective", "--system", system, "--op", op, "--bytes", size, *extra]
            )
            rows = pd.json_normalize(answer["results"])
            rows.insert(0, "system", answer["system"])
            rows.insert(1, "op", answer["op"])
            rows.insert(2, "devices", answer["devices"])
            return rows

        return pd.concat(self._map(one, _as_list(sizes)), ignore_index=True)

    def compare(self, chips, workload, sets=None, jobs=None):
        """`xpusim compare --chips a,b --workload W --format json`: one row per chip with time_s,
        tokens_per_s, bottleneck.* (compute_s, hbm_s, interconnect_s, launch_s) and memory.*;
        the answer's workload description is repeated in workload.* columns. `jobs` is passed
        as --jobs only when given."""
        self._require_command("compare")
        args = ["compare", "--chips", ",".join(_as_list(chips)), "--workload", workload,
                *_set_flags(sets)]
        if jobs:
            args += ["--jobs", jobs]
        answer = self.call_json(args)
        rows = pd.json_normalize(answer["rows"])
        described = answer.get("workload") or {}
        if described:
            for key, value in pd.json_normalize(described).iloc[0].items():
                rows[f"workload.{key}"] = value
        rows["sets"] = _sets_text(sets)
        return rows

    def sweep(self, spec, out=None, jobs=None, resume=False, extra_args=None):
        """`xpusim sweep SPEC --out DIR --jobs N`, then DIR/results.jsonl as a DataFrame (columns
        id, index, target, workload, parameters.*, status, error, metrics.*). `spec` is a sweep
        YAML path or a dict written to one. Without `out` the results go to a temporary folder."""
        self._require_command("sweep")
        with tempfile.TemporaryDirectory(prefix="xpusim-sweep-") as scratch:
            if isinstance(spec, dict):
                require(["yaml"])
                import yaml

                spec_path = Path(scratch) / "sweep.yaml"
                spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
            else:
                spec_path = Path(spec)
            out_dir = Path(out) if out else Path(scratch) / "out"
            args = ["sweep", str(spec_path), "--out", str(out_dir), "--jobs", jobs or self.jobs]
            if resume:
                args.append("--resume")
            self.call([*args, *_as_list(extra_args)])
            lines = (out_dir / "results.jsonl").read_text().splitlines()
        return pd.json_normalize([json.loads(line) for line in lines if line.strip()])
