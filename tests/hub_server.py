"""A local stand-in for the Hugging Face Hub's HTTP API, for push and download tests without the internet.

No PyPI package provides one that accepts uploads (``hf-local-hub`` needs a Go binary it does not ship; ``olah`` only
mirrors downloads), so this implements, with the standard library, just what ``huggingface_hub`` 2.x sends for:

- ``HfApi.create_repo`` (``POST /api/repos/create``);
- ``HfApi.upload_folder`` / ``create_commit``: ``POST /api/validate-yaml``, ``POST /api/{type}s/{id}/preupload/{rev}``
  (every file is answered ``regular``, so no LFS/Xet transfer is needed) and ``POST /api/{type}s/{id}/commit/{rev}``
  (NDJSON: header, base64 files, deletions);
- downloads (``hf_hub_download``, ``snapshot_download``, hence ``from_pretrained`` and ``load_dataset``): repo info,
  tree, paths-info and ``HEAD``/``GET /{id}/resolve/{rev}/{path}``.

Repos live under ``root/{type}s/{namespace}/{name}/`` as plain files: a commit writes them there, so a test can compare
that folder with what it uploaded. Only namespaced repo ids and the ``main`` branch (or the current commit) exist.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
API = re.compile(
    r"^/api/(models|datasets|spaces)/([^/]+/[^/]+)"
    r"(?:/(preupload|commit|revision|tree|paths-info)(?:/([^/]+))?(/.*)?)?$"
)
RESOLVE = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")


class LocalHub:
    """The server: ``with LocalHub(root) as hub: HfApi(endpoint=hub.url)...``; ``requests`` logs every request."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.requests: list[tuple[str, str]] = []
        self._commits: dict[Path, str] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LocalHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        """Where the files of a repo are (``repo_type``: ``model``, ``dataset`` or ``space``)."""
        return self.root / f"{repo_type}s" / repo_id

    def commit(self, folder: Path) -> str:
        return self._commits.get(folder, "0" * 40)

    def files(self, folder: Path) -> list[Path]:
        return sorted(p for p in folder.rglob("*") if p.is_file())

    def apply_commit(self, folder: Path, lines: list[dict[str, Any]]) -> str:
        """Apply NDJSON commit operations to ``folder``; return the new commit id."""
        with self._lock:
            for line in lines:
                key, value = line["key"], line["value"]
                if key == "file":
                    target = _inside(folder, value["path"])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(base64.b64decode(value["content"]))
                elif key == "deletedFile":
                    _inside(folder, value["path"]).unlink(missing_ok=True)
                elif key == "deletedFolder":
                    shutil.rmtree(_inside(folder, value["path"]), ignore_errors=True)
                elif key != "header":
                    raise ValueError(f"unsupported commit operation {key!r} (this server has no LFS storage)")
            digest = hashlib.sha1(self.commit(folder).encode() + json.dumps(lines, sort_keys=True).encode())
            self._commits[folder] = digest.hexdigest()
            return self._commits[folder]


def _inside(folder: Path, path: str) -> Path:
    target = (folder / path).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise ValueError(f"path {path!r} leaves the repo")
    return target


def _handler(hub: LocalHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                   head: bool = False) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if not isinstance(body, bytes):
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def _error(self, status: int, code: str, message: str, head: bool = False) -> None:
            self._reply(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message}, head)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _path(self) -> str:
            return unquote(urlsplit(self.path).path)

        def do_POST(self) -> None:
            hub.requests.append(("POST", self.path))
            path, body = self._path(), self._body()
            if path == "/api/repos/create":
                return self._create(json.loads(body))
            if path == "/api/validate-yaml":
                return self._reply(HTTPStatus.OK, {"errors": [], "warnings": []})
            match = API.match(path)
            if not match or match.group(3) not in ("preupload", "commit", "paths-info"):
                return self._error(HTTPStatus.NOT_FOUND, "EntryNotFound", f"no route POST {path}")
            kind, repo_id, action = match.group(1), match.group(2), match.group(3)
            folder = hub.repo_dir(REPO_TYPES[kind], repo_id)
            if not folder.is_dir():
                return self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", f"repository {repo_id} not found")
            if action == "preupload":
                files = json.loads(body)["files"]
                modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                         for f in files]
                return self._reply(HTTPStatus.OK, {"files": modes})
            if action == "paths-info":
                wanted = _form_or_json(body).get("paths", [])
                entries = [_entry(folder, folder / p) for p in wanted if (folder / p).is_file()]
                return self._reply(HTTPStatus.OK, entries)
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            try:
                sha = hub.apply_commit(folder, lines)
            except ValueError as error:
                return self._error(HTTPStatus.BAD_REQUEST, "BadRequest", str(error))
            prefix = "" if kind == "models" else f"{kind}/"
            return self._reply(HTTPStatus.OK, {"commitUrl": f"{hub.url}/{prefix}{repo_id}/commit/{sha}",
                                               "commitOid": sha, "pullRequestUrl": None})

        def _create(self, payload: dict[str, Any]) -> None:
            repo_type = payload.get("type") or "model"
            repo_id = f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
            if "/" not in repo_id:
                return self._error(HTTPStatus.BAD_REQUEST, "BadRequest", "this server needs namespace/name repo ids")
            folder = hub.repo_dir(repo_type, repo_id)
            prefix = "" if repo_type == "model" else f"{repo_type}s/"
            url = f"{hub.url}/{prefix}{repo_id}"
            if folder.is_dir():
                return self._reply(HTTPStatus.CONFLICT, {"error": "You already created this repo", "url": url})
            folder.mkdir(parents=True)
            return self._reply(HTTPStatus.OK, {"url": url, "name": repo_id})

        def do_GET(self) -> None:
            hub.requests.append(("GET", self.path))
            self._get(head=False)

        def do_HEAD(self) -> None:
            hub.requests.append(("HEAD", self.path))
            self._get(head=True)

        def _get(self, head: bool) -> None:
            path = self._path()
            resolve = RESOLVE.match(path)
            if resolve:
                kind = resolve.group(1) or "models"
                return self._file(hub.repo_dir(REPO_TYPES[kind], resolve.group(2)), resolve.group(4), head)
            match = API.match(path)
            if not match or match.group(3) not in (None, "revision", "tree"):
                return self._error(HTTPStatus.NOT_FOUND, "EntryNotFound", f"no route GET {path}", head)
            kind, repo_id, action = match.group(1), match.group(2), match.group(3)
            folder = hub.repo_dir(REPO_TYPES[kind], repo_id)
            if not folder.is_dir():
                return self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", f"repository {repo_id} not found", head)
            if action == "tree":
                under = folder / (match.group(5) or "/").lstrip("/")
                entries = [_entry(folder, p) for p in hub.files(folder) if p.is_relative_to(under)]
                return self._reply(HTTPStatus.OK, entries, head=head)
            siblings = [{"rfilename": p.relative_to(folder).as_posix(), "size": p.stat().st_size}
                        for p in hub.files(folder)]
            info = {"id": repo_id, "sha": hub.commit(folder), "private": False, "siblings": siblings,
                    "tags": [], "downloads": 0, "likes": 0}
            return self._reply(HTTPStatus.OK, info, head=head)

        def _file(self, folder: Path, name: str, head: bool) -> None:
            if not folder.is_dir():
                return self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", "repository not found", head)
            target = folder / name
            if not target.is_file():
                return self._error(HTTPStatus.NOT_FOUND, "EntryNotFound", f"{name} not found", head)
            data = target.read_bytes()
            headers = {"X-Repo-Commit": hub.commit(folder), "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                       "Content-Type": "application/octet-stream"}
            self._reply(HTTPStatus.OK, data, headers, head)

    return Handler


def _entry(folder: Path, path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"type": "file", "path": path.relative_to(folder).as_posix(), "size": len(data),
            "oid": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()}


def _form_or_json(body: bytes) -> dict[str, Any]:
    """``paths-info`` bodies are form-encoded (``paths=a&paths=b``) or JSON."""
    from urllib.parse import parse_qs

    try:
        return json.loads(body)
    except ValueError:
        return {k: v for k, v in parse_qs(body.decode()).items()}
