"""The fine-tuned encoder baseline: all-MiniLM-L6-v2 with a classification head, every weight trained.

Two inputs: the utterance alone, or the previous ``context_turns`` turns as ``speaker: text`` before it (a sentence
pair, the context cut from its start when the pair is too long; the utterance is kept whole unless it alone is
longer than the context left). Trained with
the ``transformers`` Trainer on the train split (or its low-resource ``fraction``, the same utterances as the LoRA
runs: :func:`experiments.baselines.train_subset`); the epoch with the best validation weighted F1 is kept and scores
the test split. The driver's ``classifier`` group runs :func:`train_classifier` per dataset, input, fraction and seed.

    python -m experiments.classifier --dataset meld --context-turns 12 --fraction 1/8 --seed 42 --out outputs/clf
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import DATA_DIR
from .baselines import train_subset
from .corpora import NAMES, corpus
from .records import Scores, slim_metrics


@dataclass(frozen=True)
class ClassifierRecipe:
    """The fine-tuning recipe (the record's settings hold it whole)."""

    context_turns: int = 0  # previous turns shown; 0: the utterance alone
    max_length: int = 128  # tokens of the pair
    epochs: int = 3
    learning_rate: float = 5e-5
    batch_size: int = 32
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01


@dataclass
class Examples:
    """One split's classifier inputs: the context (``None``: none), the utterance, the gold label and the id."""

    contexts: list[str | None]
    utterances: list[str]
    labels: list[str]
    ids: list[str]


def split_examples(dialogues: Sequence[Any], context_turns: int) -> Examples:
    """Every utterance of ``dialogues`` in order; with context the turns are written ``speaker: text``."""
    examples = Examples([], [], [], [])
    for dialogue in dialogues:
        lines = [f"{t.speaker}: {t.text}" for t in dialogue.turns]
        for i, turn in enumerate(dialogue.turns):
            examples.contexts.append(" ".join(lines[max(0, i - context_turns):i]) or None if context_turns else None)
            examples.utterances.append(lines[i] if context_turns else turn.text)
            examples.labels.append(turn.label)
            examples.ids.append(f"{dialogue.dialogue_id}/{i}")
    return examples


def keep(examples: Examples, rows: Sequence[int]) -> Examples:
    """The examples at ``rows``."""
    return Examples([examples.contexts[i] for i in rows], [examples.utterances[i] for i in rows],
                    [examples.labels[i] for i in rows], [examples.ids[i] for i in rows])


def encode(tokenizer: Any, examples: Examples, label_ids: dict[str, int], max_length: int) -> Any:
    """A ``datasets.Dataset`` of token ids and labels; a too-long pair loses the start of its context (of both, once
    the context is no longer than the utterance)."""
    from datasets import Dataset

    firsts = [c if c is not None else u for c, u in zip(examples.contexts, examples.utterances, strict=True)]
    seconds = [u if c is not None else None for c, u in zip(examples.contexts, examples.utterances, strict=True)]
    rows = []
    for first, second, label in zip(firsts, seconds, examples.labels, strict=True):
        encoded = tokenizer(first, second, truncation=True, max_length=max_length)  # longest first: the context
        rows.append({"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
                     "labels": label_ids[label]})
    return Dataset.from_list(rows)


def train_classifier(dialogue_corpus: Any, labels: Sequence[str], recipe: ClassifierRecipe, fraction: str, seed: int,
                     out: Path, model_name: str | None = None) -> tuple[dict[str, Any], Examples, list[str]]:
    """Fine-tune, keep the best validation epoch, score test. Returns the metrics (``test``, ``validation``,
    ``training``), the test examples and their predicted labels."""
    import numpy as np
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    from instructerc_hf.metrics import compute_erc_metrics
    from instructerc_hf.retrieval.config import default_encoder
    from instructerc_hf.training.precision import cpu_supports_bf16

    name = model_name or default_encoder()
    label_ids = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(name)
    tokenizer.truncation_side = "left"  # the context loses its oldest turns first
    splits = {s: split_examples(dialogue_corpus.splits[s], recipe.context_turns) for s in ("train", "validation",
                                                                                          "test")}
    splits["train"] = keep(splits["train"], train_subset(len(splits["train"].ids), dialogue_corpus.dataset, fraction))
    data = {s: encode(tokenizer, e, label_ids, recipe.max_length) for s, e in splits.items()}
    model = AutoModelForSequenceClassification.from_pretrained(
        name, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label_ids)

    def metrics(prediction: Any) -> dict[str, float]:
        predicted = [labels[i] for i in np.argmax(prediction.predictions, axis=-1)]
        gold = [labels[i] for i in prediction.label_ids]
        scores = compute_erc_metrics(predicted, gold, list(labels))
        return {k: scores[k] for k in ("weighted_f1", "accuracy", "macro_f1")}

    args = TrainingArguments(
        output_dir=str(out), num_train_epochs=recipe.epochs, learning_rate=recipe.learning_rate,
        per_device_train_batch_size=recipe.batch_size, per_device_eval_batch_size=2 * recipe.batch_size,
        warmup_steps=recipe.warmup_ratio, weight_decay=recipe.weight_decay, eval_strategy="epoch",
        save_strategy="epoch", save_total_limit=1, load_best_model_at_end=True, metric_for_best_model="weighted_f1",
        seed=seed, use_cpu=True, bf16=cpu_supports_bf16(), report_to="none", disable_tqdm=True, logging_steps=50,
        dataloader_num_workers=0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data["train"], eval_dataset=data["validation"],
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=metrics)
    trained = trainer.train()
    validation = trainer.evaluate()
    start = time.perf_counter()
    output = trainer.predict(data["test"])
    seconds = time.perf_counter() - start
    predicted = [labels[i] for i in np.argmax(output.predictions, axis=-1)]
    test: Scores = slim_metrics(compute_erc_metrics(predicted, splits["test"].labels, list(labels)))
    test["seconds"], test["utterances_per_second"] = round(seconds, 1), len(predicted) / seconds
    evals = [e for e in trainer.state.log_history if "eval_runtime" in e]
    training = {
        "train_utterances": len(data["train"]), "train_seconds": round(trained.metrics["train_runtime"] - sum(
            e["eval_runtime"] for e in evals[:-1]), 1),  # the last evaluation is the one after training
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "best_epoch": next((e["epoch"] for e in evals if e["eval_weighted_f1"] == trainer.state.best_metric), None),
        "validation_history": [{"epoch": e["epoch"], "weighted_f1": e["eval_weighted_f1"]} for e in evals[:-1]],
        "bf16": args.bf16,
    }
    return ({"test": test, "validation": {k.removeprefix("eval_"): v for k, v in validation.items()
                                          if k.removeprefix("eval_") in ("weighted_f1", "accuracy", "macro_f1")},
             "training": training}, splits["test"], predicted)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--dataset", choices=NAMES, default="meld")
    parser.add_argument("--fraction", default="1", help="low-resource fraction of the train split (1, 1/8 ...)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True, help="the Trainer's output folder (checkpoints)")
    for key, value in asdict(ClassifierRecipe()).items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    from instructerc_hf.labels import get_dataset_labels
    from instructerc_hf.readers import read_corpus

    recipe = ClassifierRecipe(**{k: getattr(args, k) for k in asdict(ClassifierRecipe())})
    dialogue_corpus = read_corpus(args.dataset, corpus(args.dataset).raw_dir(args.data_dir))
    metrics, _, _ = train_classifier(dialogue_corpus, get_dataset_labels(args.dataset).labels, recipe, args.fraction,
                                     args.seed, args.out)
    print(f"{args.dataset} MiniLM classifier (context {recipe.context_turns}): test weighted F1 "
          f"{metrics['test']['weighted_f1']:.2f}, validation {metrics['validation']['weighted_f1']:.2f}")


if __name__ == "__main__":
    main()
