"""The InstructERC prompt templates, byte-compatible with the official code.

A main-task prompt has three parts, in this order (the paper's Figure 2):

- the instruction: ``Now you are expert of sentiment and emotional analysis. ... ### ``
- the history window: ``\\t Speaker_<i>:"<text>"`` for the previous ``window`` turns and the current one
- the label statement: `` ### Please select the emotional label of < Speaker_<i>:"<text>"> from <labels>:``
  (note its leading space)

A retrieved demonstration (see :mod:`instructerc_hf.retrieval` and ``docs/retrieval.md``) is placed
after the label statement by default, the paper's order; ``PromptConfig.demonstration_position`` moves it
before the history or into the instruction (the slot the official code reserved for its fixed
``demonstration_short`` string). Prompts without a demonstration never change. The ``speaker``,
``impact`` and ``plain`` tasks have their own templates below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .records import Turn

ROLE_SENTENCE = "Now you are expert of sentiment and emotional analysis. "
INSTRUCTION = ROLE_SENTENCE + "The following conversation noted between '### ###' involves several speakers. ### "
LABEL_STATEMENT = ' ### Please select the emotional label of < Speaker_{speaker}:"{text}"> from <{labels}>:'
IMPACT_STATEMENT = (
    "###Based on the above historical utterances, next utterance is spoken by <{speaker}>, "
    "please predict the emotion states of <{speaker}> from <{labels}>:"
)
SPEAKER_PROMPT = (
    "Now you are expert of sentiment and emotional analysis. "
    "Please select the Speaker label of the utterance <Speaker: {text}> from <{labels}>:"
)
PLAIN_PROMPT = "Please select the emotional label of <{text}> from <{labels}>:"
HISTORY_TURN = '\t Speaker_{speaker}:"{text}"'

DEFAULT_WINDOW = 12

#: Where a demonstration goes: after the label statement (paper), right before the history, or inside the
#: instruction after its first sentence (where the official code concatenated ``demonstration_short``).
DEMONSTRATION_POSITIONS: tuple[str, ...] = ("after_statement", "before_history", "in_instruction")


@dataclass
class PromptConfig:
    """Everything needed to rebuild a prompt exactly; saved beside a trained adapter.

    Attributes:
        window: number of previous utterances shown with the current one (official: 12).
        labels: the label strings listed in the prompt, in order.
        speaker_labels: number of ``Speaker_<i>`` labels of the speaker-identification task.
        demonstration_template: how one retrieved demonstration is worded; ``{text}`` (the utterance,
            without its speaker) and ``{label}`` are filled in. Several demonstrations are concatenated.
        demonstration_position: one of :data:`DEMONSTRATION_POSITIONS`: ``"after_statement"`` (paper
            order: instruction; history; label statement; demonstration), ``"before_history"`` or
            ``"in_instruction"`` (the official code's slot, between the instruction's two sentences).
    """

    labels: tuple[str, ...]
    window: int = DEFAULT_WINDOW
    speaker_labels: int = 9
    demonstration_template: str = ' Here is a similar utterance and its emotional label: <"{text}"> : {label}.'
    demonstration_position: str = "after_statement"

    def __post_init__(self) -> None:
        self.labels = tuple(self.labels)
        if self.window < 0:
            raise ValueError(f"window must be >= 0, got {self.window}")
        if self.demonstration_position not in DEMONSTRATION_POSITIONS:
            raise ValueError(
                f"demonstration_position must be one of {list(DEMONSTRATION_POSITIONS)}, "
                f"got {self.demonstration_position!r}"
            )
        try:
            self.demonstration_template.format(text="", label="")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"demonstration_template may only use the fields {{text}} and {{label}}, got "
                f"{self.demonstration_template!r} ({type(error).__name__}: {error})"
            ) from None

    @property
    def label_text(self) -> str:
        return ", ".join(self.labels)

    @property
    def speaker_label_text(self) -> str:
        return ", ".join(f"Speaker_{i}" for i in range(self.speaker_labels))

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data


def history(turns: Sequence[Turn]) -> str:
    """The history block: one ``\\t Speaker_<i>:"<text>"`` per turn."""
    return "".join(HISTORY_TURN.format(speaker=t.speaker_id, text=t.text) for t in turns)


def history_window(turns: Sequence[Turn], index: int, window: int, include_current: bool = True) -> Sequence[Turn]:
    """The ``window`` turns before ``turns[index]``, and that turn itself when ``include_current``."""
    return turns[max(0, index - window) : index + 1 if include_current else index]


def label_statement(turn: Turn, config: PromptConfig) -> str:
    return LABEL_STATEMENT.format(speaker=turn.speaker_id, text=turn.text, labels=config.label_text)


def demonstration_text(text: str, label: str, config: PromptConfig) -> str:
    """One retrieved demonstration, worded by ``config.demonstration_template``."""
    return config.demonstration_template.format(text=text, label=label)


def with_demonstration(prompt: str, demonstration: str, config: PromptConfig) -> str:
    """Insert worded demonstration(s) into a built prompt at ``config.demonstration_position``.

    ``after_statement`` appends; the other positions insert the stripped text plus one space after
    :data:`INSTRUCTION` (``before_history``) or :data:`ROLE_SENTENCE` (``in_instruction``). A prompt that
    does not start with the instruction (not a main-task prompt) gets the demonstration appended.
    """
    position = config.demonstration_position
    if position == "after_statement" or not prompt.startswith(INSTRUCTION):
        return prompt + demonstration
    cut = len(INSTRUCTION) if position == "before_history" else len(ROLE_SENTENCE)
    return prompt[:cut] + demonstration.strip() + " " + prompt[cut:]


def without_demonstration(prompt: str, demonstration: str, config: PromptConfig) -> str:
    """The prompt that :func:`with_demonstration` turned into ``prompt`` with ``demonstration`` (its exact inverse).

    Raises:
        ValueError: ``prompt`` does not hold ``demonstration`` where ``config`` places it.
    """
    cut = len(INSTRUCTION) if config.demonstration_position == "before_history" else len(ROLE_SENTENCE)
    inserted = demonstration.strip() + " "
    candidates = [prompt[: len(prompt) - len(demonstration)]] if prompt.endswith(demonstration) else []
    if prompt[cut:].startswith(inserted):
        candidates.append(prompt[:cut] + prompt[cut + len(inserted) :])
    for candidate in candidates:
        if with_demonstration(candidate, demonstration, config) == prompt:
            return candidate
    raise ValueError(f"the prompt does not hold the demonstration {demonstration!r} at {config.demonstration_position}")


def main_prompt(turns: Sequence[Turn], index: int, config: PromptConfig) -> str:
    """The emotion-recognition prompt for ``turns[index]``; never shows a later turn."""
    block = history(history_window(turns, index, config.window))
    return INSTRUCTION + block + label_statement(turns[index], config)


def impact_prompt(turns: Sequence[Turn], index: int, config: PromptConfig) -> str:
    """Emotion impact prediction: the history *without* turn ``index``, asking for its speaker's emotion.

    As in the official code, the first turn (no history) gets the main-task prompt instead.
    """
    if index == 0:
        return main_prompt(turns, 0, config)
    block = history(history_window(turns, index, config.window, include_current=False))
    speaker = turns[index].speaker_id
    return INSTRUCTION + block + IMPACT_STATEMENT.format(speaker=speaker, labels=config.label_text)


def speaker_prompt(turn: Turn, config: PromptConfig) -> str:
    """Speaker identification: which ``Speaker_<i>`` said this utterance."""
    return SPEAKER_PROMPT.format(text=turn.text, labels=config.speaker_label_text)


def plain_prompt(turn: Turn, config: PromptConfig) -> str:
    """The paper's "LoRA + Backbone" baseline: the utterance alone."""
    return PLAIN_PROMPT.format(text=turn.text, labels=config.label_text)
