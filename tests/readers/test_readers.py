"""Readers on the real MELD, EmoryNLP and IEMOCAP files: counts, repairs, speaker numbering, bad input."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

import pytest
from conftest import EMORYNLP_RAW, IEMOCAP_RAW, IEMOCAP_TSV, MELD_CSV, MELD_LEGACY_CSV, MELD_RAW, require

from instructerc_hf.readers import DataFormatError, load_pickle, read_corpus
from instructerc_hf.readers.text_repair import repair_text

PUBLISHED = {
    "meld": {"train": 9989, "validation": 1109, "test": 2610},
    "emorynlp": {"train": 7551, "validation": 954, "test": 984},
    "iemocap": {"train": 5163, "validation": 647, "test": 1623},
}
SOURCES = [
    ("meld", "csv", MELD_CSV),
    ("meld", "csv", MELD_LEGACY_CSV),
    ("meld", "pickle", MELD_RAW),
    ("emorynlp", "csv", EMORYNLP_RAW),
    ("emorynlp", "pickle", EMORYNLP_RAW),
    ("iemocap", "pickle", IEMOCAP_RAW),
    ("iemocap", "tsv", IEMOCAP_TSV),
]


@pytest.mark.parametrize(("dataset", "source", "raw"), SOURCES)
def test_counts_equal_published(dataset: str, source: str, raw: Path) -> None:
    corpus = read_corpus(dataset, require(raw), source)
    assert {split: corpus.num_utterances(split) for split in corpus.splits} == PUBLISHED[dataset]
    assert corpus.report.skipped == Counter()


def test_meld_class_counts_and_gapped_ids() -> None:
    corpus = read_corpus("meld", require(MELD_CSV))
    train = corpus.splits["train"]
    counts = Counter(t.label for d in train for t in d.turns)
    assert counts == {"neutral": 4710, "joyful": 1743, "surprise": 1205, "angry": 1109, "sad": 683,
                      "disgust": 271, "fear": 268}
    dia1 = next(d for d in train if d.dialogue_id == "1")
    assert [t.utterance_id for t in dia1.turns] == ["0", "1", "2", "3", "4", "5", "8"]  # 6 and 7 missing
    assert len(train) == 1038


def test_legacy_meld_repaired_to_current_text() -> None:
    current = read_corpus("meld", require(MELD_CSV))
    legacy = read_corpus("meld", require(MELD_LEGACY_CSV))
    assert legacy.report.repaired["C1 control characters"] == 2691 + 308 + 742 + 3  # 3 speaker names
    assert legacy.report.repaired["no-break space"] == 5
    assert current.report.repaired == Counter()
    for split in current.splits:
        for new, old in zip(current.splits[split], legacy.splits[split], strict=True):
            assert [(t.text, t.speaker, t.label) for t in new.turns] == [(t.text, t.speaker, t.label) for t in old.turns]


def test_pickle_equals_csv_after_repair_and_keeps_raw_characters_when_asked() -> None:
    csv = read_corpus("meld", require(MELD_CSV), "csv", splits=("test",))
    repaired = read_corpus("meld", require(MELD_RAW), "pickle", splits=("test",))
    raw = read_corpus("meld", require(MELD_RAW), "pickle", splits=("test",), repair_text=False)
    csv_turns = [t for d in csv.splits["test"] for t in d.turns]
    pkl_turns = [t for d in repaired.splits["test"] for t in d.turns]
    assert [(t.text, t.label, t.speaker_id) for t in csv_turns] == [(t.text, t.label, t.speaker_id) for t in pkl_turns]
    assert any("\x92" in t.text for d in raw.splits["test"] for t in d.turns)
    assert raw.report.repaired == Counter()


def test_emorynlp_multi_speaker_rows_numbered_like_the_pickle() -> None:
    csv = read_corpus("emorynlp", require(EMORYNLP_RAW), "csv")
    pkl = read_corpus("emorynlp", require(EMORYNLP_RAW), "pickle")
    multi = [t for d in csv.splits["train"] for t in d.turns if "," in t.speaker]
    assert len(multi) == 50
    by_id = {d.dialogue_id: d for d in pkl.splits["train"]}
    for dialogue in csv.splits["train"]:
        assert [t.speaker_id for t in dialogue.turns] == [t.speaker_id for t in by_id[dialogue.dialogue_id].turns]
        assert [t.label for t in dialogue.turns] == [t.label for t in by_id[dialogue.dialogue_id].turns]


def test_emorynlp_official_json_dev_test_and_missing_train() -> None:
    corpus = read_corpus("emorynlp", require(EMORYNLP_RAW), "json", splits=("validation", "test"))
    assert (len(corpus.splits["validation"]), corpus.num_utterances("validation")) == (99, 1344)
    assert (len(corpus.splits["test"]), corpus.num_utterances("test")) == (85, 1328)
    assert corpus.splits["validation"][0].dialogue_id == "1_15_1"
    with pytest.raises(FileNotFoundError, match="emotion-detection-trn.json"):
        read_corpus("emorynlp", EMORYNLP_RAW, "json", splits=("train",))


def test_emorynlp_json_train_supplied_by_user(tmp_path: Path) -> None:
    dev = require(EMORYNLP_RAW) / "emorynlp__emotion-detection/json/emotion-detection-dev.json"
    (tmp_path / "emotion-detection-trn.json").write_bytes(dev.read_bytes())
    corpus = read_corpus("emorynlp", tmp_path, "json", splits=("train",))
    assert corpus.num_utterances("train") == 1344


def test_iemocap_speakers_are_gender_numbered_and_tsv_equals_pickle() -> None:
    pkl = read_corpus("iemocap", require(IEMOCAP_RAW), "pickle")
    tsv = read_corpus("iemocap", require(IEMOCAP_TSV), "tsv")
    first = pkl.splits["train"][0]
    assert all(t.speaker_id == (0 if t.speaker == "M" else 1) for t in first.turns)
    pkl_texts = sorted(tuple(t.text for t in d.turns) for d in pkl.splits["test"])
    tsv_texts = sorted(tuple(t.text for t in d.turns) for d in tsv.splits["test"])
    assert pkl_texts == tsv_texts
    assert Counter(t.label for d in pkl.splits["test"] for t in d.turns)["frustrated"] == 381


def test_repair_text_cases() -> None:
    counts: Counter[str] = Counter()
    assert repair_text("company\x92s", counts) == "company’s"
    assert repair_text("companyÂ’s", counts) == "company’s"
    assert repair_text("companyâ€™s", counts) == "company’s"
    assert repair_text("So\x85 so", counts) == "So… so"
    assert repair_text("café – ok", counts) == "café – ok"
    assert counts == {"C1 control characters": 3, "utf-8 mojibake": 2}


# ---- bad input: every error names the file and the row ----------------------------------------------------------

HEADER = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n"


def _meld_dir(tmp_path: Path, train: str) -> Path:
    for name in ("train", "dev", "test"):
        (tmp_path / f"{name}_sent_emo.csv").write_text(HEADER + "1,Hi.,Ross,joy,positive,0,0,1,1,a,b\n")
    (tmp_path / "train_sent_emo.csv").write_text(train)
    return tmp_path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HEADER + "1,Hi.,Ross,happiness,positive,0,0,1,1,a,b\n", r"row 2: unknown meld label 'happiness'"),
        (HEADER + "1,Hi.,Ross,joy,positive,0,0,1\n", r"row 2: expected 11 fields, found 8"),
        (HEADER + '1,"Hi.,Ross,joy,positive,0,0,1,1,a,b\n', r"truncated"),
        (HEADER + "1,,Ross,joy,positive,0,0,1,1,a,b\n", r"row 2: empty utterance text"),
        (HEADER + "1,Hi.,Ross,joy,positive,zero,0,1,1,a,b\n", r"row 2: Dialogue_ID 'zero' is not an integer"),
        ("Utterance,Speaker\nHi.,Ross\n", r"row 1: missing column"),
        (HEADER, r"no dialogues found"),
        ("", r"empty file"),
    ],
)
def test_meld_bad_input_names_file_and_row(tmp_path: Path, body: str, message: str) -> None:
    raw = _meld_dir(tmp_path, body)
    with pytest.raises(DataFormatError, match=message) as info:
        read_corpus("meld", raw)
    assert "train_sent_emo.csv" in str(info.value)


def test_missing_and_ambiguous_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no train_sent_emo.csv"):
        read_corpus("meld", tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_corpus("meld", tmp_path / "nope")
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        (tmp_path / copy / "meld.pkl").write_bytes(b"")
    with pytest.raises(ValueError, match="2 copies of meld.pkl"):
        read_corpus("meld", tmp_path, "pickle")


def test_iemocap_tsv_errors_name_the_line(tmp_path: Path) -> None:
    others = (require(IEMOCAP_TSV) / "others" / "iemocap_test.txt").read_text().splitlines()
    assert others[301].count("\t") == 3  # the real malformed line: a TAB inside the text
    (tmp_path / "iemocap_test.txt").write_text("F\tHi.\tneu\n" + others[301] + "\n")
    with pytest.raises(DataFormatError, match=r"iemocap_test.txt, row 2: expected 3 tab-separated fields .*, found 4"):
        read_corpus("iemocap", tmp_path, "tsv", splits=("test",))
    # the others/ export keeps unlabelled utterances (xxx, oth, ...): refused, not silently dropped
    with pytest.raises(DataFormatError, match=r"others/iemocap_test.txt, row 4: unknown iemocap label 'xxx'"):
        read_corpus("iemocap", require(IEMOCAP_TSV) / "others", "tsv", splits=("test",))


def test_restricted_unpickler_refuses_code(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (print, ("pwned",))

    path = tmp_path / "meld.pkl"
    path.write_bytes(pickle.dumps([Evil()]))
    with pytest.raises(DataFormatError, match="builtins.print is not allowed"):
        load_pickle(path)
    (tmp_path / "trunc.pkl").write_bytes(require(MELD_RAW).joinpath(
        "declare-lab__conv-emotion/COSMIC/feature-extraction/meld/meld.pkl").read_bytes()[:5000])
    with pytest.raises(DataFormatError, match="trunc.pkl"):
        load_pickle(tmp_path / "trunc.pkl")


def test_pickle_with_mismatched_lengths(tmp_path: Path) -> None:
    data = [{"d": ["M", "F"]}, {"d": [0]}, {"d": ["a", "b"]}, ["d"], [], []]
    (tmp_path / "iemocap.pkl").write_bytes(pickle.dumps(data))
    with pytest.raises(DataFormatError, match=r"dialogue 'd': lengths differ"):
        read_corpus("iemocap", tmp_path, "pickle", splits=("train",))


def test_unknown_dataset_source_split() -> None:
    with pytest.raises(KeyError, match="unknown dataset 'friends'"):
        read_corpus("friends", ".")
    with pytest.raises(ValueError, match="unknown source 'xml'"):
        read_corpus("meld", ".", "xml")
    with pytest.raises(ValueError, match="unknown split"):
        read_corpus("meld", ".", splits=("dev",))
