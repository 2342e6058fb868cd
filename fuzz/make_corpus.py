#!/usr/bin/python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (docs/hardening.md).

config:   every chip config (whole, or as a chip inheriting from it), every system config, a base
          chain, the chip-config bodies of tests/bad_inputs_test.cpp, and a few --set lines;
          comments are stripped to keep the inputs short.
workload: GEMM shapes, attention specs and STREAM arguments, good and bad.
trace:    small traces recorded by the program (binary and JSON), given its path.

Usage: fuzz/make_corpus.py BUILD_DIR/xpusim
"""
import codecs
import pathlib
import re
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"


def strip_comments(text):
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        cut = line.find(" #")
        if cut >= 0 and line[:cut].count('"') % 2 == 0:
            line = line[:cut].rstrip()
        if line.strip():
            out.append(line)
    return "\n".join(out) + "\n"


def rename(text, key, value):
    return re.sub(rf"^{key}:.*$", f"{key}: {value}", text, count=1, flags=re.M)


def write(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


HEAD = "name: fuzz_chip\ndisplay_name: Fuzz\n"
# Chips written out whole (they have no base), so that a full file's parse is in the corpus too;
# every other seed inherits from a shipped config, which the fuzz target keeps parsed, so that an
# input costs only the parse of its own few lines.
WHOLE_CHIPS = ["h100_sxm", "mi300x"]


def config_corpus():
    for f in sorted((corpus / "config").glob("*")):
        f.unlink()
    for f in sorted((root / "configs/chips").glob("*.yaml")):
        text = strip_comments(f.read_text())
        if f.stem in WHOLE_CHIPS or re.search(r"^base:", text, re.M):
            write("config", f"chip_{f.stem}", rename(text, "name", "fuzz_chip"))
        else:
            write("config", f"chip_on_{f.stem}", HEAD + f"base: {f.stem}\n")
    for f in sorted((root / "configs/systems").glob("*.yaml")):
        system = rename(strip_comments(f.read_text()), "name", "fuzz_system")
        write("config", f"system_{f.stem}", HEAD + "base: h100_sxm\n#@system\n" + system)
    write("config", "system_on_fuzz_chip",
          HEAD + "base: h200_sxm\ncompute:\n  units: 100\n#@system\nname: fuzz_system\n"
          "display_name: Fuzz\nbase: hgx_h100_8x\nchip: fuzz_chip\n")
    write("config", "base_chain",
          HEAD + "base: fuzz_base\nmemory:\n  stacks: 4\n#@base\nname: fuzz_base\n"
          "display_name: Base\nbase: h100_sxm\ncompute:\n  units: 100\n")
    on_h100 = HEAD + "base: h100_sxm\n"
    write("config", "set_units", on_h100 + "#@set\ncompute.units=114\nl2.size=40 MiB\n")
    write("config", "set_cycles", on_h100 + "#@set\nl2.hit_latency=200 cycles\n")
    # The bad chip bodies of tests/bad_inputs_test.cpp, each on top of the shipped H100.
    source = (root / "tests/bad_inputs_test.cpp").read_text()
    for i, body in enumerate(re.findall(r'chip_with\("((?:[^"\\]|\\.)*)"\)', source)):
        text = codecs.decode(body, "unicode_escape")
        write("config", f"bad_{i:02d}", on_h100 + text)


WORKLOADS = [
    "gemm\n8192x8192x8192", "gemm bf16\n256x256x256", "gemm fp8\n4096x4096x1024",
    "gemm int8\nM=512;N=1024;K=64", "gemm tf32\n100x3x7", "gemm fp16\n1x1x1",
    "gemm fp64\n128x128x128", "gemm\n0x1x1", "gemm\n-5x4x4", "gemm\n99999999999x2x2",
    "attention\nbatch=2,heads=16,kv_heads=16,head_dim=128,seq_q=8192,seq_kv=8192,causal=0,pass=fwd",
    "attention\nbatch=1,heads=8,kv_heads=1,head_dim=64,seq_q=128,seq_kv=128,causal=1,pass=bwd",
    "attention fp8\nbatch=4;heads=32;kv_heads=8;head_dim=128;seq_q=1;seq_kv=4096;pass=decode",
    "attention\nheads=4,head_dim=64,seq_q=16:32:7,seq_kv=64:32:9,causal=1",
    "attention\nbatch=1,heads=16,head_dim=128,seq_q=1,seq_kv=1024,pass=decode,kv_lora_rank=512,"
    "rope_dim=64,page_size=64",
    "attention\nbatch=1,heads=2,head_dim=32,head_dim_v=16,seq_q=64,seq_kv=64",
    "attention\nbatch=1,heads=3,kv_heads=2,head_dim=64,seq_q=8,seq_kv=8",
    "stream\ncopy", "stream fp32\ntriad 4096", "stream\ndot 1000", "stream\nmul 1",
    "stream\nadd 0", "stream fp16\nscale 1024", "stream\ntriad 1099511627777",
]


def workload_corpus():
    for i, w in enumerate(WORKLOADS):
        write("workload", f"seed_{i:02d}", w)


def trace_corpus(xpusim):
    runs = {
        "gemm": ["--chip", "h100_sxm", "--gemm", "256x128x64"],
        "gemm_a100": ["--chip", "a100_sxm_80gb", "--gemm", "100x60x40", "--dtype", "fp16"],
        "stream": ["--chip", "h100_sxm", "--stream", "triad", "--elements", "2048"],
        "gemm_b200": ["--chip", "b200", "--gemm", "300x200x1000", "--dtype", "fp8"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in runs.items():
            for ext in ("bin", "json"):
                out = pathlib.Path(tmp) / f"{name}.{ext}"
                subprocess.run([xpusim, "trace", "record", *args, "--out", str(out)], check=True,
                               stdout=subprocess.DEVNULL)
                write("trace", f"{name}_{ext}", out.read_bytes())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    config_corpus()
    workload_corpus()
    trace_corpus(sys.argv[1])


def quoted(path, pattern=r'"([A-Za-z_][A-Za-z0-9_./]*)"'):
    return set(re.findall(pattern, (root / path).read_text()))


def write_dict(target, words):
    def escape(w):
        return w.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\x0A")

    lines = [f'"{escape(w)}"' for w in sorted(words) if w]
    (root / "fuzz" / f"{target}.dict").write_text(
        f"# libFuzzer dictionary for the {target} target; written by fuzz/make_corpus.py.\n"
        + "\n".join(lines) + "\n")


def dictionaries():
    keys = quoted("sim/config/chip_schema.cpp") | quoted("sim/config/system_config.cpp")
    parts = {p for k in keys for p in k.split(".")}
    units = quoted("sim/config/units.cpp", r'UnitDef\{"([^"]+)"')
    dtypes = {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4"}
    write_dict("config", {f"{p}:" for p in parts} | {f"{k}=" for k in keys} | units | dtypes
               | {"#@base\n", "#@set\n", "#@system\n", "value:", "estimate:", "cycles", "base: fuzz_base",
                  "{", "}", "[", "]", "- ", ": ", "&a", "*a", "!!str", "true", "false", "~"})
    attention_keys = {"batch", "heads", "kv_heads", "head_dim", "head_dim_v", "seq_q", "seq_kv",
                      "causal", "pass", "dtype", "page_size", "kv_lora_rank", "rope_dim"}
    write_dict("workload", {f"{k}=" for k in attention_keys} | dtypes
               | {"gemm", "attention", "stream", "fwd", "bwd", "decode", "copy", "scale", "mul",
                  "add", "triad", "dot", "M=", "N=", "K=", "x", ";", ",", ":"})
    json_keys = quoted("sim/trace/trace_json.cpp", r'"([a-z_]+)"')
    opcodes = {"TILE_LOAD", "WAIT_FULL", "RELEASE", "WAIT_EMPTY", "MMA", "VECTOR", "SFU",
               "TILE_STORE", "SYNC", "LOOP_BEGIN", "LOOP_END"}
    write_dict("trace", {f'"{k}":' for k in json_keys} | opcodes | dtypes
               | {"XPUTRACE", "xpusim-trace", "hopper", "ampere"})


if __name__ == "__main__" and len(sys.argv) == 2:
    dictionaries()
