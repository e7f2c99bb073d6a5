"""EmoryNLP readers: the ERC-standard CSVs (declare-lab/MELD data/emorynlp) and the official JSON."""

from __future__ import annotations

import ast
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..labels import EMORYNLP
from ..records import Dialogue, DialogueCorpus, ReadReport, number_speakers_by_appearance
from .csv_rows import read_csv_rows
from .encoding import decode_file
from .errors import DataFormatError, find_file
from .integrity import check_unique_turns
from .turns import check_not_empty, make_turn

CSV_FILES = {"train": "emorynlp_train_final.csv", "validation": "emorynlp_dev_final.csv", "test": "emorynlp_test_final.csv"}
JSON_FILES = {"train": "emotion-detection-trn.json", "validation": "emotion-detection-dev.json", "test": "emotion-detection-tst.json"}
_COLUMNS = ("Utterance", "Speaker", "Emotion", "Scene_ID", "Utterance_ID", "Season", "Episode")
_SCENE = re.compile(r"^s(\d+)_e(\d+)_c(\d+)$")


def _speaker_list(value: str, path: Path, line: int) -> list[str]:
    try:
        speakers = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise DataFormatError(path, f"Speaker {value!r} is not a Python list literal", row=line) from None
    if not isinstance(speakers, list) or not speakers or not all(isinstance(s, str) for s in speakers):
        raise DataFormatError(path, f"Speaker {value!r} is not a non-empty list of names", row=line)
    return speakers


Item = tuple[str, list[str], str, str, int | str]  # text, speakers, raw label, utterance id, row


def _dialogue(split: str, dialogue_id: str, items: Sequence[Item], path: Path) -> Dialogue:
    """One scene. Multi-speaker turns are numbered by their first speaker (this reproduces the
    COSMIC pickle's one-hot speakers exactly)."""
    ids = number_speakers_by_appearance([speakers[0] for _, speakers, _, _, _ in items])
    turns = [
        make_turn(
            EMORYNLP, speaker=", ".join(speakers), speaker_id=speaker_id, text=text, raw_label=label,
            utterance_id=utterance_id, path=path, row=row,
        )
        for (text, speakers, label, utterance_id, row), speaker_id in zip(items, ids, strict=True)
    ]
    return Dialogue("emorynlp", split, dialogue_id, turns)


def read_emorynlp_csv_split(path: Path, split: str, report: ReadReport) -> list[Dialogue]:
    """Read one ERC-standard EmoryNLP CSV; a scene is (Season, Episode, Scene_ID)."""
    scenes: dict[str, list[tuple[int, Item]]] = defaultdict(list)
    for line, row in read_csv_rows(path, _COLUMNS, report.repaired):
        try:
            key = f"{int(row['Season'])}_{int(row['Episode'])}_{int(row['Scene_ID'])}"
            order = int(row["Utterance_ID"])
        except ValueError:
            raise DataFormatError(path, "Season, Episode, Scene_ID and Utterance_ID must be integers", row=line) from None
        speakers = _speaker_list(row["Speaker"], path, line)
        scenes[key].append((order, (row["Utterance"], speakers, row["Emotion"], str(order), line)))
    check_unique_turns(path, ((key, order, item[4]) for key, rows in scenes.items() for order, item in rows))
    dialogues = [
        _dialogue(split, key, [item for _, item in sorted(rows, key=lambda r: r[0])], path)
        for key, rows in scenes.items()
    ]
    return check_not_empty(dialogues, path)


def _require(obj: dict[str, Any], key: str, path: Path, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DataFormatError(path, f"missing field {key!r}", row=where)
    return obj[key]


def read_emorynlp_json_split(path: Path, split: str, counts: Counter[str]) -> list[Dialogue]:
    """Read one official ``emotion-detection-*.json`` (season > episodes > scenes > utterances)."""
    try:
        season = json.loads(decode_file(path, counts))
    except json.JSONDecodeError as err:
        raise DataFormatError(path, f"invalid JSON ({err.msg}); the file may be truncated", row=f"line {err.lineno}") from err
    dialogues = []
    for episode in _require(season, "episodes", path, "top level"):
        for scene in _require(episode, "scenes", path, f"episode {episode.get('episode_id')}"):
            scene_id = _require(scene, "scene_id", path, "scene")
            match = _SCENE.match(scene_id)
            key = "_".join(str(int(g)) for g in match.groups()) if match else scene_id
            items: list[Item] = []
            for utt in _require(scene, "utterances", path, f"scene {scene_id}"):
                uid = _require(utt, "utterance_id", path, f"scene {scene_id}")
                speakers = _require(utt, "speakers", path, f"utterance {uid}")
                if not speakers:
                    raise DataFormatError(path, "utterance has no speaker", row=f"utterance {uid}")
                items.append((_require(utt, "transcript", path, f"utterance {uid}"), speakers,
                              _require(utt, "emotion", path, f"utterance {uid}"), uid, f"utterance {uid}"))
            dialogues.append(_dialogue(split, key, items, path))
    return check_not_empty(dialogues, path)


def read_emorynlp(raw_dir: str | Path, splits: tuple[str, ...], source: str = "csv") -> DialogueCorpus:
    """Read EmoryNLP from its ERC-standard CSVs (``source="csv"``) or the official JSON (``"json"``).

    The official train JSON (``emotion-detection-trn.json``) is not in every copy; ask only for
    the splits you have (``splits=("validation", "test")``) or supply the file.
    """
    report = ReadReport(source=source)
    out = {}
    for split in splits:
        if source == "csv":
            path = find_file(raw_dir, CSV_FILES[split], "ERC-standard CSVs from github.com/declare-lab/MELD, data/emorynlp")
            out[split] = read_emorynlp_csv_split(path, split, report)
        else:
            path = find_file(raw_dir, JSON_FILES[split], "official JSON from github.com/emorynlp/emotion-detection, json/")
            out[split] = read_emorynlp_json_split(path, split, report.repaired)
        report.files.append(str(path))
    return DialogueCorpus("emorynlp", out, report)
