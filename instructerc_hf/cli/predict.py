"""``instructerc-hf predict``: label every utterance of a conversation file with a trained adapter.

The file is JSON (a conversation, or a list of them) or JSONL (one conversation a line). Under ``accelerate launch``
each process labels whole conversations, about the same number of utterances each, and the main process writes them
all back in input order: the output of one process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..inference.arguments import PredictArguments
from .options import options_parser

Labelled = list[dict[str, Any]]


#: The conversation files ``predict`` reads.
CONVERSATION_SUFFIXES = (".json", ".jsonl")


def _json(text: str, path: Path, line: int = 0) -> Any:
    """``json.loads(text)``; an error names the file and the line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON at line {line or error.lineno}, column {error.colno}: "
                         f"{error.msg}") from error


def read_conversations(path: str | Path) -> tuple[list[Any], bool]:
    """The conversations of a JSON or JSONL file, and whether it held a single conversation.

    Raises:
        InputError: the file is no JSON or JSONL (raw MELD / EmoryNLP / IEMOCAP files: the message gives the
            ``instructerc-hf build`` command), or not valid JSON (the message names file and line).
    """
    from ..pipeline.conversations import is_conversation
    from ..raw_files import build_advice, raw_datasets

    path = Path(path)
    if path.suffix not in CONVERSATION_SUFFIXES:
        advice = build_advice(path) if raw_datasets(path) else \
            'write each conversation as a JSON list of {"speaker": ..., "text": ...} turns'
        raise InputError(f"{path}: predict reads conversations as JSON or JSONL ({', '.join(CONVERSATION_SUFFIXES)}), "
                         f"not {path.suffix or 'a file without suffix'}; {advice}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [_json(line, path, n) for n, line in enumerate(text.splitlines(), 1) if line.strip()], False
    data = _json(text, path)
    return ([data], True) if is_conversation(data) else (data, False)


def predict_conversations(args: PredictArguments, conversations: Sequence[Any]) -> list[Labelled]:
    """Label every utterance of every conversation; each entry keeps speaker and text. Sharded by conversation."""
    from ..inference.sharding import predict_sharded, process_device
    from ..pipeline.conversations import conversation_turns
    from ..pipeline.erc_pipeline import load_erc_pipeline

    turns = [conversation_turns(conversation) for conversation in conversations]
    erc = load_erc_pipeline(args.model, base_model=args.base_model, dtype=args.dtype, device=process_device())

    def run(rows: list[int]) -> list[dict[str, Any]]:  # rows: this process's utterances, whole conversations
        mine = dict.fromkeys(owner[row] for row in rows)
        labelled = []
        for index in mine:
            outputs = erc(conversations[index], mode=args.mode, append_eos=not args.no_eos,
                          pack_tokens=args.pack_tokens, generation_batch_size=args.batch_size,
                          max_new_tokens=args.max_new_tokens, demonstration_draws=args.demonstration_draws)
            labelled += [{"speaker": t.speaker, "text": t.text, **o}
                         for t, o in zip(turns[index], outputs, strict=True)]
        return labelled

    owner = [index for index, conversation in enumerate(turns) for _ in conversation]  # the conversation of each row
    flat = iter(predict_sharded(run, owner))
    return [[next(flat) for _ in conversation] for conversation in turns]


def render(results: list[Labelled], single: bool, jsonl: bool) -> str:
    """The predictions as the input was: one conversation, a list of them, or one a line."""
    if jsonl:
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in results)
    return json.dumps(results[0] if single else results, indent=2, ensure_ascii=False)


def predict_command(argv: Sequence[str]) -> int:
    """``instructerc-hf predict --model DIR conversations.json[l] [--mode generate] [--output FILE]``."""
    parser = options_parser(
        PredictArguments,
        prog="instructerc-hf predict",
        description="Label every utterance of conversations (JSON: a list of {speaker, text} turns, or a list of such "
        "conversations; JSONL: one conversation a line) with a trained adapter; each utterance sees only its past. "
        "Under `accelerate launch` the conversations are shared out among the processes.",
        positional=("conversation",),
    )
    (args,) = parser.parse_args_into_dataclasses(list(argv))
    conversations, single = read_conversations(args.conversation)
    from ..inference.sharding import is_main_process

    results = predict_conversations(args, conversations)
    if not is_main_process():
        return 0
    text = render(results, single, Path(args.conversation).suffix == ".jsonl")
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0
