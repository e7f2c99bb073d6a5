"""Label scoring (one pass over a trie of the candidates) on a tiny adapter, against plain forward passes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import MELD_LABELS, PROMPTS, build_tiny_adapter
from peft import PeftModel

from instructerc_hf.inference.adapter import load_adapter
from instructerc_hf.inference.scoring import (
    TokenTrie,
    candidate_sequences,
    label_log_likelihoods,
    pack_candidates,
    score_labels,
)


def reference_log_likelihoods(model: PeftModel, tokenizer: object, prompts: list[str], labels: tuple[str, ...],
                              append_eos: bool = True) -> torch.Tensor:
    """One plain forward pass per prompt + candidate: the definition label scoring must reproduce."""
    out = torch.empty(len(prompts), len(labels))
    with torch.no_grad():
        for i, row in enumerate(candidate_sequences(tokenizer, prompts, labels, append_eos)):
            for c, (ids, start) in enumerate(row):
                log_probs = model(input_ids=torch.tensor([ids])).logits[0].log_softmax(-1)
                out[i, c] = sum(log_probs[j - 1, ids[j]] for j in range(start, len(ids)))
    return out


@pytest.mark.parametrize("pack_tokens", [1, 40, 1024])
def test_scores_equal_separate_forward_passes(loaded: tuple, pack_tokens: int) -> None:
    model, tokenizer, _ = loaded
    got = label_log_likelihoods(model, tokenizer, PROMPTS, MELD_LABELS, pack_tokens=pack_tokens, progress=False)
    torch.testing.assert_close(got, reference_log_likelihoods(model, tokenizer, PROMPTS, MELD_LABELS),
                               atol=1e-4, rtol=1e-4)


def test_packs_carry_the_shared_prefix_of_the_previous_pack(loaded: tuple) -> None:
    _, tokenizer, _ = loaded
    sequences = candidate_sequences(tokenizer, PROMPTS, MELD_LABELS)
    packs = list(pack_candidates(sequences, pack_tokens=1))
    assert [p.prompts for p in packs] == [[0], [1], [2], [3]]
    shared = len(tokenizer(PROMPTS[0].split(" ### Please")[0])["input_ids"])
    assert packs[1].cached >= shared - 1 and packs[1].carry == list(range(packs[1].cached))
    assert packs[1].trie.tokens[: packs[1].cached] == sequences[1][0][0][: packs[1].cached]
    without = list(pack_candidates(sequences, pack_tokens=1, carry=False))
    assert all(p.cached == 0 for p in without)
    assert sum(len(p.trie) - p.cached for p in packs) < sum(len(p.trie) for p in without)


def test_repeated_and_prefix_prompts_never_take_their_last_token_from_the_cache(loaded: tuple) -> None:
    model, tokenizer, _ = loaded
    prompts = [PROMPTS[1], PROMPTS[1], PROMPTS[1][:40], PROMPTS[1], PROMPTS[1][:40]]
    for pack_tokens in (1, 60, 1024):
        got = label_log_likelihoods(model, tokenizer, prompts, MELD_LABELS, pack_tokens=pack_tokens, progress=False)
        torch.testing.assert_close(got, reference_log_likelihoods(model, tokenizer, prompts, MELD_LABELS),
                                   atol=1e-4, rtol=1e-4)


def test_bfloat16_scores_are_close_to_float32(tmp_path: Path) -> None:
    folder = build_tiny_adapter(tmp_path / "adapter")
    (full, tokenizer, _), (half, _, _) = load_adapter(folder), load_adapter(folder, dtype=torch.bfloat16)
    assert half.dtype == torch.bfloat16
    got = label_log_likelihoods(half, tokenizer, PROMPTS, MELD_LABELS, pack_tokens=40, progress=False)
    want = reference_log_likelihoods(full, tokenizer, PROMPTS, MELD_LABELS)
    torch.testing.assert_close(got, want, atol=0.15, rtol=0.01)
    # the best label may change only where float32 has a near tie, within twice bfloat16's largest error
    error = (got - want).abs().max()
    best, best_half = want.argmax(-1), got.argmax(-1)
    gaps = want.gather(-1, best[:, None]) - want.gather(-1, best_half[:, None])
    assert (gaps.squeeze(-1)[best != best_half] <= 2 * error).all()


def test_multi_token_labels_that_prefix_each_other(loaded: tuple) -> None:
    model, tokenizer, _ = loaded
    labels = ("sad", "sad news", "happy sad")  # several tokens each, one a token prefix of another
    assert any(len(ids) - start > 2 for ids, start in candidate_sequences(tokenizer, PROMPTS[:1], labels)[0])
    for append_eos in (True, False):
        got = label_log_likelihoods(model, tokenizer, PROMPTS, labels, append_eos=append_eos, progress=False)
        want = reference_log_likelihoods(model, tokenizer, PROMPTS, labels, append_eos)
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_candidates_are_the_training_completion(loaded: tuple) -> None:
    _, tokenizer, _ = loaded
    (ids, start), = candidate_sequences(tokenizer, ["I love you."], ["joyful"])[0]
    assert tokenizer.decode(ids[start:]) == " joyful" + tokenizer.eos_token
    assert ids == tokenizer("I love you. joyful" + tokenizer.eos_token)["input_ids"]
    (ids, start), = candidate_sequences(tokenizer, ["I love you."], ["joyful"], append_eos=False)[0]
    assert tokenizer.decode(ids[start:]) == " joyful"


def test_score_labels_returns_a_valid_label_and_its_probability(loaded: tuple) -> None:
    model, tokenizer, _ = loaded
    predictions = score_labels(model, tokenizer, PROMPTS, MELD_LABELS, progress=False)
    scores = label_log_likelihoods(model, tokenizer, PROMPTS, MELD_LABELS, progress=False)
    for prediction, row in zip(predictions, scores, strict=True):
        assert prediction.label == MELD_LABELS[int(row.argmax())]
        assert prediction.score == pytest.approx(float(row.softmax(-1).max()), rel=1e-5)
        assert prediction.generated_text is None and prediction.exact
    assert score_labels(model, tokenizer, [], MELD_LABELS, progress=False) == []


def test_trie_shares_prefixes_and_masks_everything_but_ancestors() -> None:
    trie = TokenTrie()
    assert trie.insert([5, 6, 7]) == [0, 1, 2]
    assert trie.new_nodes([[5, 6, 9, 9]]) == 2
    assert trie.new_nodes([[5, 6, 9, 9], [5, 6, 9, 8], [5, 6, 7]]) == 3
    assert trie.new_nodes([]) == 0
    assert trie.insert([5, 6, 9]) == [0, 1, 3]
    assert trie.depths == [0, 1, 2, 2] and trie.parents == [-1, 0, 1, 1]
    mask = trie.attention_mask(torch.float32)
    allowed = mask[0, 0] == 0
    torch.testing.assert_close(trie.attention_mask(torch.float32, first=2), mask[:, :, 2:])
    assert allowed.tolist() == [
        [True, False, False, False],
        [True, True, False, False],
        [True, True, True, False],
        [True, True, False, True],
    ]


def test_label_scoring_is_exact_on_eager_and_sdpa_and_refuses_other_backends(tmp_path: Path) -> None:
    from instructerc_hf.inference.scoring import AttentionBackendError

    folder = build_tiny_adapter(tmp_path / "adapter")
    scores = {}
    for implementation in ("eager", "sdpa"):
        model, tokenizer, _ = load_adapter(folder, attn_implementation=implementation)
        assert model.config._attn_implementation == implementation
        scores[implementation] = label_log_likelihoods(model, tokenizer, PROMPTS, MELD_LABELS, progress=False)
    torch.testing.assert_close(scores["eager"], scores["sdpa"], rtol=1e-4, atol=1e-4)
    model.config._attn_implementation = "flash_attention_2"  # its kernels know causal masks only
    with pytest.raises(AttentionBackendError, match="attn_implementation='sdpa'"):
        label_log_likelihoods(model, tokenizer, PROMPTS, MELD_LABELS, progress=False)
