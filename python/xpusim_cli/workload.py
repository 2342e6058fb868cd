"""Workloads as the sweep files write them, turned into `xpusim run` flags.

A workload is a mapping whose kind key carries the main value, plus options:
    {"gemm": "4096x4096x4096", "dtype": "bf16"}
    {"stream": "triad", "elements": 1048576}
    {"attention": "batch=64,heads=8,kv_heads=1,head_dim=128,seq_q=1,seq_kv=4096,causal=0,pass=decode"}
or the same as text, "gemm=4096x4096x4096 dtype=bf16" (kind first; split on the first '=').
"""

RUN_KINDS = ("gemm", "stream", "attention")
RUN_OPTIONS = ("dtype", "elements", "quantum")


def parse(workload):
    """Returns the workload as an ordered dict of str -> str; ValueError on a malformed one."""
    if isinstance(workload, dict):
        fields = {str(k): str(v) for k, v in workload.items()}
    elif isinstance(workload, str):
        fields = {}
        for token in workload.split():
            key, sep, value = token.partition("=")
            if not sep or not value:
                raise ValueError(f"workload {workload!r}: '{token}' is not key=value")
            fields[key] = value
    else:
        raise ValueError(f"workload {workload!r}: expected a dict or 'kind=value ...' text")
    kinds = [k for k in fields if k in RUN_KINDS]
    if len(kinds) != 1:
        raise ValueError(
            f"workload {workload!r}: needs exactly one of {', '.join(RUN_KINDS)}"
        )
    unknown = [k for k in fields if k not in RUN_KINDS and k not in RUN_OPTIONS]
    if unknown:
        raise ValueError(
            f"workload {workload!r}: unknown key(s) {', '.join(unknown)}; "
            f"allowed besides the kind: {', '.join(RUN_OPTIONS)}"
        )
    kind = kinds[0]
    return {kind: fields[kind], **{k: v for k, v in fields.items() if k != kind}}


def canonical(fields):
    """'gemm=4096x4096x4096 dtype=bf16': the kind first, then the other keys sorted."""
    kind = next(iter(fields))
    rest = sorted(k for k in fields if k != kind)
    return " ".join(f"{k}={fields[k]}" for k in [kind, *rest])


def run_flags(fields):
    """['--gemm', '4096x4096x4096', '--dtype', 'bf16']"""
    flags = []
    for key, value in fields.items():
        flags += [f"--{key}", value]
    return flags
