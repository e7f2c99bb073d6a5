"""Prompts rendered through the backbone's chat template, an option saved with the adapter (``chat_template``).

The official format, the default, feeds the InstructERC prompt to the model as raw text (paper reproduction). With
``chat_template`` each prompt becomes one user turn rendered by the tokenizer's own template, with the assistant turn
opened (``add_generation_prompt``), so an instruction-tuned backbone sees the format it was tuned on; the completion
stays `` <label>`` + EOS (for chat models EOS is the end-of-turn token, e.g. SmolLM2's ``<|im_end|>``).

Rendering is the last step before tokenization, in training (TRL's rows, the demonstration collator, the label
evaluation) and at inference (``evaluate``, ``predict``, the pipeline): prompts are built, shortened and given their
demonstrations as raw text, and the template's tokens are reserved in the length budget (:func:`template_tokens`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

#: A stand-in user message, to measure what the template adds around one.
_PROBE = "x"


def check_chat_template(tokenizer: PreTrainedTokenizerBase) -> None:
    """Raise :class:`InputError` when ``tokenizer`` has no chat template to render prompts with."""
    if not getattr(tokenizer, "chat_template", None):
        raise InputError(f"chat_template is on, but the tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has no "
                         "chat template: use a chat backbone, or the official raw format (chat_template false)")


def render(prompt: str, tokenizer: PreTrainedTokenizerBase) -> str:
    """``prompt`` as one user turn of ``tokenizer``'s chat template, the assistant turn opened."""
    check_chat_template(tokenizer)
    text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)
    return str(text)


def render_all(prompts: Sequence[str], tokenizer: PreTrainedTokenizerBase, enabled: bool) -> list[str]:
    """``prompts`` rendered by :func:`render` when ``enabled``, else as they are."""
    return [render(p, tokenizer) for p in prompts] if enabled else list(prompts)


def template_tokens(tokenizer: PreTrainedTokenizerBase, enabled: bool) -> int:
    """How many tokens the template adds around a prompt, at most (0 when not ``enabled``): reserved when fitting
    lengths. Measured around a one-character message, plus one for a token the template's text and a prompt's
    edge may form differently."""
    if not enabled:
        return 0
    rendered = tokenizer(render(_PROBE, tokenizer), add_special_tokens=False)["input_ids"]
    alone = tokenizer(_PROBE, add_special_tokens=False)["input_ids"]
    return len(rendered) - len(alone) + 1
