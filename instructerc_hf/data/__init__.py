"""Instruction data: the shared :class:`DataOptions`, the ``datasets`` builder and the Hub-ready export."""

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".builder": ["InstructERCBuilder", "InstructERCConfig", "config_name", "label_strings"],
        ".arguments": ["BuildArguments"],
        ".export": ["build_and_push", "export_dataset", "repo_config_name"],
        ".options": ["DataOptions"],
    },
)
