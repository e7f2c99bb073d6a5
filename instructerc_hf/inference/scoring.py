"""Label scoring: the log-likelihood of every candidate label after each prompt, in shared forward passes.

The score of a label is the log-likelihood of its completion after the prompt; the prediction is the argmax, so it can
never be an invalid label, and its score is the softmax of the candidates' summed log-likelihoods (greedy generation
is :mod:`instructerc_hf.inference.generation`).

A candidate completion is what the adapter was trained to produce: TRL tokenizes ``prompt + completion + eos_token``
(the completion of :mod:`instructerc_hf.tasks` is ``" " + label``), and its loss covers the tokens after the common
prefix of that and of the tokenized prompt. Scoring uses exactly these tokens. ``append_eos=True`` (default) scores
``label + EOS``; without the EOS a label whose tokens start another label's (``" joy"`` / ``" joyful"``) would
always beat it, so leave it on unless the model was trained without an EOS.

How the prompt is shared: the token sequences of several consecutive prompts and of their candidates are merged into
a prefix tree (a trie) that runs as **one** forward pass, each token attending only to its ancestors (a 4D attention
mask, positions equal to the token's depth). A candidate thus reuses the prompt's keys and values exactly as a KV
cache would, without copying a cache per candidate, and consecutive prompts of a conversation share the instruction
and the history they have in common. A pass starts from the keys and values of the prefix its first prompt shares
with the previous pass's last prompt (carried over, not recomputed), so a conversation's history is encoded once
however the passes split it. A candidate's last token is only predicted, never encoded, and logits are computed only
where a candidate token is predicted. The scores equal separate forward passes over each ``prompt + candidate`` (up
to float rounding). On the whole MELD test set with SmolLM2's tokenizer the passes encode about half the tokens of
the prompts; the rest of the speed-up over generation is the absence of decoding steps and of padding. Attention over
a tree costs the square of its size, hence the bounded ``pack_tokens``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from tqdm.auto import tqdm

from ..label_parsing import validate_labels
from .defaults import DEFAULT_PACK_TOKENS
from .prediction import Prediction

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase



KeyValues = list[tuple[torch.Tensor, torch.Tensor]]


class TokenTrie:
    """A prefix tree of token sequences, flattened in insertion order (a parent always precedes its children)."""

    def __init__(self) -> None:
        self.tokens: list[int] = []
        self.parents: list[int] = []
        self.depths: list[int] = []
        self._children: dict[tuple[int, int], int] = {}

    def __len__(self) -> int:
        return len(self.tokens)

    def insert(self, ids: Sequence[int]) -> list[int]:
        """Add ``ids``; return the node of each of its tokens."""
        path, parent = [], -1
        for token in ids:
            node = self._children.get((parent, token))
            if node is None:
                node = len(self.tokens)
                self._children[(parent, token)] = node
                self.tokens.append(token)
                self.parents.append(parent)
                self.depths.append(self.depths[parent] + 1 if parent >= 0 else 0)
            path.append(node)
            parent = node
        return path

    def new_nodes(self, sequences: Iterable[Sequence[int]]) -> int:
        """How many nodes inserting all ``sequences`` would add (shared new prefixes count once)."""
        added: dict[tuple[int, int], int] = {}  # would-be nodes, numbered -2, -3, ... (-1 is the root)
        for ids in sequences:
            parent = -1
            for token in ids:
                node = self._children.get((parent, token))
                if node is None:
                    node = added.setdefault((parent, token), -2 - len(added))
                parent = node
        return len(added)

    def attention_mask(self, dtype: torch.dtype, first: int = 0) -> torch.Tensor:
        """The additive ``(1, 1, n - first, n)`` mask letting each node from ``first`` on attend to itself and its
        ancestors only."""
        n = len(self.tokens)
        allowed = torch.zeros(n, n, dtype=torch.bool)
        for node, parent in enumerate(self.parents):
            if parent >= 0:
                allowed[node] = allowed[parent]
            allowed[node, node] = True
        rows = allowed[first:]
        mask = torch.zeros(rows.shape, dtype=dtype).masked_fill_(~rows, torch.finfo(dtype).min)
        return mask[None, None]


@dataclass
class Pack:
    """One forward pass: a trie and, per (prompt, candidate), the (predicting node, target token) pairs to score.

    The first ``cached`` nodes of the trie are a chain of prompt tokens that the previous pack already encoded (its
    last prompt's, as far as this pack's first prompt shares them): their keys and values are carried over from
    the previous pass (nodes ``carry`` of its trie) instead of being computed again.
    """

    trie: TokenTrie
    prompts: list[int]
    targets: list[list[list[tuple[int, int]]]]
    carry: list[int] = field(default_factory=list)
    #: the last prompt's tokens and their nodes, where the next pack's chain comes from
    last_prompt: tuple[list[int], list[int]] = field(default_factory=lambda: ([], []))

    @property
    def cached(self) -> int:
        """How many leading trie nodes come from the previous pass."""
        return len(self.carry)


def candidate_sequences(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], labels: Sequence[str], append_eos: bool = True
) -> list[list[tuple[list[int], int]]]:
    """Per prompt and label: the token ids of ``prompt + " " + label (+ EOS)`` and where the completion starts.

    The completion starts after the common prefix of these ids and the prompt's own ids, as in TRL's training loss.
    """
    if append_eos and tokenizer.eos_token is None:
        raise ValueError("append_eos=True needs a tokenizer with an eos_token")
    suffix = tokenizer.eos_token if append_eos else ""
    prompt_ids = tokenizer(list(prompts))["input_ids"]
    joint_ids = tokenizer([p + " " + label + suffix for p in prompts for label in labels])["input_ids"]
    out: list[list[tuple[list[int], int]]] = []
    for i, ids in enumerate(prompt_ids):
        row = []
        for ids_c in joint_ids[i * len(labels) : (i + 1) * len(labels)]:
            start = _common_prefix_length(ids, ids_c)
            if start == 0 or start == len(ids_c):
                raise ValueError(f"cannot score labels after prompt {i}: empty prompt or empty completion tokens")
            row.append((ids_c, start))
        out.append(row)
    return out


def _common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _shared_prompt(candidates: list[tuple[list[int], int]]) -> list[int]:
    """The prompt tokens every candidate of a prompt starts with."""
    return candidates[0][0][: min(start for _, start in candidates)]


def pack_candidates(
    sequences: list[list[tuple[list[int], int]]], pack_tokens: int, carry: bool = True
) -> Iterator[Pack]:
    """Group consecutive prompts (with all their candidates) into tries of about ``pack_tokens`` new nodes.

    With ``carry``, a pack starts from the prefix its first prompt shares with the previous pack's last prompt
    (``Pack.cached``): a conversation's instruction and history are encoded once wherever the packs split it.
    """
    pack: Pack | None = None
    for index, candidates in enumerate(sequences):
        prompt = _shared_prompt(candidates)
        if pack is None:
            pack = _start_pack(None, prompt, carry)
        else:
            added = pack.trie.new_nodes(ids[:-1] for ids, _ in candidates)
            full = len(pack.trie) - pack.cached + added > pack_tokens
            # A prompt lying wholly inside the cached chain would need logits the pass does not compute.
            inside_cache = _common_prefix_length(pack.trie.tokens[: pack.cached], prompt) == len(prompt)
            if full or inside_cache:
                yield pack
                pack = _start_pack(pack, prompt, carry)
        per_candidate = []
        for ids, start in candidates:
            path = pack.trie.insert(ids[:-1])  # the last token is only predicted, never an input
            per_candidate.append([(path[j - 1], ids[j]) for j in range(start, len(ids))])
        pack.prompts.append(index)
        pack.targets.append(per_candidate)
        pack.last_prompt = (prompt, path[: len(prompt)])  # every candidate's path starts with the prompt's nodes
    if pack is not None:
        yield pack


def _start_pack(previous: Pack | None, prompt: list[int], carry: bool) -> Pack:
    """A new pack for ``prompt``, holding the cached chain it shares with ``previous``'s last prompt.

    The chain stops short of the prompt's last token, whose logits (predicting the first label token) the pass
    itself must compute.
    """
    pack = Pack(TokenTrie(), [], [])
    if carry and previous is not None:
        tokens, nodes = previous.last_prompt
        shared = min(_common_prefix_length(tokens, prompt), len(prompt) - 1)
        pack.trie.insert(tokens[:shared])
        pack.carry = nodes[:shared]
    return pack


def _select_nodes(layers: KeyValues, nodes: list[int]) -> KeyValues:
    """The keys and values of trie ``nodes`` in every layer of a pass's cache (its columns are the nodes in order)."""
    index = torch.tensor(nodes, device=layers[0][0].device)
    return [(keys.index_select(2, index), values.index_select(2, index)) for keys, values in layers]


@torch.inference_mode()
def _score_pack(model: PreTrainedModel, pack: Pack, past: KeyValues | None) -> tuple[torch.Tensor, KeyValues]:
    """Summed log-likelihood of every candidate of every prompt of ``pack``, ``(prompts, candidates)``, and the
    keys and values of its trie nodes, from which the next pack takes its cached chain.

    ``past`` holds the keys and values of the ``pack.cached`` chain nodes; the other nodes run as one sequence.
    """
    from transformers import DynamicCache

    device, dtype = model.device, model.dtype
    trie, cached = pack.trie, pack.cached
    needed = sorted({node for prompt in pack.targets for cand in prompt for node, _ in cand})
    row_of = {node: row for row, node in enumerate(needed)}
    output = model(
        input_ids=torch.tensor([trie.tokens[cached:]], device=device),
        position_ids=torch.tensor([trie.depths[cached:]], device=device),
        attention_mask=trie.attention_mask(dtype, first=cached).to(device),
        logits_to_keep=torch.tensor([node - cached for node in needed], device=device),
        # a plain full cache even for sliding-window models, so that column i stays node i
        past_key_values=DynamicCache(ddp_cache_data=past) if past else DynamicCache(),
        use_cache=True,
    )
    log_probs = torch.log_softmax(output.logits[0].float(), dim=-1)
    flat_nodes, flat_tokens, owner = [], [], []
    n_candidates = len(pack.targets[0])
    for p, prompt in enumerate(pack.targets):
        for c, cand in enumerate(prompt):
            for node, token in cand:
                flat_nodes.append(row_of[node])
                flat_tokens.append(token)
                owner.append(p * n_candidates + c)
    picked = log_probs[torch.tensor(flat_nodes, device=device), torch.tensor(flat_tokens, device=device)]
    sums = torch.zeros(len(pack.targets) * n_candidates, device=device).index_add_(
        0, torch.tensor(owner, device=device), picked
    )
    layers = [(layer.keys, layer.values) for layer in output.past_key_values.layers]
    return sums.view(len(pack.targets), n_candidates).cpu(), layers


#: Attention implementations that honour a custom 4D mask exactly (label scoring's prefix-tree mask).
EXACT_ATTENTION: tuple[str, ...] = ("eager", "sdpa")


class AttentionBackendError(ValueError):
    """The model's attention implementation cannot take label scoring's tree mask."""


def check_attention(model: PreTrainedModel) -> None:
    """Refuse attention backends that ignore a custom 4D mask (flash attention and friends), which would score wrong.

    transformers passes a 4D mask through unchanged; flash-attention kernels only know causal masks and padding.
    """
    config = getattr(model, "config", None)
    implementation = getattr(config, "_attn_implementation", None) or "eager"
    if implementation not in EXACT_ATTENTION:
        raise AttentionBackendError(
            f"label scoring needs an attention implementation that takes a 4D mask ({list(EXACT_ATTENTION)}); this "
            f"model uses {implementation!r}: load it with attn_implementation='sdpa', or use mode='generate'"
        )


def label_log_likelihoods(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    labels: Sequence[str],
    *,
    append_eos: bool = True,
    pack_tokens: int = DEFAULT_PACK_TOKENS,
    progress: bool = True,
) -> torch.Tensor:
    """Summed log-likelihood of each label's completion after each prompt, shape ``(len(prompts), len(labels))``.

    Args:
        append_eos: score ``" " + label + EOS`` (the training target) rather than ``" " + label``.
        pack_tokens: about how many tokens (prompt tokens not shared with earlier prompts, and candidate tokens) one
            forward pass encodes; a longer prompt runs alone. Sharing does not depend on it (a pass carries over the
            prefix it shares with the previous one); larger packs mean fewer passes, but attention grows with the
            square of a pack.
        progress: show a tqdm bar (in utterances).

    Raises:
        AttentionBackendError: the model's attention is not one of :data:`EXACT_ATTENTION`.
    """
    labels = validate_labels(labels)
    if pack_tokens < 1:
        raise ValueError(f"pack_tokens must be >= 1, got {pack_tokens}")
    check_attention(model)
    out = torch.empty(len(prompts), len(labels))
    if not prompts:
        return out
    sequences = candidate_sequences(tokenizer, prompts, labels, append_eos)
    with tqdm(total=len(prompts), desc="scoring labels", unit="utt", disable=not progress) as bar:
        previous: KeyValues = []
        for pack in pack_candidates(sequences, pack_tokens):
            past = _select_nodes(previous, pack.carry) if pack.carry else None
            previous = []  # free the previous pass's cache before this pass builds its own
            out[pack.prompts], previous = _score_pack(model, pack, past)
            bar.update(len(pack.prompts))
    return out


def score_labels(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    labels: Sequence[str],
    *,
    append_eos: bool = True,
    pack_tokens: int = DEFAULT_PACK_TOKENS,
    progress: bool = True,
) -> list[Prediction]:
    """The most likely label of each prompt and its probability among the labels (see :func:`label_log_likelihoods`).

    Ties go to the first label in ``labels`` order.
    """
    labels = validate_labels(labels)
    scores = label_log_likelihoods(
        model, tokenizer, prompts, labels, append_eos=append_eos, pack_tokens=pack_tokens, progress=progress
    )
    return predictions_from_scores(scores, labels)


def predictions_from_scores(scores: torch.Tensor, labels: Sequence[str]) -> list[Prediction]:
    """Per row of ``scores`` (``(prompts, labels)`` log-likelihoods) its most likely label and every label's
    probability among the labels (softmax); ties go to the first label."""
    probabilities = torch.softmax(scores, dim=-1)
    best = scores.argmax(dim=-1)
    rows = probabilities.tolist()
    return [Prediction(labels[int(b)], rows[i][int(b)], label_scores=dict(zip(labels, rows[i], strict=True)))
            for i, b in enumerate(best)]
