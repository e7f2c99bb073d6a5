"""Inference with a trained InstructERC adapter: label scoring (:mod:`.scoring`), greedy generation
(:mod:`.generation`), loading (:mod:`.adapter`) and the evaluation behind ``instructerc-hf evaluate``
(:mod:`.evaluation`)."""

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".adapter": ["load_adapter"],
        ".arguments": ["EvaluateArguments", "InferenceArguments", "PredictArguments"],
        ".defaults": ["DEFAULT_MAX_NEW_TOKENS", "DEFAULT_PACK_TOKENS", "DTYPES", "MODES"],
        ".evaluation": ["evaluate_adapter", "load_split"],
        ".generation": ["generate_labels", "generate_texts"],
        ".modes": ["predict"],
        ".prediction": ["Prediction"],
        ".scoring": ["candidate_sequences", "label_log_likelihoods", "pack_candidates", "score_labels"],
    },
)
