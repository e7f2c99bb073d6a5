"""InstructERC tasks as TRL prompt-completion rows.

- ``main``: emotion recognition with the history window (instruction; history; label statement).
- ``speaker``: speaker identification of the utterance alone (stage 1 of the paper's schedule).
- ``impact``: emotion impact prediction: the history without the current utterance, predict the
  emotion of the next speaker's utterance.
- ``plain``: the utterance alone, the paper's "LoRA + Backbone" baseline.

Every row keeps ``dataset``, ``dialogue_id``, ``turn``, ``speaker``, ``speaker_id``, ``text`` and
``label`` beside ``prompt``/``completion`` so that retrieval, mixing and evaluation can use them.
The completion is the target with one leading space; ``completion.strip()`` is the official target.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .errors import InputError
from .labels import DATASETS, DatasetLabels, LabelSpace, get_dataset_labels
from .prompts import DEFAULT_WINDOW, PromptConfig, impact_prompt, main_prompt, plain_prompt, speaker_prompt
from .records import Dialogue, Turn

TASKS: tuple[str, ...] = ("main", "speaker", "impact", "plain")
#: Tasks whose completion is the emotion label (evaluated by label scoring, served by the pipeline), by preference.
EMOTION_TASKS: tuple[str, ...] = ("main", "plain")


class UnknownTaskError(InputError):
    """A task name that is not one of :data:`TASKS`."""


def check_task(task: str) -> str:
    if task not in TASKS:
        raise UnknownTaskError(f"unknown task {task!r}; expected one of {list(TASKS)}")
    return task


def prompt_config_for(
    datasets: Iterable[str | DatasetLabels], label_space: LabelSpace, window: int = DEFAULT_WINDOW, **kwargs: Any
) -> PromptConfig:
    """The prompt configuration the official code uses for ``datasets`` (names, or label sets) in ``label_space``."""
    infos = [d if isinstance(d, DatasetLabels) else get_dataset_labels(d) for d in datasets]
    if not infos:
        raise ValueError("at least one dataset is needed")
    if label_space == "unified":
        labels = infos[0].label_names("unified")
        speakers = max(i.unified_speaker_offset + i.num_speaker_labels for i in infos)
    elif len(infos) == 1:
        labels, speakers = infos[0].labels, infos[0].num_speaker_labels
    else:
        raise ValueError("several datasets need the unified label space")
    return PromptConfig(labels=labels, window=window, speaker_labels=speakers, **kwargs)


def emotion_task(stages: Iterable[Iterable[str]]) -> str:
    """The emotion task of the last stage (``main`` before ``plain``): the one inference prompts for."""
    last = list(list(stages)[-1]) if stages else []
    found = [task for task in EMOTION_TASKS if task in last]
    if not found:
        raise ValueError(f"no emotion task ({list(EMOTION_TASKS)}) in the last stage {last}")
    return found[0]


def emotion_prompt(turns: Sequence[Turn], index: int, task: str, config: PromptConfig) -> str:
    """The prompt of turn ``index`` for an emotion task: ``main`` (with its history) or ``plain``."""
    if task == "main":
        return main_prompt(turns, index, config)
    if task == "plain":
        return plain_prompt(turns[index], config)
    raise ValueError(f"{task!r} is not an emotion task; expected one of {list(EMOTION_TASKS)}")


def dialogue_rows(
    dialogue: Dialogue, task: str, config: PromptConfig, label_space: LabelSpace = "original"
) -> Iterator[dict[str, Any]]:
    """Yield one prompt-completion row per turn of ``dialogue`` for ``task``.

    In the unified label space the speaker task adds the dataset's speaker offset, as the
    official unified code does, so that speakers of different datasets get different labels.
    """
    check_task(task)
    builtin = dialogue.dataset in DATASETS  # your own corpus has no offset: it is never mixed with others
    offset = get_dataset_labels(dialogue.dataset).unified_speaker_offset if label_space == "unified" and builtin else 0
    for index, turn in enumerate(dialogue.turns):
        label = turn.label if label_space == "original" else turn.unified_label
        if task == "impact":
            prompt, target = impact_prompt(dialogue.turns, index, config), label
        elif task == "speaker":
            prompt, target = speaker_prompt(turn, config), f"Speaker_{turn.speaker_id + offset}"
        else:
            prompt, target = emotion_prompt(dialogue.turns, index, task, config), label
        yield {
            "prompt": prompt,
            "completion": " " + target,
            "task": task,
            "dataset": dialogue.dataset,
            "dialogue_id": dialogue.dialogue_id,
            "turn": index,
            "speaker": turn.speaker,
            "speaker_id": turn.speaker_id,
            "text": turn.text,
            "label": label,
        }


def corpus_rows(
    dialogues: Iterable[Dialogue], task: str, config: PromptConfig, label_space: LabelSpace = "original"
) -> Iterator[dict[str, Any]]:
    """Rows of every dialogue, in order."""
    for dialogue in dialogues:
        yield from dialogue_rows(dialogue, task, config, label_space)
