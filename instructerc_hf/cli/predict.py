"""``instructerc-hf predict``: label every utterance of a conversation file with a trained adapter."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..inference.arguments import PredictArguments
from .options import options_parser


def predict_conversations(args: PredictArguments) -> list[list[dict[str, Any]]]:
    """Label every utterance of every conversation of ``args.conversation``; each entry keeps speaker and text."""
    from ..pipeline.conversations import conversation_turns, is_conversation
    from ..pipeline.erc_pipeline import load_erc_pipeline

    data = json.loads(Path(args.conversation).read_text(encoding="utf-8"))
    conversations = [data] if is_conversation(data) else data
    erc = load_erc_pipeline(args.model, base_model=args.base_model, dtype=args.dtype)
    results = []
    for conversation in conversations:
        turns = conversation_turns(conversation)
        outputs = erc(conversation, mode=args.mode, append_eos=not args.no_eos, pack_tokens=args.pack_tokens,
                      generation_batch_size=args.batch_size, max_new_tokens=args.max_new_tokens)
        results.append([{"speaker": t.speaker, "text": t.text, **o} for t, o in zip(turns, outputs, strict=True)])
    return results


def predict_command(argv: Sequence[str]) -> int:
    """``instructerc-hf predict --model DIR conversation.json [--mode generate] [--output FILE]``."""
    parser = options_parser(
        PredictArguments,
        prog="instructerc-hf predict",
        description="Label every utterance of a conversation (JSON: a list of {speaker, text} turns, or a list of "
        "such conversations) with a trained adapter; each utterance sees only its past.",
    )
    args, rest = parser.parse_args_into_dataclasses(list(argv), return_remaining_strings=True)
    if len(rest) == 1 and not rest[0].startswith("-") and not args.conversation:
        args.conversation = rest[0]
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if not args.conversation:
        parser.error("give the conversation JSON file")
    results = predict_conversations(args)
    text = json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0
