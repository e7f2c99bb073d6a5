"""The facts of the package, written once: the datasets it knows and the files an adapter folder holds.

Label sets and their mappings live in :mod:`instructerc_hf.labels`; everything else that describes a dataset (title,
licence, citation, reader sources) or names a file is here, so that readers, builders, cards, training and inference
agree. This module imports nothing.
"""

from __future__ import annotations

# --- datasets ---------------------------------------------------------------------------------------------------------

#: The datasets with built-in readers, in the order of the official unified data (see the speaker offsets in labels).
DATASET_NAMES: tuple[str, ...] = ("iemocap", "meld", "emorynlp")
#: The target that mixes all three datasets in the unified (Feeling Wheel) label space.
UNIFIED = "unified"
#: The generic source: your own conversations (``instructerc_hf.readers.conversations``).
CONVERSATIONS = "conversations"
BUILD_TARGETS: tuple[str, ...] = (*DATASET_NAMES, UNIFIED, CONVERSATIONS)

#: Sources each dataset can be read from; the first is the default.
SOURCES: dict[str, tuple[str, ...]] = {
    "meld": ("csv", "pickle"),
    "emorynlp": ("csv", "json", "pickle"),
    "iemocap": ("pickle", "tsv"),
}

TITLES: dict[str, str] = {
    "meld": "MELD",
    "emorynlp": "EmoryNLP",
    "iemocap": "IEMOCAP",
    UNIFIED: "MELD + IEMOCAP + EmoryNLP (unified)",
}

#: Utterances per split of the standard ERC splits, by (dataset, source): a build that reads others warns.
PUBLISHED_UTTERANCES: dict[tuple[str, str], dict[str, int]] = {
    ("meld", source): {"train": 9989, "validation": 1109, "test": 2610} for source in ("csv", "pickle")
} | {
    ("emorynlp", source): {"train": 7551, "validation": 954, "test": 984} for source in ("csv", "pickle")
} | {
    ("iemocap", source): {"train": 5163, "validation": 647, "test": 1623} for source in ("pickle", "tsv")
}

#: Hub licence identifiers of the public copies of the data.
LICENSES: dict[str, str] = {"meld": "gpl-3.0", "iemocap": "other", "emorynlp": "apache-2.0"}
#: ``license_name`` and ``license_link`` of the data whose licence is ``other`` on the Hub.
OTHER_LICENSES: dict[str, tuple[str, str]] = {
    "iemocap": ("iemocap-release-form", "https://sail.usc.edu/iemocap/"),
    UNIFIED: ("iemocap-release-form", "https://sail.usc.edu/iemocap/"),
}

LICENSE_NOTES: dict[str, str] = {
    "meld": "MELD is distributed under GPL-3.0 (github.com/declare-lab/MELD). The text is *Friends* dialogue: "
    "use it for research only.",
    "emorynlp": "EmoryNLP is licensed Apache-2.0 (github.com/emorynlp/emotion-detection); the ERC-standard CSVs "
    "sit in declare-lab/MELD (GPL-3.0). The text is *Friends* dialogue: use it for research only.",
    "iemocap": "IEMOCAP is distributed by USC SAIL only to those who sign its release form "
    "(https://sail.usc.edu/iemocap/). **Do not redistribute this folder**: build it from your own licensed copy "
    "and keep any Hub repo of it private.",
    UNIFIED: "Contains IEMOCAP, which is distributed by USC SAIL only under its release form: **do not "
    "redistribute**; keep any Hub repo private. MELD: GPL-3.0; EmoryNLP: Apache-2.0.",
}

#: Hub licence identifiers of the base models whose licence the model card can state.
BASE_MODEL_LICENSES: dict[str, str] = {
    "HuggingFaceTB/SmolLM2-135M-Instruct": "apache-2.0",
    "meta-llama/Llama-2-7b-hf": "llama2",
}

#: Datasets that may not be redistributed: data containing them is pushed only privately.
RESTRICTED: frozenset[str] = frozenset({"iemocap", UNIFIED})

CITATIONS: dict[str, str] = {
    "meld": "@inproceedings{poria2019meld,\n  title={MELD: A Multimodal Multi-Party Dataset for Emotion Recognition in "
    "Conversations},\n  author={Poria, Soujanya and Hazarika, Devamanyu and Majumder, Navonil and Naik, Gautam and "
    "Cambria, Erik and Mihalcea, Rada},\n  booktitle={ACL},\n  year={2019}\n}",
    "emorynlp": "@inproceedings{zahiri2018emotion,\n  title={Emotion Detection on TV Show Transcripts with "
    "Sequence-based Convolutional Neural Networks},\n  author={Zahiri, Sayyed M. and Choi, Jinho D.},\n  "
    "booktitle={AAAI Workshops},\n  year={2018}\n}",
    "iemocap": "@article{busso2008iemocap,\n  title={IEMOCAP: Interactive emotional dyadic motion capture "
    "database},\n  author={Busso, Carlos and others},\n  journal={Language Resources and Evaluation},\n  "
    "volume={42},\n  year={2008}\n}",
}

INSTRUCTERC_CITATION = """@article{lei2023instructerc,
  title={InstructERC: Reforming Emotion Recognition in Conversation with Multi-task Retrieval-Augmented Large Language Models},
  author={Lei, Shanglin and Dong, Guanting and Wang, Xiaoping and Wang, Keheng and Wang, Sirui},
  journal={arXiv preprint arXiv:2309.11911},
  year={2023}
}"""


def parts_of(target: str) -> tuple[str, ...]:
    """The datasets a build target reads: all three for ``unified``, else the target itself."""
    return DATASET_NAMES if target == UNIFIED else (target,)


def data_license(target: str) -> str:
    """The Hub licence of a build target's data: its parts' common licence, else ``other``."""
    licenses = {LICENSES[part] for part in parts_of(target)}
    return licenses.pop() if len(licenses) == 1 else "other"


# --- the pipeline task ------------------------------------------------------------------------------------------------

PIPELINE_TASK = "emotion-recognition-in-conversation"

# --- files of an adapter folder and of an evaluation ------------------------------------------------------------------

#: What inference needs to rebuild the training prompts (:class:`instructerc_hf.configuration.ERCModelConfig`).
CONFIG_NAME = "instructerc_config.json"
#: How the adapter was trained (:class:`instructerc_hf.training.summary.TrainingSummary`).
SUMMARY_NAME = "instructerc_training.json"
#: The demonstration pool of an adapter trained with retrieved demonstrations.
DOMAIN_BASE_NAME = "domain_base.jsonl"
#: The model or dataset card.
CARD_NAME = "README.md"
#: PEFT's files.
ADAPTER_CONFIG_NAME = "adapter_config.json"
ADAPTER_WEIGHTS_NAME = "adapter_model.safetensors"
#: The tokenizer files ``save_pretrained`` may write (a push takes those present).
TOKENIZER_FILES: tuple[str, ...] = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
    "vocab.json", "merges.txt", "tokenizer.model",
)
#: The stage-1 (speaker identification) adapter inside the output folder.
STAGE1_DIR = "stage1"
#: The files ``instructerc-hf evaluate`` writes.
METRICS_FILE = "metrics.json"
CONFUSION_FILE = "confusion_matrix.png"
PREDICTIONS_FILE = "predictions.jsonl"
