"""Fitting prompts to ``max_length``: shorter histories for over-long main and impact prompts, never a cut label."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from datasets import Dataset, Value
from transformers import PreTrainedTokenizerBase

from ..errors import InputError
from ..prompts import history, history_window
from ..records import Turn

logger = logging.getLogger(__name__)


#: Tasks whose history can be shortened, and the fewest history turns each keeps.
MIN_WINDOW: dict[str, int] = {"main": 0, "impact": 1}


DialogueKey = tuple[str, str]


class PromptTooLongError(InputError):
    """A row that does not fit ``max_length`` even with its shortest allowed history."""


class HistoryMismatchError(ValueError):
    """A prompt whose history is not the one its window predicts (data built with another window)."""


@dataclass
class FitReport:
    """How many rows of a dataset were shortened, by the window they got."""

    rows: int = 0
    shortened: dict[int, int] = field(default_factory=dict)

    @property
    def num_shortened(self) -> int:
        return sum(self.shortened.values())


def dialogue_turns(dataset: Dataset) -> dict[DialogueKey, list[Turn]]:
    """Every dialogue of a full split, rebuilt from its rows (one row per turn), for re-windowing prompts."""
    columns = dataset.select_columns(["dataset", "dialogue_id", "turn", "speaker", "speaker_id", "text"]).to_dict()
    turns: dict[DialogueKey, dict[int, Turn]] = {}
    for name, dialogue, turn, speaker, speaker_id, text in zip(*columns.values(), strict=True):
        turns.setdefault((name, str(dialogue)), {})[int(turn)] = Turn(speaker, int(speaker_id), text, "", "", "")
    out = {}
    for key, by_index in turns.items():
        if sorted(by_index) != list(range(len(by_index))):
            raise ValueError(f"dialogue {key} has non-contiguous turns {sorted(by_index)}: not a full split")
        out[key] = [by_index[i] for i in range(len(by_index))]
    return out


def split_turns(dataset: Dataset, task: str) -> dict[DialogueKey, list[Turn]]:
    """The dialogues :func:`fit_prompts` re-windows ``task``'s prompts from: none for tasks without history."""
    return dialogue_turns(dataset) if task in MIN_WINDOW else {}


def sequence_lengths(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], completions: Sequence[str]
) -> list[int]:
    """Token count of ``prompt + completion + EOS`` exactly as TRL tokenizes a prompt-completion row."""
    eos = tokenizer.eos_token or ""
    texts = [p + c + ("" if c.endswith(eos) else eos) for p, c in zip(prompts, completions, strict=True)]
    return [len(ids) for ids in tokenizer(texts)["input_ids"]]


def history_block(turns: Sequence[Turn], index: int, task: str, window: int) -> str:
    """The history block of ``task``'s prompt for turn ``index`` with ``window`` previous turns."""
    return history(history_window(turns, index, window, include_current=task == "main" or index == 0))


def _history_start(prompt: str, block: str) -> int:
    """Where ``block`` starts in ``prompt`` as the whole history (right after a space, not inside a longer history)."""
    start = prompt.find(block)
    while start > 0 and prompt[start - 1] != " ":
        start = prompt.find(block, start + 1)
    return start


def rewindow(prompt: str, turns: Sequence[Turn], index: int, task: str, window: int, new_window: int) -> str:
    """``prompt`` (built with ``window``) with the history of ``new_window`` turns instead."""
    old = history_block(turns, index, task, window)
    start = _history_start(prompt, old)
    if start < 0:
        raise HistoryMismatchError(
            f"a {task} prompt (turn {index}) does not hold the history of window {window}: was the data built with "
            "another window? Pass the window it was built with."
        )
    return prompt[:start] + history_block(turns, index, task, new_window) + prompt[start + len(old) :]


@dataclass
class FitRows:
    """Prompts to fit, and per prompt what rebuilding its history needs: its completion, task, turn index and
    dialogue; ``window`` is the one the prompts were built with."""

    prompts: list[str]
    completions: list[str]
    tasks: list[str]
    turn_indices: list[int]
    dialogues: list[Sequence[Turn]]
    window: int

    def rewindowed(self, i: int, new_window: int) -> str:
        return rewindow(self.prompts[i], self.dialogues[i], self.turn_indices[i], self.tasks[i], self.window, new_window)


def shorten_histories(
    rows: FitRows, tokenizer: PreTrainedTokenizerBase, max_length: int, report: FitReport
) -> tuple[list[str], list[int]]:
    """Give every over-long main / impact prompt the longest shorter history that makes ``prompt + completion + EOS
    <= max_length``, counting them in ``report``.

    Returns the prompts, and the rows that fit with none of their allowed histories (left with the shortest one).
    """
    fitted = list(rows.prompts)
    over = [i for i, n in enumerate(sequence_lengths(tokenizer, fitted, rows.completions)) if n > max_length]
    for new_window in range(rows.window - 1, -1, -1):
        if not over:
            break
        over = _try_window(rows, over, new_window, fitted, tokenizer, max_length, report)
    return fitted, over


def fit_prompts(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int | None,
    turns: dict[DialogueKey, list[Turn]],
    window: int,
) -> tuple[Dataset, FitReport]:
    """Shorten the history of over-long main / impact prompts until ``prompt + completion + EOS <= max_length``.

    ``turns`` are the dialogues of the full split (:func:`dialogue_turns`; only main / impact rows read them);
    ``window`` is the one the prompts were built with. Every main / impact prompt is checked to hold that window's
    history, even with ``max_length=None``. The pipeline fits its prompts with the same :func:`shorten_histories`.

    Raises:
        HistoryMismatchError: a main / impact prompt does not hold the history its window predicts.
        PromptTooLongError: a row does not fit even with its shortest history, or is a speaker / plain row.
    """
    report = FitReport(rows=len(dataset))
    columns = dataset.select_columns(["prompt", "completion", "task", "dataset", "dialogue_id", "turn"]).to_dict()
    keys = [(d, str(i)) for d, i in zip(columns["dataset"], columns["dialogue_id"], strict=True)]
    dialogues: list[Sequence[Turn]] = [turns[key] if task in MIN_WINDOW else []
                                       for key, task in zip(keys, columns["task"], strict=True)]
    rows = FitRows(columns["prompt"], columns["completion"], columns["task"], columns["turn"], dialogues, window)
    for i, task in enumerate(rows.tasks):
        if task in MIN_WINDOW:
            rows.rewindowed(i, window)  # raises HistoryMismatchError
    if max_length is None or len(dataset) == 0:
        return dataset, report
    fitted, over = shorten_histories(rows, tokenizer, max_length, report)
    if over:
        first = over[0]
        length = sequence_lengths(tokenizer, [fitted[first]], [rows.completions[first]])[0]
        raise PromptTooLongError(
            f"{len(over)} row(s) exceed max_length={max_length} tokens even with the shortest history, e.g. the "
            f"{rows.tasks[first]} row of {keys[first][0]} dialogue {keys[first][1]} turn {rows.turn_indices[first]} "
            f"({length} tokens). The utterance and the label statement are never cut: raise max_length."
        )
    if report.num_shortened:
        logger.info("fitted to max_length=%d: %d of %d rows got a shorter history (rows by window: %s)", max_length,
                    report.num_shortened, len(dataset), report.shortened)
        order = dataset.column_names
        dataset = dataset.remove_columns("prompt").add_column("prompt", fitted, feature=Value("string"))
        dataset = dataset.select_columns(order)
    return dataset, report


def _try_window(
    rows: FitRows,
    over: list[int],
    new_window: int,
    fitted: list[str],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    report: FitReport,
) -> list[int]:
    """Rebuild the over-long rows that may still shrink with ``new_window``; return those still too long."""
    candidates = [i for i in over if rows.tasks[i] in MIN_WINDOW and new_window >= MIN_WINDOW[rows.tasks[i]]]
    shorter = [rows.rewindowed(i, new_window) for i in candidates]
    changed = [(i, p) for i, p in zip(candidates, shorter, strict=True) if p != fitted[i]]
    if not changed:
        return over
    lengths = sequence_lengths(tokenizer, [p for _, p in changed], [rows.completions[i] for i, _ in changed])
    fits = set()
    for (i, prompt), n in zip(changed, lengths, strict=True):
        fitted[i] = prompt
        if n <= max_length:
            fits.add(i)
            report.shortened[new_window] = report.shortened.get(new_window, 0) + 1
    return [i for i in over if i not in fits]
