"""Inference with a trained InstructERC adapter: label scoring (:mod:`.scoring`), greedy generation
(:mod:`.generation`), an ensemble over demonstration draws (:mod:`.ensemble`), loading (:mod:`.adapter`) and the evaluation behind ``instructerc-hf evaluate``
(:mod:`.evaluation`)."""

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".adapter": ["load_adapter"],
        ".arguments": ["EvaluateArguments", "InferenceArguments", "PredictArguments"],
        ".defaults": ["DEFAULT_MAX_NEW_TOKENS", "DEFAULT_PACK_TOKENS", "DTYPES", "MODES"],
        ".ensemble": ["score_draws"],
        ".evaluation": ["evaluate_adapter", "load_split"],
        ".generation": ["generate_labels", "generate_texts"],
        ".modes": ["predict", "predict_draws"],
        ".prediction": ["Prediction"],
        ".scoring": ["candidate_sequences", "label_log_likelihoods", "pack_candidates", "predictions_from_scores",
                     "score_labels"],
    },
)
