"""A Llama-3-70B decode step built from `xpusim run` and `xpusim collective`, for binaries that
have no `compare` command yet. Its DataFrame has the columns compare() returns, so a notebook
can switch between the two (column `source` says which made a row).

One decode step on one GPU of a tensor-parallel group (TP ranks split heads and FFN columns):
  per layer: GEMMs qkv, o, gate+up, down at M = batch; decode attention over the KV cache at
             `ctx` tokens (split-KV, paged); two all-reduces of batch x hidden bf16 (after o and
             after down) on the chip's system;
  once:      the LM head GEMM.
Left out: norms, rotary embedding, residual adds, sampling, the logits gather (all small next to
the above at these shapes). Bottleneck shares: each kernel's launch_s goes to launch_s; its
kernel_s goes to compute_s when its tensor utilisation is at least its HBM utilisation, else to
hbm_s; all-reduce time goes to interconnect_s.
"""
from dataclasses import dataclass

import pandas as pd

from .cli import XpusimError, _as_list, _sets_text


@dataclass(frozen=True)
class Transformer:
    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int

    def parameters(self):
        attention = self.hidden * (self.heads + 2 * self.kv_heads) * self.head_dim
        attention += self.heads * self.head_dim * self.hidden
        mlp = 3 * self.hidden * self.ffn
        return self.layers * (attention + mlp) + 2 * self.vocab * self.hidden


# Meta's published config (config.json of Llama-3-70B): GQA with 8 KV heads, SwiGLU FFN.
LLAMA3_70B = Transformer("llama3-70b", layers=80, hidden=8192, heads=64, kv_heads=8,
                         head_dim=128, ffn=28672, vocab=128256)

BYTES_BF16 = 2


def step_workloads(model=LLAMA3_70B, tp=8, batch=64, ctx=4096):
    """(name, workload, count per step) for one GPU of the TP group."""
    m = model
    q_heads, kv_heads = m.heads // tp, max(1, m.kv_heads // tp)
    qkv_n = (q_heads + 2 * kv_heads) * m.head_dim
    attention = (f"batch={batch},heads={q_heads},kv_heads={kv_heads},head_dim={m.head_dim},"
                 f"seq_q=1,seq_kv={ctx},causal=0,pass=decode")
    return [
        ("qkv", {"gemm": f"{batch}x{qkv_n}x{m.hidden}"}, m.layers),
        ("attention", {"attention": attention}, m.layers),
        ("o", {"gemm": f"{batch}x{m.hidden}x{q_heads * m.head_dim}"}, m.layers),
        ("gate_up", {"gemm": f"{batch}x{2 * m.ffn // tp}x{m.hidden}"}, m.layers),
        ("down", {"gemm": f"{batch}x{m.hidden}x{m.ffn // tp}"}, m.layers),
        ("lm_head", {"gemm": f"{batch}x{m.vocab // tp}x{m.hidden}"}, 1),
    ]


def memory_gb(model=LLAMA3_70B, tp=8, batch=64, ctx=4096):
    """Per-GPU weights, KV cache and (largest live) activations in GB (1e9 bytes)."""
    m = model
    weights = m.parameters() * BYTES_BF16 / tp
    kv = 2 * m.layers * max(1, m.kv_heads // tp) * m.head_dim * ctx * batch * BYTES_BF16
    activations = 2 * batch * (m.hidden + 2 * m.ffn // tp + m.vocab // tp) * BYTES_BF16
    return weights / 1e9, kv / 1e9, activations / 1e9


def chip_systems(cli, devices):
    """chip -> the first system config of `devices` of it (from `specs`), and the specs table."""
    specs = cli.specs()
    systems = specs[(specs["kind"] == "system") & (specs["devices"] == devices)]
    mapping = {}
    for _, row in systems.iterrows():
        mapping.setdefault(row["chip"], row["name"])
    return mapping, specs


def decode_proxy(cli, chips, sets=None, model=LLAMA3_70B, tp=8, batch=64, ctx=4096):
    """One row per chip, with compare()'s columns. `sets` are chip overrides; they apply to the
    kernels and (as --chip-set) to the system the all-reduces run on."""
    chips = list(dict.fromkeys(_as_list(chips)))
    systems, _ = chip_systems(cli, tp)
    missing = [c for c in chips if c not in systems]
    if missing:
        raise XpusimError(
            f"decode proxy: no {tp}-device system config of {', '.join(missing)} to run the "
            f"TP{tp} all-reduces on (there are for {', '.join(sorted(systems))})"
        )
    parts = step_workloads(model, tp, batch, ctx)
    kernels = cli.run(chips, [w for _, w, _ in parts], sets=sets)
    kernels["count"] = [n for _ in chips for _, _, n in parts]

    allreduce_bytes = batch * model.hidden * BYTES_BF16
    weights, kv, activations = memory_gb(model, tp, batch, ctx)
    capacities = cli.specs(chips, sets=sets).set_index("name")["memory_capacity_gb"]
    rows = []
    for chip in chips:
        k = kernels[kernels["chip"] == chip]
        by_tensor = k["utilisation.tensor"] >= k["utilisation.hbm"]
        compute_s = (k["kernel_s"] * k["count"])[by_tensor].sum()
        hbm_s = (k["kernel_s"] * k["count"])[~by_tensor].sum()
        launch_s = (k["launch_s"] * k["count"]).sum()
        collective = cli.collective(systems[chip], "allreduce", allreduce_bytes, chip_sets=sets)
        interconnect_s = 2 * model.layers * collective["time_us"].iloc[0] * 1e-6
        time_s = compute_s + hbm_s + launch_s + interconnect_s
        capacity = float(capacities[chip])
        parts_s = {"compute": compute_s, "hbm": hbm_s, "interconnect": interconnect_s,
                   "launch": launch_s}
        rows.append({
            "chip": chip,
            "system": systems[chip],
            "chips": tp,
            "batch": batch,
            "time_s": time_s,
            "tokens_per_s": batch / time_s,
            "tokens_per_s_per_chip": batch / time_s / tp,
            "bottleneck.compute_s": compute_s,
            "bottleneck.hbm_s": hbm_s,
            "bottleneck.interconnect_s": interconnect_s,
            "bottleneck.launch_s": launch_s,
            "dominant": max(parts_s, key=parts_s.get),
            "memory.weights_GB": weights,
            "memory.kv_cache_GB": kv,
            "memory.activations_GB": activations,
            "memory.capacity_GB": capacity,
            "memory.fits": weights + kv + activations <= capacity,
        })
    frame = pd.DataFrame(rows)
    per_chip = frame["tokens_per_s_per_chip"]
    frame.insert(7, "ratio_to_first", per_chip / per_chip.iloc[0])
    # compare's workload.* names; weights and KV cache are bf16 here.
    frame["workload.name"] = f"{model.name}-decode (proxy)"
    frame["workload.model"] = model.name
    frame["workload.phase"] = "decode"
    frame["workload.batch"] = batch
    frame["workload.context"] = ctx
    frame["workload.weights_dtype"] = "bf16"
    frame["workload.kv_cache_dtype"] = "bf16"
    frame["workload.tp"] = tp
    frame["sets"] = _sets_text(sets)
    frame["source"] = "decode proxy (run + collective)"
    return frame


def decode_throughput(cli, chips, sets=None, workload="llama3-70b-decode", **proxy_args):
    """compare() when the binary has it, else the proxy; column `source` says which."""
    if cli.has_command("compare"):
        frame = cli.compare(chips, workload, sets=sets)
        frame["source"] = f"xpusim compare --workload {workload}"
        return frame
    return decode_proxy(cli, chips, sets=sets, **proxy_args)
