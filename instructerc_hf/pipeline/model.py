"""The pipeline's model class: an adapter loaded like ``AutoModelForCausalLM``, with its ERC config and retriever."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..configuration import ERCModelConfig
from ..inference.adapter import load_adapter
from ..retrieval.errors import DomainBaseNotFoundError
from ..retrieval.retriever import DemonstrationRetriever, load_retriever

if TYPE_CHECKING:
    from peft import PeftModel


#: The model attribute holding the adapter's :class:`ERCModelConfig` after :class:`ERCAdapterModel` loaded it.
CONFIG_ATTRIBUTE = "instructerc_config"


#: The model attribute holding the adapter folder or Hub id it was loaded from (where its domain base is).
SOURCE_ATTRIBUTE = "instructerc_source"


class ERCAdapterModel:
    """The pipeline's model class: loads an adapter like ``AutoModelForCausalLM`` and keeps its ERC config.

    The base model is resolved from the adapter's ``instructerc_config.json`` (:func:`instructerc_hf.inference.adapter.
    load_adapter`: the embedded SmolLM2 weights offline), not downloaded from ``adapter_config.json``'s base; the ERC
    config is attached to the model as :data:`CONFIG_ATTRIBUTE` and the adapter's folder or repo id as
    :data:`SOURCE_ATTRIBUTE`.
    """

    @classmethod
    def from_pretrained(cls, model_id: str, *args: Any, **kwargs: Any) -> PeftModel:
        for ignored in ("_from_pipeline", "config", "_commit_hash", "trust_remote_code"):
            kwargs.pop(ignored, None)  # the base's config is its own; the adapter's revision is not the base's
        kwargs.pop("revision", None)
        model, _, config = load_adapter(model_id, dtype=kwargs.pop("dtype", None), **kwargs)
        setattr(model, CONFIG_ATTRIBUTE, config)
        setattr(model, SOURCE_ATTRIBUTE, str(model_id))
        return model


def saved_retriever(model_dir: str | Path | None, config: ERCModelConfig) -> DemonstrationRetriever | None:
    """The retriever of an adapter trained with demonstrations, from its saved domain base (quiet: no progress bars).

    ``None`` for an adapter trained without them; ``None`` with a warning when no domain base was saved with it (or
    ``model_dir`` is unknown), since inference then differs from training.
    """
    if config.retrieval is None:
        return None
    try:
        if model_dir is None:
            raise DomainBaseNotFoundError("the adapter's folder is unknown")
        return load_retriever(model_dir, config, progress=False)
    except DomainBaseNotFoundError as error:
        warnings.warn(
            f"this adapter was trained with retrieved demonstrations but its domain base cannot be found ({error}): "
            "running without demonstrations. Pass retriever=DemonstrationRetriever(RetrievalConfig("
            "**erc_config.retrieval)).fit(DomainBase.from_rows(<train rows>)) to add them.",
            stacklevel=2,
        )
        return None
