"""Pushing a prepared folder (dataset repo, adapter, metric Space) to the Hugging Face Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

RepoType = Literal["model", "dataset", "space"]


class HubClient(Protocol):
    """The two ``huggingface_hub.HfApi`` calls a push needs (a fake can stand in for tests)."""

    def create_repo(self, repo_id: str, *, repo_type: str | None = ..., private: bool | None = ...,
                    exist_ok: bool = ..., space_sdk: str | None = ...) -> object: ...

    def upload_folder(self, *, repo_id: str, folder_path: str | Path, repo_type: str | None = ...,
                      commit_message: str | None = ...) -> object: ...


def push_folder(
    folder: str | Path,
    repo_id: str,
    repo_type: RepoType,
    *,
    private: bool = False,
    commit_message: str = "Upload with instructerc_hf",
    token: str | None = None,
    api: HubClient | None = None,
) -> None:
    """Create ``repo_id`` if needed and upload every file of ``folder`` in one commit.

    ``HF_ENDPOINT`` selects another Hub (e.g. a local mirror); ``HF_TOKEN`` or ``token`` authenticates.
    """
    folder = Path(folder)
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(f"{folder} has no README.md card; build the folder before pushing it")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    extra = {"space_sdk": "gradio"} if repo_type == "space" else {}
    api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True, **extra)
    api.upload_folder(repo_id=repo_id, folder_path=folder, repo_type=repo_type, commit_message=commit_message)
