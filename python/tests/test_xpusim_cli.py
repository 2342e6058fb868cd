"""Unit tests of the Python helper: its DataFrames against the CLI's own JSON (read here
independently, with subprocess and json), against hand-derived values, and its error handling.
The binary is $XPUSIM or build/xpusim (ctest sets $XPUSIM)."""
import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xpusim_cli import LLAMA3_70B, Xpusim, XpusimError, find_binary, step_workloads  # noqa: E402
from xpusim_cli import workload as wl  # noqa: E402
from xpusim_cli.decode_proxy import memory_gb  # noqa: E402

BINARY = find_binary()


def cli_json(*args):
    """The CLI's JSON, read without the helper."""
    out = subprocess.run([str(BINARY), *args, "--format", "json"], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


class SpecsTest(unittest.TestCase):
    def test_columns_and_values_match_cli_json(self):
        frame = Xpusim(BINARY).specs(["h100_sxm", "h20"])
        raw = cli_json("specs", "h100_sxm", "h20")
        self.assertEqual(list(frame["name"]), ["h100_sxm", "h20"])
        for col in ("peaks.bf16.derived_tflops", "memory_bandwidth_tbs", "export.oct2023.class"):
            self.assertIn(col, frame.columns)
        self.assertEqual(frame.loc[1, "peaks.bf16.derived_tflops"],
                         raw[1]["peaks"]["bf16"]["derived_tflops"])
        self.assertEqual(frame.loc[0, "export.oct2023.class"], raw[0]["export"]["oct2023"]["class"])

    def test_h100_bf16_peak_is_the_datasheet_figure(self):
        # chips.md: H100 SXM 989.4 dense BF16 TFLOP/s = 132 SMs x 1.83 GHz x 4096 FLOP/clk.
        frame = Xpusim(BINARY).specs("h100_sxm")
        self.assertAlmostEqual(frame.loc[0, "peaks.bf16.derived_tflops"], 132 * 1.83e9 * 4096 / 1e12,
                               places=3)

    def test_set_reaches_the_cli(self):
        frame = Xpusim(BINARY).specs("h100_sxm", sets={"compute.units": 66})
        self.assertAlmostEqual(frame.loc[0, "peaks.bf16.derived_tflops"], 66 * 1.83e9 * 4096 / 1e12,
                               places=3)


class RunTest(unittest.TestCase):
    def test_gemm_row_matches_cli_json(self):
        frame = Xpusim(BINARY).run("h100_sxm", {"gemm": "1024x2048x512"})
        raw = cli_json("run", "--chip", "h100_sxm", "--gemm", "1024x2048x512")
        self.assertEqual(len(frame), 1)
        row = frame.iloc[0]
        self.assertEqual(row["request"], "gemm=1024x2048x512")
        self.assertEqual(row["sets"], "")
        self.assertEqual(row["latency_s"], raw["latency_s"])
        self.assertEqual(row["bottleneck"], raw["bottleneck"])
        self.assertEqual(row["utilisation.tensor"], raw["utilisation"]["tensor"])
        self.assertEqual(row["bandwidth.hbm_bytes"], raw["bandwidth"]["hbm_bytes"])
        self.assertEqual(row["flops"], 2 * 1024 * 2048 * 512)  # 2MNK

    def test_product_of_chips_and_workloads_in_order(self):
        frame = Xpusim(BINARY, jobs=2).run(
            ["h100_sxm", "h20"], ["gemm=256x256x256", "stream=triad elements=65536"],
            sets=["compute.units=66"])
        self.assertEqual(list(frame["chip"]), ["h100_sxm", "h100_sxm", "h20", "h20"])
        self.assertEqual(list(frame["request"]),
                         ["gemm=256x256x256", "stream=triad elements=65536"] * 2)
        self.assertTrue((frame["sets"] == "compute.units=66").all())
        # triad moves 3 arrays of 65536 fp64 elements: 24 bytes per element (BabelStream).
        self.assertEqual(frame.loc[1, "counted_bytes"], 3 * 8 * 65536)

    def test_workload_forms(self):
        self.assertEqual(wl.parse("gemm=8x8x8 dtype=fp8"), {"gemm": "8x8x8", "dtype": "fp8"})
        self.assertEqual(wl.parse({"dtype": "fp8", "gemm": "8x8x8"}), {"gemm": "8x8x8", "dtype": "fp8"})
        self.assertEqual(wl.canonical({"stream": "dot", "elements": "4", "dtype": "fp32"}),
                         "stream=dot dtype=fp32 elements=4")
        for bad in ("gemm", "dtype=fp8", "gemm=1x1x1 stream=copy", "gemm=1x1x1 speed=9", 3):
            with self.assertRaises(ValueError):
                wl.parse(bad)


class CollectiveTest(unittest.TestCase):
    def test_rows_per_size_and_busbw(self):
        frame = Xpusim(BINARY).collective("hgx_h100_8x", "allreduce", "1M..4M")
        self.assertEqual(list(frame["bytes"]), [1 << 20, 1 << 21, 1 << 22])
        self.assertTrue((frame["devices"] == 8).all())
        # nccl-tests: busbw = algbw x 2(n-1)/n for all-reduce; n = 8.
        for _, row in frame.iterrows():
            self.assertAlmostEqual(row["busbw_gbs"], row["algbw_gbs"] * 2 * 7 / 8, places=6)
        raw = cli_json("collective", "--system", "hgx_h100_8x", "--bytes", "2M")
        self.assertEqual(frame.loc[1, "time_us"], raw["results"][0]["time_us"])

    def test_list_of_sizes(self):
        frame = Xpusim(BINARY).collective("hgx_h100_8x", "allgather", [4096, "8K"])
        self.assertEqual(list(frame["bytes"]), [4096, 8192])
        self.assertTrue((frame["op"] == "allgather").all())


class ValidateTest(unittest.TestCase):
    def test_rows_and_relative_error(self):
        with tempfile.TemporaryDirectory(prefix="nb-validate-") as d:
            csv = Path(d) / "m.csv"
            csv.write_text(textwrap.dedent("""\
                id,chip,devices,kind,dtype,params,metric,value,unit
                g1,h100_sxm,1,gemm,bf16,M=2048;N=2048;K=2048,throughput,600,TFLOP/s
                s1,h100_sxm,1,stream,fp64,op=triad,bandwidth,3.0,TB/s
                """))
            frame = Xpusim(BINARY, jobs=2).validate(csv)
        self.assertEqual(list(frame["id"]), ["g1", "s1"])
        self.assertEqual(list(frame["measured"]), [600.0, 3.0])
        for _, row in frame.iterrows():
            self.assertAlmostEqual(row["rel_error"], row["simulated"] / row["measured"] - 1, places=9)


class ErrorTest(unittest.TestCase):
    def test_bad_chip_raises_with_cli_message(self):
        with self.assertRaises(XpusimError) as caught:
            Xpusim(BINARY).run("no_such_chip", "gemm=64x64x64")
        self.assertIn("unknown chip 'no_such_chip'", str(caught.exception))
        self.assertEqual(caught.exception.returncode, 2)

    def test_bad_set_key_raises_with_cli_message(self):
        with self.assertRaises(XpusimError) as caught:
            Xpusim(BINARY).run("h100_sxm", "gemm=64x64x64", sets={"compute.unitz": 3})
        self.assertIn("compute.unitz: unknown key", str(caught.exception))

    def test_missing_binary(self):
        with self.assertRaises(XpusimError) as caught:
            Xpusim("/nonexistent/xpusim")
        self.assertIn("/nonexistent/xpusim", str(caught.exception))

    def test_missing_command(self):
        x = Xpusim(BINARY)
        x._commands = ["specs", "run"]  # as an older binary would list them
        with self.assertRaises(XpusimError) as caught:
            x.compare(["h100_sxm"], "llama3-70b-decode")
        self.assertIn("no 'compare' command", str(caught.exception))


# A stand-in binary for commands that land later on main: it prints the documented `compare`
# JSON and writes a `sweep` results.jsonl, so the wrappers' parsing is tested against the
# agreed formats.
FAKE_CLI = r'''#!/usr/bin/env python3
import json, pathlib, sys
args = sys.argv[1:]
if args[:1] == ["--help"]:
    print("Subcommands:\n  compare                     x\n  sweep                       y")
elif args[:1] == ["compare"]:
    if "--set" in args and args[args.index("--set") + 1].startswith("bad"):
        sys.stderr.write("error: --set bad: unknown key\n"); sys.exit(2)
    chips = args[args.index("--chips") + 1].split(",")
    rows = [{"chip": c, "system": c + "_8x", "time_s": 0.02 * (i + 1),
             "tokens_per_s": 64 / (0.02 * (i + 1)), "tokens_per_s_per_chip": 8 / (0.02 * (i + 1)),
             "ratio_to_first": 1 / (i + 1),
             "bottleneck": {"compute_s": 0.001, "hbm_s": 0.015, "interconnect_s": 0.003, "launch_s": 0.001},
             "memory": {"weights_GB": 17.6, "kv_cache_GB": 10.7, "activations_GB": 0.1,
                        "capacity_GB": 80.0, "fits": True}} for i, c in enumerate(chips)]
    print(json.dumps({"workload": {"name": args[args.index("--workload") + 1], "batch": 64},
                      "rows": rows}))
elif args[:1] == ["sweep"]:
    out = pathlib.Path(args[args.index("--out") + 1]); out.mkdir(parents=True, exist_ok=True)
    recs = [{"id": "a1", "index": 0, "target": "h100_sxm", "workload": "gemm=8x8x8",
             "parameters": {"compute.units": "66"}, "status": "ok", "error": "",
             "metrics": {"latency_s": 1e-6}},
            {"id": "b2", "index": 1, "target": "h20", "workload": "gemm=8x8x8",
             "parameters": {"compute.units": "66"}, "status": "error", "error": "boom", "metrics": {}}]
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    print("done")
'''


class LaterCommandsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="nb-fake-")
        self.fake = Path(self.dir.name) / "xpusim"
        self.fake.write_text(FAKE_CLI.replace("/usr/bin/env python3", sys.executable))
        self.fake.chmod(self.fake.stat().st_mode | stat.S_IXUSR)

    def tearDown(self):
        self.dir.cleanup()

    def test_compare_columns(self):
        frame = Xpusim(self.fake).compare(["h100_sxm", "h20"], "llama3-70b-decode",
                                          sets={"compute.units": 66})
        self.assertEqual(list(frame["chip"]), ["h100_sxm", "h20"])
        for col in ("tokens_per_s", "ratio_to_first", "bottleneck.hbm_s",
                    "bottleneck.interconnect_s", "memory.fits", "workload.name"):
            self.assertIn(col, frame.columns)
        self.assertAlmostEqual(frame.loc[1, "tokens_per_s"], 64 / 0.04)
        self.assertEqual(frame.loc[0, "workload.name"], "llama3-70b-decode")
        self.assertEqual(frame.loc[0, "sets"], "compute.units=66")

    def test_compare_error(self):
        with self.assertRaises(XpusimError) as caught:
            Xpusim(self.fake).compare("h100_sxm", "llama3-70b-decode", sets=["bad=1"])
        self.assertEqual(str(caught.exception), "--set bad: unknown key")

    def test_sweep_reads_results(self):
        frame = Xpusim(self.fake).sweep({"chips": ["h100_sxm"], "workloads": [{"gemm": "8x8x8"}]})
        self.assertEqual(list(frame["id"]), ["a1", "b2"])
        self.assertEqual(list(frame["status"]), ["ok", "error"])
        self.assertEqual(frame.loc[0, "parameters.compute.units"], "66")
        self.assertEqual(frame.loc[0, "metrics.latency_s"], 1e-6)


class RealCompareAndSweepTest(unittest.TestCase):
    """The wrappers against the real `compare` and `sweep` commands."""

    def test_compare_matches_cli_json(self):
        frame = Xpusim(BINARY).compare(["h100_sxm", "h200_sxm"], "llama3-70b-decode")
        raw = cli_json("compare", "--chips", "h100_sxm,h200_sxm", "--workload",
                       "llama3-70b-decode")
        self.assertEqual(list(frame["chip"]), [r["chip"] for r in raw["rows"]])
        for i, row in enumerate(raw["rows"]):
            self.assertEqual(frame.loc[i, "tokens_per_s"], row["tokens_per_s"])
            self.assertEqual(frame.loc[i, "bottleneck.hbm_s"], row["bottleneck"]["hbm_s"])
        # The first chip is its own reference; H200 has more bandwidth than H100 on the same SMs.
        self.assertEqual(frame.loc[0, "ratio_to_first"], 1.0)
        self.assertGreater(frame.loc[1, "ratio_to_first"], 1.0)

    def test_sweep_runs_every_point(self):
        spec = {"chips": ["h100_sxm", "h20"], "parameters": {"compute.units": [33, 66]},
                "workloads": [{"gemm": "256x256x256"}]}
        frame = Xpusim(BINARY).sweep(spec, jobs=2)
        self.assertEqual(len(frame), 4)  # 2 chips x 2 values x 1 workload
        self.assertEqual(set(frame["status"]), {"ok"})
        self.assertEqual(sorted(set(frame["parameters.compute.units"].astype(str))), ["33", "66"])
        self.assertTrue((frame["metrics.latency_s"] > 0).all())


class DecodeProxyTest(unittest.TestCase):
    def test_shapes_of_llama3_70b_tp8(self):
        shapes = {name: w for name, w, _ in step_workloads(LLAMA3_70B, tp=8, batch=64, ctx=4096)}
        # q: 64/8 = 8 heads, kv: 8/8 = 1 head, 128 wide: (8 + 2) x 128 = 1280 columns.
        self.assertEqual(shapes["qkv"], {"gemm": "64x1280x8192"})
        self.assertEqual(shapes["o"], {"gemm": "64x8192x1024"})
        self.assertEqual(shapes["gate_up"], {"gemm": "64x7168x8192"})   # 2 x 28672 / 8
        self.assertEqual(shapes["down"], {"gemm": "64x8192x3584"})      # 28672 / 8
        self.assertEqual(shapes["lm_head"], {"gemm": "64x16032x8192"})  # 128256 / 8
        self.assertIn("heads=8,kv_heads=1,head_dim=128,seq_q=1,seq_kv=4096",
                      shapes["attention"]["attention"])

    def test_memory(self):
        # Meta quotes 70.6B parameters; 2 bytes each over 8 GPUs.
        self.assertAlmostEqual(LLAMA3_70B.parameters() / 1e9, 70.55, places=2)
        weights, kv, _ = memory_gb(LLAMA3_70B, tp=8, batch=64, ctx=4096)
        self.assertAlmostEqual(weights, 70.55e9 * 2 / 8 / 1e9, places=1)
        # K and V x 80 layers x 1 KV head x 128 x 4096 tokens x 64 sequences x 2 bytes.
        self.assertAlmostEqual(kv, 2 * 80 * 128 * 4096 * 64 * 2 / 1e9, places=9)

    def test_proxy_time_is_the_sum_of_its_parts(self):
        from xpusim_cli import decode_proxy

        frame = decode_proxy(Xpusim(BINARY, jobs=2), ["h100_sxm"])
        row = frame.iloc[0]
        parts = sum(row[f"bottleneck.{k}"] for k in ("compute_s", "hbm_s", "interconnect_s",
                                                     "launch_s"))
        self.assertAlmostEqual(row["time_s"], parts, places=12)
        self.assertAlmostEqual(row["tokens_per_s"], 64 / row["time_s"], places=6)
        self.assertEqual(row["system"], "hgx_h100_8x")
        # The step reads at least every weight and KV byte once from HBM at no more than peak.
        floor = (row["memory.weights_GB"] + row["memory.kv_cache_GB"]) * 1e9 / 3.35e12
        self.assertGreater(row["time_s"], floor)


if __name__ == "__main__":
    unittest.main()
