"""The ``emotion-recognition-in-conversation`` pipeline (:mod:`.erc_pipeline`), the conversations it takes
(:mod:`.conversations`) and its lazy registration with transformers (:mod:`.registration`).

Importing this package stays cheap: ``transformers.pipelines`` is imported only with :mod:`.erc_pipeline`.
"""

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".conversations": ["ConversationFormatError", "conversation_turns", "is_conversation"],
        ".erc_pipeline": ["ERCPipeline", "load_erc_pipeline"],
    },
)
