"""``instructerc-hf evaluate`` on 1 and on 2 processes (``accelerate launch``) on the real MELD test set.

A fresh (zero-shot) LoRA adapter on the embedded SmolLM2-135M-Instruct is saved once; the first ``--limit`` test
utterances are then evaluated by label scoring with 1 and with N processes, each process given cores / N threads, and
the throughput of each is printed with their ratio. The predictions must agree (they are the same computation).

    python -m experiments.bench_processes [--limit 200] [--processes 2] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from experiments import DATA_DIR, REPO, corpora
from experiments.bench_inference import fresh_adapter
from experiments.benches import add_json_option, reporting, write_figures


def save_fresh_adapter(folder: Path) -> Path:
    """The zero-shot adapter of :func:`fresh_adapter`, saved with its tokenizer and InstructERC config."""
    import torch

    from instructerc_hf.configuration import ERCModelConfig
    from instructerc_hf.modeling import EMBEDDED_BASE_HUB_ID
    from instructerc_hf.tasks import prompt_config_for

    model, tokenizer = fresh_adapter(torch.float32)
    model.save_pretrained(folder)  # type: ignore[operator]
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]
    ERCModelConfig(EMBEDDED_BASE_HUB_ID, ["meld"], "original", prompt_config_for(["meld"], "original")).save_pretrained(
        folder)
    return folder


def evaluate(processes: int, adapter: Path, data: Path, out: Path, limit: int) -> dict:
    threads = max(1, (os.cpu_count() or 1) // processes)
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
               "--mixed_precision", "no", "-m", "instructerc_hf.cli", "evaluate", "--model", str(adapter),
               "--dataset", str(data), "--split", "test", "--limit", str(limit), "--output_dir", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, default=corpora.corpus("meld").raw_dir(DATA_DIR))
    parser.add_argument("--limit", type=int, default=200, help="test utterances (default 200)")
    parser.add_argument("--processes", type=int, default=2, help="processes of the second run (default 2)")
    add_json_option(parser)
    args = parser.parse_args(argv)
    from instructerc_hf.data.arguments import BuildArguments
    from instructerc_hf.data.export import export_dataset

    with reporting(args.json), tempfile.TemporaryDirectory(prefix="bench-processes-") as tmp:
        work = Path(tmp)
        export_dataset(BuildArguments(dataset="meld", raw_dir=[str(args.raw_dir)], out=str(work / "data"),
                                      tasks=["main"], label_spaces=["original"]), command="bench")
        adapter = save_fresh_adapter(work / "adapter")
        runs = {n: evaluate(n, adapter, work / "data", work / f"eval-{n}", args.limit) for n in (1, args.processes)}
        one, many = runs[1], runs[args.processes]
        figures = {
            "one_process_utterances_per_second": one["utterances_per_second"],
            "processes_utterances_per_second": many["utterances_per_second"],
            "speedup": many["utterances_per_second"] / one["utterances_per_second"],
            "same_weighted_f1": float(one["weighted_f1"] == many["weighted_f1"]),
        }
        print(f"evaluate on {args.limit} MELD test utterances, label scoring, {os.cpu_count()} cores:")
        print(f"  1 process:  {figures['one_process_utterances_per_second']:.2f} utt/s")
        print(f"  {args.processes} processes: {figures['processes_utterances_per_second']:.2f} utt/s "
              f"({figures['speedup']:.2f}x), same weighted F1: {bool(figures['same_weighted_f1'])}")
    write_figures(args.json, "processes", figures, {"utterances": args.limit, "processes": args.processes})


if __name__ == "__main__":
    main()
