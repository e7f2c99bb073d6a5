"""The pipeline fits prompts to the model's positions as training fits them to max_length; it never cuts an utterance."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import MELD_CSV, require

from instructerc_hf.errors import InputError
from instructerc_hf.pipeline.conversations import conversation_turns
from instructerc_hf.pipeline.erc_pipeline import load_erc_pipeline
from instructerc_hf.pipeline.lengths import position_limit
from instructerc_hf.prompts import main_prompt
from instructerc_hf.training.fitting import PromptTooLongError, sequence_lengths

LOGGER = "instructerc_hf.pipeline.lengths"


@pytest.fixture(scope="module")
def erc(adapter: Path):  # noqa: ANN201 - a pipeline of its own: tests change its tokenizer's and model's limits
    return load_erc_pipeline(adapter)


@pytest.fixture(scope="module")
def meld_turns() -> list[dict[str, str]]:
    """A real MELD test conversation of 33 turns, well past the window of 12."""
    from instructerc_hf.readers import read_corpus

    dialogue = max(read_corpus("meld", require(MELD_CSV), splits=("test",)).splits["test"][:20], key=len)
    return [{"speaker": t.speaker, "text": t.text} for t in dialogue.turns]


def lengths(erc, prompts: list[str]) -> list[int]:  # noqa: ANN001
    """Tokens of each prompt with the longest training completion and EOS: what must fit."""
    return sequence_lengths(erc.tokenizer, prompts, [erc._completion] * len(prompts))


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def test_the_limit_is_the_model_positions_or_a_smaller_sane_tokenizer_length() -> None:
    model = SimpleNamespace(config=SimpleNamespace(max_position_embeddings=1024))
    assert position_limit(model, SimpleNamespace(model_max_length=int(1e30))) == 1024  # transformers' "unset"
    assert position_limit(model, SimpleNamespace(model_max_length=512)) == 512
    assert position_limit(model, SimpleNamespace(model_max_length=4096)) == 1024
    assert position_limit(SimpleNamespace(), SimpleNamespace(model_max_length=300)) == 300
    assert position_limit(SimpleNamespace(), SimpleNamespace()) is None


def test_prompts_that_fit_are_left_as_built(erc, meld_turns, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    turns = conversation_turns(meld_turns)
    built = [main_prompt(turns, i, erc.erc_config.prompt) for i in range(len(turns))]
    assert max(lengths(erc, built)) < position_limit(erc.model, erc.tokenizer) == 1024
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert erc.prompts_for(meld_turns) == built
    assert warnings_of(caplog) == []


def test_overlong_prompts_get_the_longest_history_that_fits_as_in_training(
    erc, meld_turns, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture  # noqa: ANN001
) -> None:
    turns = conversation_turns(meld_turns)
    config = erc.erc_config.prompt
    by_window = [[main_prompt(turns, i, dataclasses.replace(config, window=w)) for i in range(len(turns))]
                 for w in range(config.window + 1)]
    full = lengths(erc, by_window[config.window])
    limit = sorted(full)[len(full) // 2]
    over = sum(n > limit for n in full)
    monkeypatch.setattr(erc.tokenizer, "model_max_length", limit)  # a sane tokenizer length below the positions
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        fitted = erc.prompts_for(meld_turns)
    assert warnings_of(caplog) == [f"{over} prompt(s) exceeded the model's {limit} positions and got a shorter "
                                   "history, as in training"]
    window_lengths = [lengths(erc, prompts) for prompts in by_window]
    for i, prompt in enumerate(fitted):  # the longest history that fits: fit_prompts' rule, by brute force
        best = max(w for w in range(config.window + 1) if window_lengths[w][i] <= limit or w == 0)
        assert prompt == by_window[best][i]
        assert prompt.endswith(by_window[config.window][i][by_window[config.window][i].index(" ### Please select"):])
    assert max(lengths(erc, fitted)) <= limit
    assert sum(p != b for p, b in zip(fitted, by_window[config.window], strict=True)) == over > 0


def test_one_warning_per_call_for_lists_batches_and_generators(
    erc, meld_turns, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture  # noqa: ANN001
) -> None:
    full = lengths(erc, erc.prompts_for(meld_turns))
    limit = sorted(full)[len(full) // 2]
    over = sum(n > limit for n in full)
    monkeypatch.setattr(erc.model.config, "max_position_embeddings", limit)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        single = erc(meld_turns)
        assert len(single) == len(meld_turns) and len(warnings_of(caplog)) == 1
        assert warnings_of(caplog)[0].startswith(f"{over} prompt(s)")
        caplog.clear()
        both = erc([meld_turns, meld_turns[:5]], batch_size=2)
        assert [o["label"] for o in both[0]] == [o["label"] for o in single]
        assert [m.split()[0] for m in warnings_of(caplog)] == [str(over)]  # the first 5 turns fit
        caplog.clear()
        lazy = erc(c for c in [meld_turns, meld_turns])
        assert warnings_of(caplog) == []  # nothing read yet
        assert len(list(lazy)) == 2
        assert [m.split()[0] for m in warnings_of(caplog)] == [str(2 * over)]


def test_an_utterance_too_long_even_without_history_is_an_error_naming_the_turn(
    erc, meld_turns, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    turns = conversation_turns(meld_turns)
    alone = lengths(erc, [main_prompt(turns, i, dataclasses.replace(erc.erc_config.prompt, window=0))
                          for i in range(len(turns))])
    limit = max(alone) - 1  # only the longest utterance cannot fit
    worst = alone.index(max(alone))
    monkeypatch.setattr(erc.model.config, "max_position_embeddings", limit)
    with pytest.raises(PromptTooLongError, match=rf"turn {worst}: its prompt takes \d+ tokens even with no history "
                       rf"\({max(alone)} with the label 'neutral' and EOS\), more than the model's {limit} positions"
                       ) as caught:
        erc(meld_turns)
    assert isinstance(caught.value, InputError)
    assert "never cut" in str(caught.value)


def test_prompts_with_saved_demonstrations_are_fitted_too(
    retrieval_adapter: Path, meld_turns, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    from instructerc_hf.retrieval.inject import demonstrated_prompt

    erc = load_erc_pipeline(retrieval_adapter)
    config = erc.erc_config.prompt  # demonstrations before the history
    turns = conversation_turns(meld_turns)
    found = erc.retriever.retrieve([t.text for t in turns])
    by_window = [[demonstrated_prompt(main_prompt(turns, i, dataclasses.replace(config, window=w)), found[i], config)
                  for i in range(len(turns))] for w in range(config.window + 1)]
    assert erc.prompts_for(meld_turns) == by_window[config.window]
    full = lengths(erc, by_window[config.window])
    limit = sorted(full)[len(full) // 2]
    monkeypatch.setattr(erc.tokenizer, "model_max_length", limit)
    window_lengths = [lengths(erc, prompts) for prompts in by_window]
    best = [max(w for w in range(config.window + 1) if window_lengths[w][i] <= limit) for i in range(len(turns))]
    assert erc.prompts_for(meld_turns) == [by_window[w][i] for i, w in enumerate(best)]
    assert min(best) < config.window
