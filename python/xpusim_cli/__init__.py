"""Python helper for xpusim: runs the CLI (--format json) and returns pandas DataFrames.

    from xpusim_cli import Xpusim
    x = Xpusim()                      # binary: argument, $XPUSIM, or build/xpusim
    x.specs(["h100_sxm", "h20"])
    x.run("h100_sxm", {"gemm": "4096x4096x4096"}, sets={"compute.units": 114})
    x.collective("hgx_h100_8x", "allreduce", "1M..64M")
    x.validate("../shared/reference/measured.csv")
    x.compare(["h100_sxm", "h20"], "llama3-70b-decode")     # binaries with `compare`
    x.sweep("sweep.yaml")                                    # binaries with `sweep`

CLI failures raise XpusimError carrying the CLI's message. docs/notebooks.md has more.
"""
from .cli import Xpusim, XpusimError, find_binary
from .decode_proxy import LLAMA3_70B, decode_proxy, decode_throughput, step_workloads
from .requirements import missing_modules

__all__ = [
    "Xpusim",
    "XpusimError",
    "find_binary",
    "LLAMA3_70B",
    "decode_proxy",
    "decode_throughput",
    "step_workloads",
    "missing_modules",
]
