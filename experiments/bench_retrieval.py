"""Benchmark of demonstration retrieval on the real MELD data.

Prints:

1. embedding throughput of the encoder on the MELD train utterances (cold cache);
2. query latency of top-1 retrieval over the whole train base (9,989 utterances), with and without encoding
   the query;
3. the one-off cost of map-time injection (every train row) and the per-step cost of the two designs beside a
   LoRA training step of SmolLM2-135M: map-time injection (what the package does: the collator only pads
   pre-tokenized rows) and batch-time injection (retrieve, word, tokenize and pad inside the collator);
4. what a model that copies the demonstration's label would score on MELD test (the copy danger), for the
   balanced (default) and the unbalanced base.

Usage: ``HF_HUB_OFFLINE=1 python -m experiments.bench_retrieval [--meld DIR] [--batch-size 4] [--steps 3]
[--json PATH]``. Timings on a shared CPU are noisy: medians are reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import datasets
import torch

from instructerc_hf.metrics import compute_erc_metrics
from instructerc_hf.modeling import load_causal_lm, load_tokenizer, resolve_base_model
from instructerc_hf.prompts import PromptConfig, demonstration_text, with_demonstration
from instructerc_hf.readers import read_corpus
from instructerc_hf.records import DialogueCorpus
from instructerc_hf.retrieval import DemonstrationRetriever, DomainBase, RetrievalConfig, add_demonstrations
from instructerc_hf.tasks import corpus_rows, prompt_config_for

from . import DATA_DIR, corpora
from .benches import add_json_option, reporting, write_figures

DEFAULT_MELD = corpora.corpus("meld").raw_dir(DATA_DIR)
#: The balance of the domain base in the copier figures: figure suffix -> ``RetrievalConfig.balance``.
COPIER_BALANCES: dict[str, str] = {"balanced": "per_label_cap", "unbalanced": "none"}
Figures = dict[str, float]



def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """Wall time of one call of ``fn(*args, **kwargs)``."""
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    return statistics.median(timed(fn) for _ in range(repeats))


def bench_embedding(retriever: DemonstrationRetriever, texts: list[str]) -> Figures:
    start = time.perf_counter()
    retriever.model  # noqa: B018 - load the encoder outside the timing
    load = time.perf_counter() - start
    distinct = len(set(texts))
    start = time.perf_counter()
    retriever.embed(texts)  # cold cache: encodes and writes the .npy
    seconds = time.perf_counter() - start
    print(f"[1] embedding throughput: {distinct / seconds:.0f} sentences/s ({distinct} distinct texts of {len(texts)} "
        f"MELD train utterances in {seconds:.1f} s, batch {retriever.config.batch_size}; encoder load {load:.1f} s)")
    return {"embedding_sentences_per_second": round(distinct / seconds)}


def bench_query(retriever: DemonstrationRetriever, queries: list[str]) -> Figures:
    retriever.retrieve(queries[:3])  # warm-up
    encode_and_search = statistics.median(timed(retriever.retrieve, [q]) for q in queries[:30])
    vectors = retriever.embed(queries)
    search = statistics.median(
        timed(retriever.retrieve, [queries[i]], embeddings=vectors[i : i + 1]) for i in range(200)
    )
    batched = median_seconds(lambda: retriever.retrieve(queries, embeddings=vectors), 3)
    print(f"[2] top-1 query latency over the whole base ({len(retriever.base)} utterances): "
        f"{1000 * encode_and_search:.1f} ms with query encoding, {1000 * search:.2f} ms search only; "
        f"batched search {len(queries) / batched:.0f} queries/s ({len(queries)} MELD test queries)")
    return {"query_ms_with_encoding": round(1000 * encode_and_search, 1),
            "query_ms_search_only": round(1000 * search, 2),
            "batched_queries_per_second": round(len(queries) / batched)}


def tokenize(tokenizer: Any, prompt: str, completion: str) -> dict[str, list[int]]:
    """What SFT does to a prompt-completion row: loss on the completion and EOS only."""
    prompt_ids = tokenizer(prompt)["input_ids"]
    completion_ids = tokenizer(completion)["input_ids"] + [tokenizer.eos_token_id]
    return {"input_ids": prompt_ids + completion_ids, "labels": [-100] * len(prompt_ids) + completion_ids}


def bench_step(corpus: DialogueCorpus, config: PromptConfig, cache_dir: str, batch_size: int, steps: int) -> Figures:
    from peft import LoraConfig, get_peft_model
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    retrieval = RetrievalConfig(cache_dir=cache_dir, progress=False)
    rows = datasets.Dataset.from_list(list(corpus_rows(corpus.splits["train"], "main", config)))
    retriever = DemonstrationRetriever(retrieval).fit(DomainBase.from_rows(rows, retrieval))
    retriever.embed(list(rows["text"]))  # the query embeddings of a cold cache, outside the timing
    start = time.perf_counter()
    injected = add_demonstrations(rows, retriever, config, "train")
    one_off = time.perf_counter() - start
    print(f"[3] map-time injection of all {len(rows)} MELD train rows: {one_off:.1f} s once (embeddings cached)")

    path = resolve_base_model(None)
    tokenizer = load_tokenizer(path)
    model = get_peft_model(load_causal_lm(path), LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "v_proj"]))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    collator = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id)
    sample = range(500)
    added = [
        len(tokenizer(injected[i]["prompt"])["input_ids"]) - len(tokenizer(rows[i]["prompt"])["input_ids"])
        for i in sample
    ]
    print(f"    a demonstration adds {statistics.mean(added):.0f} tokens to a prompt on average (max {max(added)})")
    batch_rows = [injected[i] for i in range(100, 100 + batch_size)]
    tokenized = [tokenize(tokenizer, r["prompt"], r["completion"]) for r in batch_rows]
    plain = [rows[i] for i in range(100, 100 + batch_size)]

    def batch_time_collate() -> dict[str, torch.Tensor]:
        queries = [r["text"] for r in plain]
        found = retriever.retrieve(queries, [("meld", r["dialogue_id"]) for r in plain], [r["label"] for r in plain])
        worded = [
            with_demonstration(r["prompt"], demonstration_text(d[0].text, d[0].label, config), config)
            for r, d in zip(plain, found, strict=True)
        ]
        return collator([tokenize(tokenizer, p, r["completion"]) for p, r in zip(worded, plain, strict=True)])

    batch = collator(tokenized)

    def train_step() -> None:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    model.train()
    train_step()  # warm-up
    step = median_seconds(train_step, steps)
    map_time = median_seconds(lambda: collator(tokenized), 50)
    batch_time = median_seconds(batch_time_collate, 10)
    tokens = batch["input_ids"].shape[1]
    print(f"    SmolLM2-135M + LoRA(r=16, q/v) training step, batch {batch_size} x {tokens} tokens: {step:.2f} s")
    for name, seconds in (("map-time (package)", map_time), ("batch-time (alternative)", batch_time)):
        share = 100 * seconds / (seconds + step)
        print(f"    collator share, {name}: {1000 * seconds:.2f} ms per step = {share:.2f}% of the step")
    return {"injection_seconds": round(one_off, 1), "demonstration_tokens": round(statistics.mean(added), 1),
            "train_step_seconds": round(step, 2), "collator_ms_map_time": round(1000 * map_time, 2),
            "collator_ms_batch_time": round(1000 * batch_time, 2)}


def bench_copy_baseline(corpus: DialogueCorpus, config: PromptConfig, cache_dir: str) -> Figures:
    test = datasets.Dataset.from_list(list(corpus_rows(corpus.splits["test"], "main", config)))
    figures = {}
    for suffix, balance in COPIER_BALANCES.items():
        retrieval = RetrievalConfig(balance=balance, cache_dir=cache_dir, progress=False)  # type: ignore[arg-type]
        retriever = DemonstrationRetriever(retrieval).fit(DomainBase.from_corpus(corpus, retrieval))
        out = add_demonstrations(test, retriever, config, "inference")
        copy = compute_erc_metrics(out["demonstration_label"], out["label"], config.labels)
        print(f"[4] a pure label copier on MELD test, base balance={balance} ({len(retriever.base)} utterances): "
            f"weighted F1 {copy['weighted_f1']:.1f}, accuracy {copy['accuracy']:.1f}")
        figures[f"copier_weighted_f1_{suffix}"] = round(copy["weighted_f1"], 1)
        figures[f"copier_accuracy_{suffix}"] = round(copy["accuracy"], 1)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meld", type=Path, default=DEFAULT_MELD, help="the raw MELD folder")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps (median)")
    add_json_option(parser)
    args = parser.parse_args(argv)
    with reporting(args.json), tempfile.TemporaryDirectory(prefix="bench-retrieval-") as cache_dir:
        print(f"machine: {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at start (timings are "
              "medians)")
        corpus = read_corpus("meld", args.meld)
        config = prompt_config_for(["meld"], "original")
        train_texts = [t.text for d in corpus.splits["train"] for t in d.turns]
        test_texts = [t.text for d in corpus.splits["test"] for t in d.turns]
        retrieval = RetrievalConfig(balance="none", cache_dir=cache_dir, progress=False)
        retriever = DemonstrationRetriever(retrieval)
        figures = bench_embedding(retriever, train_texts)
        retriever.fit(DomainBase.from_corpus(corpus, retrieval))
        figures |= bench_query(retriever, test_texts)
        figures |= bench_step(corpus, config, cache_dir, args.batch_size, args.steps)
        figures |= bench_copy_baseline(corpus, config, cache_dir)
    write_figures(args.json, "retrieval", figures, {"train_utterances": len(train_texts),
                                                     "test_queries": len(test_texts)})


if __name__ == "__main__":
    main()
