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

from ..chat import render_all, template_tokens
from ..configuration import ERCModelConfig
from ..inference.adapter import load_adapter
from ..inference.defaults import MODES
from ..inference.modes import predict_draws
from ..inference.prediction import Prediction
from ..records import Turn
from ..registry import PIPELINE_TASK
from ..retrieval.config import check_draws
from ..retrieval.inject import demonstrated_prompt, inference_demonstrations
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
    ``pack_tokens`` (label scoring), ``max_new_tokens`` and ``generation_batch_size`` (generation),
    ``demonstration_draws`` (an ensemble over the saved strategy's draws, label scoring; default the adapter's
    ``inference_draws``).
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
        self._check_draws(self._preprocess_params.get("draws", 1))
        self._completion = longest_completion(self.tokenizer, config.labels)
        self._template_tokens = template_tokens(self.tokenizer, config.chat_template)  # once, not per prompt list

    def _sanitize_parameters(  # type: ignore[override]
        self,
        mode: str | None = None,
        append_eos: bool | None = None,
        pack_tokens: int | None = None,
        max_new_tokens: int | None = None,
        generation_batch_size: int | None = None,
        top_k: int | None = None,
        shortened_count: ShortenedCount | None = None,
        demonstration_draws: int | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        forward: dict[str, Any] = {}
        preprocess: dict[str, Any] = {}
        if demonstration_draws is not None:
            if demonstration_draws > 1 and mode == "generate":
                raise ValueError("demonstration_draws averages label log-likelihoods: it needs mode='score'")
            if hasattr(self, "retriever"):  # else (construction) checked once the retriever is known
                self._check_draws(demonstration_draws)
            preprocess["draws"] = forward["draws"] = demonstration_draws
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
        return preprocess, forward, postprocess

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

    def _check_draws(self, draws: int) -> None:
        """An ensemble of ``draws`` needs demonstrations drawn by ``sample_topk`` or ``per_label``."""
        if self.retriever is not None:
            check_draws(self.retriever.config.strategy, draws)
        elif draws > 1:
            raise ValueError(f"demonstration_draws={draws} needs an adapter trained with demonstrations (or retriever=)")

    @property
    def default_draws(self) -> int:
        """The demonstration draws each utterance is scored with: the adapter's saved ``inference_draws`` (or 1)."""
        return 1 if self.retriever is None else self.retriever.config.inference_draws

    def prompts_for(self, conversation: Conversation, draw: int = 0) -> list[str]:
        """The prompt of every utterance of ``conversation``, as the adapter was trained (plus draw ``draw``'s
        demonstrations), fitted to the model's positions (one warning if any got a shorter history)."""
        count = ShortenedCount(limit=position_limit(self.model, self.tokenizer))
        members, count.prompts = self._prompts(conversation_turns(conversation), count.limit, draw + 1)
        count.warn()
        return members[draw]

    def _prompts(self, turns: list[Turn], limit: int | None, draws: int) -> tuple[list[list[str]], int]:
        """Per draw, the prompts of ``turns`` fitted to ``limit`` tokens (none: as built), and how many got a shorter
        history (in the draw with the most)."""
        config = self.erc_config
        prompts = [emotion_prompt(turns, index, config.task, config.prompt) for index in range(len(turns))]
        members = [prompts]
        if self.retriever is not None:  # all-labels pairing: no label is read
            members = [[demonstrated_prompt(p, demos, config.prompt) for p, demos in zip(prompts, shown, strict=True)]
                       for shown in inference_demonstrations(self.retriever, [turn.text for turn in turns], draws)]
        tokenizer: PreTrainedTokenizerBase = self.tokenizer  # type: ignore[assignment]
        fitted, shortened = members, 0
        if limit is not None:
            fitted = []
            for member in members:
                done, report = fit_to_positions(member, turns, config.task, config.prompt.window, tokenizer,
                                                limit - self._template_tokens,
                                                self._completion)
                fitted.append(done)
                shortened = max(shortened, report.num_shortened)
        return [render_all(member, tokenizer, config.chat_template) for member in fitted], shortened

    def preprocess(self, dialogue: ConversationInput, draws: int | None = None) -> dict[str, Any]:  # type: ignore[override]
        members, shortened = self._prompts(list(dialogue.turns), position_limit(self.model, self.tokenizer),
                                           draws or self.default_draws)
        return {"prompts": [p for member in members for p in member], "shortened": shortened}  # draw-major

    def _forward(  # type: ignore[override]
        self, model_inputs: dict[str, Any], mode: str = "score", draws: int | None = None, **options: Any
    ) -> dict[str, Any]:
        if mode == "score":
            options.pop("max_new_tokens", None), options.pop("batch_size", None)
        else:
            options.pop("append_eos", None), options.pop("pack_tokens", None)
        prompts = model_inputs["prompts"]
        batched = isinstance(prompts[0], list)  # batch_size > 1: one prompt list per conversation
        conversations: list[list[str]] = prompts if batched else [prompts]
        n = draws or self.default_draws
        sizes = [len(conversation) // n for conversation in conversations]  # utterances per conversation
        members = [[p for conversation, size in zip(conversations, sizes, strict=True)
                    for p in conversation[d * size:(d + 1) * size]] for d in range(n)]
        predictions = predict_draws(
            self.model, self.tokenizer, members, self.erc_config.labels, mode,  # type: ignore[arg-type]
            progress=False, **options,
        )
        split, start = [], 0
        for size in sizes:
            split.append(predictions[start:start + size])
            start += size
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
