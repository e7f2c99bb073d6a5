"""ERC weighted F1: the InstructERC evaluation (label parsing + sklearn weighted F1) as an `evaluate` metric."""

from __future__ import annotations

from typing import Any

import datasets
import evaluate

from instructerc_hf.metrics import compute_erc_metrics

_DESCRIPTION = """\
Emotion recognition in conversation (ERC) metric of InstructERC. Generated texts are mapped to labels as the
official InstructERC code does (leftmost label occurrence, longest at the same position, case-insensitive second
pass, else the label with the smallest edit distance), then scored with scikit-learn. The headline number is
`weighted_f1`, sklearn `f1_score(average="weighted")` x100, as reported on MELD, IEMOCAP and EmoryNLP.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): generated texts (or labels when `parse=False`).
    references (`list` of `str`): gold labels.
    labels (`list` of `str`): the full label set, in the order of the per-class results and of the confusion
        matrix. Required: it is never inferred from the references, where a misspelt reference would become a
        class; a reference outside it is an error naming its index.
    parse (`bool`, defaults to `True`): map predictions to labels before scoring; an empty (or whitespace-only)
        prediction gets no label and counts as wrong.
    demonstration_labels (`list` of `str`, *optional*): label of each example's retrieved demonstration.
Returns:
    weighted_f1, accuracy, macro_f1 (x100), per_class (label -> precision, recall, f1 x100, support),
    confusion_matrix (rows gold, columns predicted, in `labels` order; predictions without a label are in no
    column), labels, num_examples, unparseable_rate and num_unparseable (share and number of predictions the
    parser had to guess or found empty), num_empty (empty predictions) and, with `demonstration_labels`,
    demonstration_copy_rate and demonstration_label_accuracy (fractions).
Examples:
    >>> metric = evaluate.load("metrics/erc_weighted_f1")
    >>> result = metric.compute(predictions=["joyful", "The emotion is: sad."], references=["joyful", "angry"],
    ...                         labels=["neutral", "sad", "joyful", "angry"])
    >>> result["weighted_f1"], result["accuracy"]
    (50.0, 50.0)
"""

_CITATION = """\
@article{lei2023instructerc,
  author  = {Shanglin Lei and Guanting Dong and Xiaoping Wang and Keheng Wang and Sirui Wang},
  title   = {InstructERC: Reforming Emotion Recognition in Conversation with a Retrieval Multi-task LLMs Framework},
  journal = {CoRR},
  volume  = {abs/2309.11911},
  year    = {2023},
  url     = {https://arxiv.org/abs/2309.11911}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ErcWeightedF1(evaluate.Metric):
    """Weighted F1 (and diagnostics) of generated emotion labels."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://arxiv.org/abs/2309.11911"],
        )

    def _compute(
        self,
        predictions: list[str],
        references: list[str],
        labels: list[str] | None = None,
        parse: bool = True,
        demonstration_labels: list[str] | None = None,
    ) -> dict[str, Any]:
        return compute_erc_metrics(  # labels=None is an error there, naming what to pass
            predictions,
            references,
            labels,
            parse=parse,
            demonstration_labels=demonstration_labels,
        )
