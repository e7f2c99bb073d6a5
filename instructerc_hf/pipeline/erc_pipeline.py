"""The ``emotion-recognition-in-conversation`` pipeline: one ``{"label", "score"}`` per utterance of a conversation.

    import instructerc_hf  # registers the task (lazily: see below)
    from transformers import pipeline

    erc = pipeline("emotion-recognition-in-conversation", model="path/to/adapter")  # or a Hub id
    erc([{"speaker": "Joey", "text": "How you doin'?"}, {"speaker": "Rachel", "text": "Oh my God!"}])
    # [{'label': 'neutral', 'score': 0.61}, {'label': 'surprise', 'score': 0.55}]

A conversation is a list of ``{"speaker": ..., "text": ...}`` turns (extra keys such as the rows of
:mod:`instructerc_hf.tasks` are ignored), or a mapping with a ``turns`` list, or a dialogue-level row with parallel
``speakers``/``utterances`` lists. Speakers are numbered by order of first appearance, as the readers do; a turn may
give its ``speaker_id`` instead (IEMOCAP's M=0/F=1). Utterance ``i`` is classified from the prompt that the adapter was
trained with (:func:`instructerc_hf.prompts.main_prompt` and the adapter's saved :class:`PromptConfig`), which never
shows a later utterance. Default mode: label scoring; ``mode="generate"`` uses greedy generation
(see :mod:`instructerc_hf.inference`) and adds ``generated_text`` and ``exact`` (False when the parser guessed the
label by edit distance; an empty generation has ``label`` None). Label scoring picks among the labels, so its
``exact`` would always be True and is left out.

Input checks: a turn needs a non-empty ``text``; a ``speaker_id`` is a whole number >= 0, given on every turn or on
none (a :class:`~instructerc_hf.pipeline.conversations.ConversationFormatError` names the turn). Lengths: a prompt
longer than the model's positions (:func:`~instructerc_hf.pipeline.lengths.position_limit`) gets a shorter history,
exactly as in training, with one warning per call counting them; an utterance too long even without history is a
:class:`~instructerc_hf.training.fitting.PromptTooLongError` naming the turn (see :mod:`.lengths`).

Loading: ``pipeline(task, model=DIR_OR_HUB_ID)`` reads the base model's config from the Hub id in
``adapter_config.json``, then :class:`~instructerc_hf.pipeline.model.ERCAdapterModel` loads the base named in
``instructerc_config.json`` through :func:`instructerc_hf.inference.adapter.load_adapter` (the embedded SmolLM2 weights
offline) and the adapter on it. :func:`load_erc_pipeline` does the same without the config look-up.

Demonstrations: an adapter trained with retrieved demonstrations holds its domain base (``domain_base.jsonl``) beside
``instructerc_config.json``; the pipeline rebuilds the retriever from both
(:func:`instructerc_hf.retrieval.load_retriever`, also from a Hub repo that has the file) and adds to each prompt the
demonstrations of the saved ``inference_pairing``, which must be ``all_labels``: the pipeline has no label to pair on,
gold or predicted. A ``retriever=`` argument takes precedence. An adapter trained with demonstrations but saved
without its base runs without them, with a warning: pass ``retriever=`` to add them.

Registration: importing ``transformers.pipelines`` takes seconds, so ``import instructerc_hf`` only installs an import
hook that registers the task the moment ``transformers.pipelines`` is imported (``from transformers import pipeline``
does it); importing this module registers it at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import Pipeline
from transformers.pipelines import PIPELINE_REGISTRY

from ..configuration import ERCModelConfig
from ..inference.adapter import load_adapter
from ..inference.defaults import MODES
from ..inference.modes import predict
from ..inference.prediction import Prediction
from ..records import Turn
from ..registry import PIPELINE_TASK
from ..retrieval.inject import demonstrated_prompt
from ..retrieval.retriever import DemonstrationRetriever
from ..tasks import emotion_prompt
from .conversations import (
    Conversation,
    ConversationFormatError,
    ConversationInput,
    as_input,
    conversation_turns,
    is_conversation,
)
from .lengths import ShortenedCount, fit_to_positions, longest_completion, position_limit
from .model import CONFIG_ATTRIBUTE, SOURCE_ATTRIBUTE, ERCAdapterModel, saved_retriever

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

TASK = PIPELINE_TASK


class ERCPipeline(Pipeline):
    """Emotion recognition in conversation with an InstructERC adapter (see the module docstring).

    Call options (also accepted at construction): ``mode`` (``"score"`` or ``"generate"``), ``append_eos`` and
    ``pack_tokens`` (label scoring), ``max_new_tokens`` and ``generation_batch_size`` (generation).
    """

    _load_tokenizer = True  # type: ignore[assignment]
    _load_processor = False  # type: ignore[assignment]
    _load_image_processor = False  # type: ignore[assignment]
    _load_feature_extractor = False  # type: ignore[assignment]

    def __init__(
        self,
        *args: Any,
        erc_config: ERCModelConfig | None = None,
        retriever: DemonstrationRetriever | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        config = erc_config or getattr(self.model, CONFIG_ATTRIBUTE, None)
        if config is None:
            raise ValueError(
                f"no InstructERC config: load the pipeline from an adapter folder or Hub id "
                f"(pipeline({TASK!r}, model=...)) or pass erc_config=ERCModelConfig.from_pretrained(...)"
            )
        if self.tokenizer is None:
            raise ValueError("the pipeline needs the adapter's tokenizer")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.erc_config: ERCModelConfig = config
        if retriever is None:
            retriever = saved_retriever(getattr(self.model, SOURCE_ATTRIBUTE, None), config)
        if retriever is not None and retriever.config.inference_pairing != "all_labels":
            raise ValueError(
                "the retriever's inference_pairing is 'same_label', which needs a label per utterance; the pipeline "
                "has none. Pass retriever=load_retriever(model_dir, inference_pairing='all_labels'), or add the "
                "demonstrations yourself with add_demonstrations(..., mode='inference', labels=...)"
            )
        self.retriever = retriever
        self._completion = longest_completion(self.tokenizer, config.labels)

    def _sanitize_parameters(  # type: ignore[override]
        self,
        mode: str | None = None,
        append_eos: bool | None = None,
        pack_tokens: int | None = None,
        max_new_tokens: int | None = None,
        generation_batch_size: int | None = None,
        top_k: int | None = None,
        shortened_count: ShortenedCount | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        forward: dict[str, Any] = {}
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
            forward["mode"] = mode
        options = {"append_eos": append_eos, "pack_tokens": pack_tokens, "max_new_tokens": max_new_tokens,
                   "batch_size": generation_batch_size}
        forward.update({k: v for k, v in options.items() if v is not None})
        postprocess: dict[str, Any] = {} if shortened_count is None else {"shortened_count": shortened_count}
        if top_k is not None:
            if top_k < 1:
                raise ValueError(f"top_k must be >= 1, got {top_k}")
            if mode == "generate":
                raise ValueError("top_k needs label scoring (mode='score'): generation yields one label")
            postprocess["top_k"] = top_k
        return {}, forward, postprocess

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Classify every utterance of one conversation, or of each conversation of a list, a generator or a dataset
        (``KeyDataset`` included); ``batch_size`` conversations share each scoring call.

        Prompts shortened to fit the model are warned about once: when the call returns, or for a generator or a
        dataset (whose outputs come lazily) when its last output has been read.
        """
        count = ShortenedCount(limit=position_limit(self.model, self.tokenizer))
        outputs = self._run(inputs, shortened_count=count, **kwargs)
        if isinstance(outputs, list):
            count.warn()
            return outputs
        return _warn_when_read(outputs, count)

    def _run(self, inputs: Any, **kwargs: Any) -> Any:
        if is_conversation(inputs):
            return super().__call__(as_input(inputs), **kwargs)  # type: ignore[arg-type]
        if isinstance(inputs, list | tuple):
            return super().__call__([as_input(c) for c in inputs], **kwargs)
        if isinstance(inputs, Iterable) and not isinstance(inputs, str | bytes):
            return super().__call__((as_input(c) for c in inputs), **kwargs)  # type: ignore[arg-type]
        if hasattr(inputs, "__getitem__") and hasattr(inputs, "__len__"):  # a torch Dataset such as KeyDataset
            return super().__call__((as_input(inputs[i]) for i in range(len(inputs))), **kwargs)  # type: ignore[arg-type]
        raise ConversationFormatError(
            f"expected a conversation, or a list, generator or dataset of them, got {type(inputs).__name__}"
        )

    def prompts_for(self, conversation: Conversation) -> list[str]:
        """The prompt of every utterance of ``conversation``, as the adapter was trained (plus demonstrations), fitted
        to the model's positions (one warning if any got a shorter history)."""
        count = ShortenedCount(limit=position_limit(self.model, self.tokenizer))
        prompts, count.prompts = self._prompts(conversation_turns(conversation), count.limit)
        count.warn()
        return prompts

    def _prompts(self, turns: list[Turn], limit: int | None) -> tuple[list[str], int]:
        """The prompts of ``turns`` fitted to ``limit`` tokens (none: as built), and how many got a shorter history."""
        config = self.erc_config
        prompts = [emotion_prompt(turns, index, config.task, config.prompt) for index in range(len(turns))]
        if self.retriever is not None:
            found = self.retriever.retrieve([turn.text for turn in turns])  # all-labels pairing: no label is read
            prompts = [demonstrated_prompt(p, demos, config.prompt) for p, demos in zip(prompts, found, strict=True)]
        if limit is None:
            return prompts, 0
        tokenizer: PreTrainedTokenizerBase = self.tokenizer  # type: ignore[assignment]
        fitted, report = fit_to_positions(prompts, turns, config.task, config.prompt.window, tokenizer, limit,
                                          self._completion)
        return fitted, report.num_shortened

    def preprocess(self, dialogue: ConversationInput) -> dict[str, Any]:  # type: ignore[override]
        prompts, shortened = self._prompts(list(dialogue.turns), position_limit(self.model, self.tokenizer))
        return {"prompts": prompts, "shortened": shortened}

    def _forward(  # type: ignore[override]
        self, model_inputs: dict[str, Any], mode: str = "score", **options: Any
    ) -> dict[str, Any]:
        if mode == "score":
            options.pop("max_new_tokens", None), options.pop("batch_size", None)
        else:
            options.pop("append_eos", None), options.pop("pack_tokens", None)
        prompts = model_inputs["prompts"]
        batched = isinstance(prompts[0], list)  # batch_size > 1: one prompt list per conversation
        conversations: list[list[str]] = prompts if batched else [prompts]
        flat = [prompt for conversation in conversations for prompt in conversation]
        predictions = predict(
            self.model, self.tokenizer, flat, self.erc_config.labels, mode,  # type: ignore[arg-type]
            progress=False, **options,
        )
        split, start = [], 0
        for conversation in conversations:
            split.append(predictions[start:start + len(conversation)])
            start += len(conversation)
        # "predictions" first: the pipeline reads the batch size from the first key
        return {"predictions": split if batched else split[0], "shortened": model_inputs["shortened"]}

    def postprocess(  # type: ignore[override]
        self, model_outputs: dict[str, Any], top_k: int | None = None, shortened_count: ShortenedCount | None = None
    ) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
        if shortened_count is not None:
            shortened_count.prompts += model_outputs["shortened"]
        predictions: list[Prediction] = model_outputs["predictions"]
        if top_k is None:
            return [_as_dict(p) for p in predictions]
        return [[{"label": label, "score": score} for label, score in p.top(top_k)] for p in predictions]


def _as_dict(prediction: Prediction) -> dict[str, Any]:
    """``label`` and ``score``; generation adds ``generated_text`` and ``exact`` (label scoring's is always True)."""
    out: dict[str, Any] = {"label": prediction.label, "score": prediction.score}
    if prediction.generated_text is not None:
        out.update(generated_text=prediction.generated_text, exact=prediction.exact)
    return out


def _warn_when_read(outputs: Iterable[Any], count: ShortenedCount) -> Iterator[Any]:
    """The lazy outputs of a generator or dataset, with ``count``'s warning once the last has been read."""
    yield from outputs
    count.warn()


def register() -> None:
    """Register :data:`TASK` with transformers' pipeline registry (idempotent)."""
    if TASK not in PIPELINE_REGISTRY.supported_tasks:
        PIPELINE_REGISTRY.register_pipeline(TASK, pipeline_class=ERCPipeline, pt_model=ERCAdapterModel, type="text")


def load_erc_pipeline(
    model_dir: str | Path,
    *,
    base_model: str | None = None,
    retriever: DemonstrationRetriever | None = None,
    dtype: torch.dtype | str | None = None,
    **kwargs: Any,
) -> ERCPipeline:
    """The pipeline of an adapter, its base model resolved by :func:`instructerc_hf.inference.load_adapter`
    (``dtype``: of the weights, float32 by default)."""
    model, tokenizer, config = load_adapter(model_dir, base_model=base_model, dtype=dtype)
    setattr(model, SOURCE_ATTRIBUTE, str(model_dir))
    return ERCPipeline(model=model, tokenizer=tokenizer, task=TASK, erc_config=config, retriever=retriever, **kwargs)


register()
