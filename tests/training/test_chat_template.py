"""Prompts through the backbone's chat template: rendered in training (TRL rows, the collator, the label evaluation)
within max_length, saved with the adapter, and rendered the same way by evaluate and the pipeline."""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import CONVERSATION, ROOT, built_folder

from instructerc_hf.chat import check_chat_template, render, render_all, template_tokens
from instructerc_hf.errors import InputError
from instructerc_hf.modeling import load_tokenizer
from instructerc_hf.prompts import PromptConfig
from instructerc_hf.training.arguments import ERCDataArguments, ERCRetrievalArguments
from instructerc_hf.training.data import DEMONSTRATION_ROW, Demonstrator, prepare_task

#: A small template of the usual shape: role markers around each message, the assistant turn opened at the end.
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")


@pytest.fixture(scope="module")
def chat_dir(tiny_dir: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``tiny_dir`` whose tokenizer has :data:`TEMPLATE`."""
    folder = tmp_path_factory.mktemp("chat") / "tiny"
    shutil.copytree(tiny_dir, folder)
    tokenizer = load_tokenizer(str(folder))
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_render_wraps_one_user_turn_and_counts_its_tokens(chat_dir: str, tiny_dir: str) -> None:
    tokenizer = load_tokenizer(chat_dir)
    assert render("Which emotion?", tokenizer) == "<|user|> Which emotion? <|end|>\n<|assistant|>"
    assert render_all(["a", "b"], tokenizer, False) == ["a", "b"]
    added = template_tokens(tokenizer, True)
    assert added > 0 and template_tokens(tokenizer, False) == 0
    prompt = "Oh great, that is great!"
    for text in (prompt, "x", 'Speaker_0:"Hey!" ### Please select'):
        assert len(tokenizer(render(text, tokenizer), add_special_tokens=False)["input_ids"]) <= \
            len(tokenizer(text, add_special_tokens=False)["input_ids"]) + added
    with pytest.raises(InputError, match="has no chat template"):
        check_chat_template(load_tokenizer(tiny_dir))


def test_training_rows_are_rendered_within_max_length(meld_raw: str, chat_dir: str, tmp_path: Path) -> None:
    tokenizer = load_tokenizer(chat_dir)
    data = ERCDataArguments(raw_dir=[meld_raw], max_train_samples=24, max_eval_samples=4)
    plain = prepare_task(data, "main", tokenizer, 200)
    chat = prepare_task(data, "main", tokenizer, 200, chat_template=True)
    for split in ("train", "validation"):
        for rendered in chat.__dict__[split]["prompt"]:
            assert rendered.startswith("<|user|> ") and rendered.endswith("<|end|>\n<|assistant|>")
        sizes = [len(tokenizer(p + " " + c, add_special_tokens=False)["input_ids"]) + 1  # + EOS
                 for p, c in zip(chat.__dict__[split]["prompt"], chat.__dict__[split]["completion"], strict=True)]
        assert max(sizes) <= 200
    assert chat.fit["train"].num_shortened >= plain.fit["train"].num_shortened  # the template takes room
    options: dict[str, Any] = {"use_demonstrations": True, "retrieval_balance": "none", "retrieval_progress": False,
                               "retrieval_cache_dir": str(tmp_path / "embeddings"),
                               "demonstration_injection": "collator", "demonstration_strategy": "per_label"}
    prompts = PromptConfig(labels=("neutral", "surprise", "fear", "sad", "joyful", "disgust", "angry"))
    drawn = prepare_task(data, "main", tokenizer, 400, Demonstrator(ERCRetrievalArguments(**options), prompts),
                         chat_template=True)
    assert drawn.collator is not None and drawn.collator.chat_template
    row = next(r for r in drawn.train if r[DEMONSTRATION_ROW] >= 0)
    assert not row["prompt"].startswith("<|user|>")  # the collator renders after the draw
    shown = drawn.collator.prompt(row)
    assert shown.startswith("<|user|> ") and shown.endswith("<|assistant|>") and "is neutral" not in row["prompt"]
    assert all(p.startswith("<|user|>") for p in drawn.validation["prompt"])


def test_a_chat_adapter_saves_the_choice_and_inference_renders_alike(meld_raw: str, chat_dir: str,
                                                                    tmp_path: Path) -> None:
    from transformers import pipeline

    from instructerc_hf.configuration import ERCModelConfig
    from instructerc_hf.inference.arguments import EvaluateArguments
    from instructerc_hf.inference.evaluation import evaluate_adapter
    from instructerc_hf.pipeline.conversations import conversation_turns
    from instructerc_hf.prompts import main_prompt
    from instructerc_hf.registry import PIPELINE_TASK

    main = runpy.run_path(str(ROOT / "examples" / "sft.py"), run_name="sft")["main"]
    out = tmp_path / "run"
    main(["--dataset", "meld", "--raw_dir", meld_raw, "--window", "2", "--max_train_samples", "8",
          "--max_eval_samples", "4", "--model_name_or_path", chat_dir, "--output_dir", str(out), "--stage1_epochs",
          "0", "--stage2_tasks", "main", "--max_steps", "1", "--per_device_train_batch_size", "4",
          "--gradient_accumulation_steps", "1", "--max_length", "256", "--use_cpu", "true", "--bf16", "false",
          "--eval_strategy", "no", "--save_strategy", "no", "--load_best_model_at_end", "false", "--report_to",
          "none", "--disable_tqdm", "true", "--chat_template", "true"])
    config = ERCModelConfig.from_pretrained(out)
    assert config.chat_template and json.loads((out / "instructerc_config.json").read_text())["chat_template"]

    erc = pipeline(PIPELINE_TASK, model=str(out))
    turns = conversation_turns(CONVERSATION)
    raw = [main_prompt(turns, i, config.prompt) for i in range(len(turns))]
    assert erc.prompts_for(CONVERSATION) == [f"<|user|> {p} <|end|>\n<|assistant|>" for p in raw]
    outputs = erc(CONVERSATION)

    rows = {"prompt": raw, "text": [t.text for t in turns], "task": ["main"] * len(turns),
            "label": ["sad", "angry", "surprise", "neutral"]}
    folder = built_folder(tmp_path / "talk", rows)
    evaluate_adapter(EvaluateArguments(model=str(out), dataset=str(folder), output_dir=str(tmp_path / "eval")))
    written = [json.loads(line) for line in (tmp_path / "eval" / "predictions.jsonl").read_text().splitlines()]
    assert [w["label"] for w in written] == [o["label"] for o in outputs]
    # the same prompts; packs differ between the two, so float32 sums differ in the last digits
    assert [w["score"] for w in written] == pytest.approx([o["score"] for o in outputs], abs=1e-3)
