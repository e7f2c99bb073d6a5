"""The pipeline's model class: an adapter loaded like ``AutoModelForCausalLM``, with its ERC config and retriever."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import AutoModelForCausalLM

from ..configuration import ERCModelConfig
from ..retrieval.errors import DomainBaseNotFoundError
from ..retrieval.retriever import DemonstrationRetriever, load_retriever

if TYPE_CHECKING:
    from transformers import PreTrainedModel


#: The model attribute holding the adapter's :class:`ERCModelConfig` after :class:`ERCAdapterModel` loaded it.
CONFIG_ATTRIBUTE = "instructerc_config"


#: The model attribute holding the adapter folder or Hub id it was loaded from (where its domain base is).
SOURCE_ATTRIBUTE = "instructerc_source"


class ERCAdapterModel:
    """The pipeline's model class: loads an adapter like ``AutoModelForCausalLM`` and keeps its ERC config.

    transformers loads a PEFT adapter folder onto its base model but forgets the folder, so the adapter's
    ``instructerc_config.json`` is read here and attached to the model as :data:`CONFIG_ATTRIBUTE`, and the folder
    as :data:`SOURCE_ATTRIBUTE`.
    """

    @classmethod
    def from_pretrained(cls, model_id: str, *args: Any, **kwargs: Any) -> PreTrainedModel:
        kwargs.pop("_from_pipeline", None)
        config = ERCModelConfig.from_pretrained(model_id)
        model = AutoModelForCausalLM.from_pretrained(model_id, *args, **kwargs)
        setattr(model, CONFIG_ATTRIBUTE, config)
        setattr(model, SOURCE_ATTRIBUTE, str(model_id))
        return model.eval()


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
