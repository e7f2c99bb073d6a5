"""Fitting prompts to max_length: the history is shortened, never the utterance."""

from __future__ import annotations

import pytest

from instructerc_hf.modeling import load_tokenizer
from instructerc_hf.prompts import main_prompt
from instructerc_hf.tasks import prompt_config_for
from instructerc_hf.training.arguments import ERCDataArguments
from instructerc_hf.training.data import load_task_splits
from instructerc_hf.training.fitting import HistoryMismatchError, dialogue_turns, fit_prompts, sequence_lengths

pytestmark = pytest.mark.usefixtures("quiet_single_thread")


def test_fit_shortens_history_never_the_utterance_or_statement(meld_raw: str, tiny_dir: str) -> None:
    tokenizer = load_tokenizer(tiny_dir)
    full = load_task_splits(ERCDataArguments(raw_dir=[meld_raw]), "main")["train"]
    turns = dialogue_turns(full)
    lengths = sequence_lengths(tokenizer, full["prompt"], full["completion"])
    budget = sorted(lengths)[len(lengths) // 2]  # half the rows are too long
    fitted, report = fit_prompts(full, tokenizer, budget, turns, 12)
    assert report.num_shortened == sum(n > budget for n in lengths) > 0
    assert max(sequence_lengths(tokenizer, fitted["prompt"], fitted["completion"])) <= budget
    for row, before in zip(fitted, full, strict=True):
        dialogue = turns[(row["dataset"], row["dialogue_id"])]
        candidates = [main_prompt(dialogue, row["turn"], prompt_config_for(["meld"], "original", w)) for w in range(13)]
        assert row["prompt"] in candidates and row["completion"] == before["completion"]
        assert row["prompt"].endswith(before["prompt"][before["prompt"].index(" ### Please select"):])


def test_fit_checks_the_window_of_prebuilt_prompts(meld_raw: str, tiny_dir: str) -> None:
    full = load_task_splits(ERCDataArguments(raw_dir=[meld_raw]), "impact")["train"]
    with pytest.raises(HistoryMismatchError, match="another window"):
        fit_prompts(full, load_tokenizer(tiny_dir), None, dialogue_turns(full), 1)
