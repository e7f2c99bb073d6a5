"""What a trained adapter needs to rebuild its prompts exactly: saved as ``instructerc_config.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .hub.files import model_file
from .labels import LabelSpace
from .prompts import PromptConfig
from .registry import CONFIG_NAME
from .tasks import emotion_task


@dataclass
class ERCModelConfig:
    """Saved beside the adapter weights; read by inference, the pipeline and the model card.

    Attributes:
        base_model: the base model id or path the adapter was trained on.
        datasets: the datasets trained on (``meld``, ``iemocap``, ``emorynlp``).
        label_space: ``original`` or ``unified``.
        prompt: the prompt configuration (labels, window, demonstration wording and placement).
        retrieval: the retrieval configuration as a dict, or None when trained without demonstrations.
        tasks: the training tasks, in stage order (e.g. ``[["speaker"], ["main", "impact"]]``).
        base_weights: ``embedded`` when training used the embedded de-quantised GGUF weights of ``base_model``, which
            inference then loads too; ``None`` for the weights ``base_model`` names.
        chat_template: prompts were rendered through the tokenizer's chat template (:mod:`instructerc_hf.chat`), so
            inference renders them too; ``False``: the official raw format.
    """

    base_model: str
    datasets: list[str]
    label_space: LabelSpace
    prompt: PromptConfig
    retrieval: dict[str, Any] | None = None
    tasks: list[list[str]] = field(default_factory=lambda: [["main"]])
    base_weights: str | None = None
    chat_template: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        return self.prompt.labels

    @property
    def task(self) -> str:
        """The emotion task inference prompts for: ``main`` (history window) or ``plain`` (the utterance alone)."""
        return emotion_task(self.tasks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["prompt"] = self.prompt.to_dict()
        return data

    def save_pretrained(self, save_directory: str | Path) -> Path:
        path = Path(save_directory) / CONFIG_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ERCModelConfig:
        data = dict(data)
        data["prompt"] = PromptConfig(**data["prompt"])
        return cls(**data)

    @classmethod
    def from_pretrained(cls, model_dir: str | Path) -> ERCModelConfig:
        """Read ``instructerc_config.json`` from a local adapter folder or a Hub repo id."""
        path = model_file(model_dir, CONFIG_NAME)
        if path is None:
            raise FileNotFoundError(f"{model_dir} has no {CONFIG_NAME}: it was not trained with instructerc_hf")
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
