"""The errors retrieval raises."""

from __future__ import annotations

from ..errors import InputError


class RetrievalError(InputError):
    """Base class of the retrieval input errors."""


class EmptyDomainBaseError(RetrievalError):
    """No usable train utterance to build a domain base from."""


class LabelNotInBaseError(RetrievalError):
    """Same-label pairing asked for a label that no utterance of the domain base has."""


class NoDemonstrationError(RetrievalError):
    """Every candidate of a query was excluded (its own dialogue, its own text or another label)."""


class DomainBaseFormatError(RetrievalError):
    """A saved domain base file that is not one valid entry per line."""


class DomainBaseNotFoundError(FileNotFoundError):
    """An adapter trained with demonstrations whose folder or Hub repo has no saved domain base."""


class EncoderLoadError(RuntimeError):
    """The sentence-transformers encoder cannot be found or loaded."""
