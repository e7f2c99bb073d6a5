"""Label scoring vs greedy generation on the real MELD test set with SmolLM2-135M-Instruct.

Runs the first ``--limit`` test utterances (whole dialogues in order, the InstructERC ``main`` prompt) through both
inference modes of :mod:`instructerc_hf.inference` on the offline SmolLM2 base model wrapped in a fresh (untrained,
so zero-shot) LoRA adapter, and prints utterances per second of each mode, their ratio and how often they agree.
Target: label scoring at least 3x faster than generation. The modes alternate chunk by chunk (whole dialogues, the
order flipped each time) so that the load of a shared machine weighs on both alike.

    python -m experiments.bench_inference [--limit 200] [--raw-dir ../shared/data/meld/raw/declare-lab__MELD] \\
        [--json PATH]

``--adapter DIR`` measures a trained adapter instead. CPU timings on a shared machine are noisy: compare runs of
the same machine only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from tqdm.auto import tqdm

from instructerc_hf.inference import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_PACK_TOKENS,
    DTYPES,
    Prediction,
    candidate_sequences,
    generate_labels,
    load_adapter,
    pack_candidates,
    score_labels,
)
from instructerc_hf.metrics import compute_erc_metrics
from instructerc_hf.readers import read_corpus
from instructerc_hf.tasks import corpus_rows, prompt_config_for

from . import DATA_DIR, corpora
from .benches import INFERENCE_DTYPES, add_json_option, reporting, write_figures

DEFAULT_RAW = corpora.corpus("meld").raw_dir(DATA_DIR)


def fresh_adapter(dtype: torch.dtype) -> tuple[torch.nn.Module, object]:
    """SmolLM2-135M-Instruct (offline default) with a new LoRA adapter on q/k/v (zero-shot: LoRA B is zero)."""
    from peft import LoraConfig, get_peft_model

    from instructerc_hf.modeling import load_causal_lm, load_tokenizer, resolve_base_model

    base = resolve_base_model(None)
    lora = LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "k_proj", "v_proj"], task_type="CAUSAL_LM")
    return get_peft_model(load_causal_lm(base, dtype=dtype), lora).eval(), load_tokenizer(base)


def dialogue_chunks(rows: list[dict], size: int) -> list[list[int]]:
    """Row indices in chunks of whole dialogues, each about ``size`` utterances."""
    chunks: list[list[int]] = [[]]
    for index, row in enumerate(rows):
        new_dialogue = index > 0 and row["dialogue_id"] != rows[index - 1]["dialogue_id"]
        if new_dialogue and len(chunks[-1]) >= size:
            chunks.append([])
        chunks[-1].append(index)
    return chunks


def token_counts(tokenizer: object, prompts: list[str], chunks: list[list[int]], labels: tuple[str, ...],
                 pack_tokens: int) -> tuple[int, int]:
    """Tokens of the prompts alone, and those the label-scoring passes encode (prefix trees less cached chains),
    chunk by chunk as the timed runs score them."""
    prompt_tokens = tree_tokens = 0
    for chunk in chunks:
        sequences = candidate_sequences(tokenizer, [prompts[i] for i in chunk], labels)
        prompt_tokens += sum(row[0][1] for row in sequences)
        tree_tokens += sum(len(pack.trie) - pack.cached for pack in pack_candidates(sequences, pack_tokens))
    return prompt_tokens, tree_tokens


def run_modes(model: torch.nn.Module, tokenizer: object, prompts: list[str], labels: tuple[str, ...],
              rows: list[dict], args: argparse.Namespace) -> tuple[dict[str, float], dict[str, list[Prediction]]]:
    """Both modes over all prompts, alternating chunk by chunk (order flipped every chunk) so that the load of a
    shared machine weighs on both alike: seconds and predictions per mode."""
    score_labels(model, tokenizer, prompts[:2], labels, progress=False)  # warm-up
    generate_labels(model, tokenizer, prompts[:2], labels, max_new_tokens=2, progress=False)
    runs: dict[str, Callable[[list[str]], list[Prediction]]] = {
        "score": lambda p: score_labels(model, tokenizer, p, labels, pack_tokens=args.pack_tokens, progress=False),
        "generate": lambda p: generate_labels(model, tokenizer, p, labels, batch_size=args.batch_size,
                                              max_new_tokens=args.max_new_tokens, progress=False),
    }
    seconds = dict.fromkeys(runs, 0.0)
    predicted: dict[str, dict[int, Prediction]] = {mode: {} for mode in runs}
    for number, chunk in enumerate(tqdm(dialogue_chunks(rows, args.chunk), desc="chunks of dialogues")):
        for mode in ("score", "generate") if number % 2 == 0 else ("generate", "score"):
            start = time.perf_counter()
            predictions = runs[mode]([prompts[i] for i in chunk])
            seconds[mode] += time.perf_counter() - start
            predicted[mode].update(zip(chunk, predictions, strict=True))
    return seconds, {mode: [by_index[i] for i in range(len(prompts))] for mode, by_index in predicted.items()}


def measure(model: torch.nn.Module, tokenizer: object, labels: tuple[str, ...], rows: list[dict],
            args: argparse.Namespace, dtype: str) -> tuple[dict[str, float], list[str]]:
    """Both modes in one dtype: the figures ``<dtype>_*`` and the label-scoring predictions; prints the report."""
    prompts, gold = [r["prompt"] for r in rows], [r["label"] for r in rows]
    n = len(prompts)
    seconds, predicted = run_modes(model, tokenizer, prompts, labels, rows, args)
    s_labels = [p.label for p in predicted["score"]]
    g_labels = [p.label for p in predicted["generate"]]
    agree = sum(a == b for a, b in zip(s_labels, g_labels, strict=True)) / n
    f1_score = compute_erc_metrics(s_labels, gold, labels)["weighted_f1"]
    f1_gen = compute_erc_metrics(g_labels, gold, labels)["weighted_f1"]
    fallback = sum(not p.exact for p in predicted["generate"]) / n
    prompt_tokens, tree_tokens = token_counts(tokenizer, prompts, dialogue_chunks(rows, args.chunk), labels,
                                              args.pack_tokens)
    t_score, t_gen = seconds["score"], seconds["generate"]
    ratio = t_gen / t_score
    print(f"MELD test, {n} utterances, {'adapter ' + args.adapter if args.adapter else 'SmolLM2-135M zero-shot'}, "
          f"{dtype}, {torch.get_num_threads()} threads")
    print(f"label scoring: {n / t_score:7.2f} utt/s ({t_score:6.1f} s)  weighted F1 {f1_score:5.1f}  "
          f"({tree_tokens} tokens encoded, pack_tokens={args.pack_tokens})")
    print(f"generation:    {n / t_gen:7.2f} utt/s ({t_gen:6.1f} s)  weighted F1 {f1_gen:5.1f}  "
          f"({prompt_tokens} prompt tokens; greedy, max_new_tokens={args.max_new_tokens}, batch {args.batch_size}; "
          f"parser fallback {fallback:.1%})")
    print(f"speed-up: {ratio:.2f}x (target >= 3x: {'PASS' if ratio >= 3 else 'FAIL'}); agreement {agree:.1%}")
    figures = {"score_utterances_per_second": round(n / t_score, 2), "score_weighted_f1": round(f1_score, 1),
               "generate_utterances_per_second": round(n / t_gen, 2), "generate_weighted_f1": round(f1_gen, 1),
               "speedup": round(ratio, 2), "agreement_percent": round(100 * agree, 1),
               "generate_fallback_percent": round(100 * fallback, 1)}
    return {f"{dtype}_{k}": v for k, v in figures.items()}, s_labels


def agreement(scored_by_dtype: dict[str, list[str]]) -> dict[str, float]:
    """``<other>_<first>_same_label_percent``: how often each later dtype scores the first dtype's label."""
    (first, a), *others = scored_by_dtype.items()
    figures = {}
    for other, b in others:
        same = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
        print(f"label scoring, {other} vs {first}: same label for {same:.1%} of the utterances")
        figures[f"{other}_{first}_same_label_percent"] = round(100 * same, 1)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", default=str(DEFAULT_RAW))
    parser.add_argument("--limit", type=int, default=200, help="test utterances to run (default 200)")
    parser.add_argument("--adapter", help="a trained adapter folder (default: fresh LoRA on SmolLM2, zero-shot)")
    parser.add_argument("--dtype", nargs="+", default=list(INFERENCE_DTYPES), choices=list(DTYPES),
                        help="weight dtypes to measure, one after the other (default: float32 bfloat16)")
    parser.add_argument("--batch-size", type=int, default=8, help="generation batch size")
    parser.add_argument("--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS)
    parser.add_argument("--pack-tokens", type=int, default=DEFAULT_PACK_TOKENS, help="label-scoring pack size")
    parser.add_argument("--chunk", type=int, default=25, help="utterances per alternation of the two modes")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    add_json_option(parser)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    figures: dict[str, Any] = {}
    with reporting(args.json):
        config = prompt_config_for(["meld"], "original")
        corpus = read_corpus("meld", args.raw_dir, splits=("test",))
        rows = list(corpus_rows(corpus.splits["test"], "main", config))[: args.limit]
        scored_by_dtype: dict[str, list[str]] = {}
        for dtype in args.dtype:
            if args.adapter:
                model, tokenizer, erc = load_adapter(args.adapter, dtype=dtype)
                labels = erc.labels
            else:
                (model, tokenizer), labels = fresh_adapter(getattr(torch, dtype)), config.labels
            dtype_figures, scored_by_dtype[dtype] = measure(model, tokenizer, labels, rows, args, dtype)
            figures |= dtype_figures
        figures |= agreement(scored_by_dtype)
    write_figures(args.json, "inference", figures, {"utterances": len(rows), "threads": torch.get_num_threads(),
                                                    "adapter": args.adapter})


if __name__ == "__main__":
    main()
