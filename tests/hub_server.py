"""A small Hub-compatible HTTP server on 127.0.0.1, for testing push and pull through
``huggingface_hub``'s real upload, download and cache code.

It speaks the parts of the Hub's HTTP API that ``create_repo``, ``create_branch``,
``upload_folder`` (preupload, Git LFS batch + basic PUT transfer, NDJSON commit),
``model_info`` and ``hf_hub_download`` / ``snapshot_download`` call, keeps repos in
memory, checks the bearer token, and records every commit's operations so tests can
inspect exactly what was sent. (No maintained local Hub server on PyPI covers uploads:
``olah`` mirrors read-only, ``hf-local-hub`` needs a Go binary it does not ship.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

TOKEN = "hf_adaptxfer_test_token"


@dataclass
class Commit:
    sha: str
    files: dict[str, bytes]
    summary: str = ""
    operations: list[dict[str, Any]] = field(default_factory=list)  # as received


@dataclass
class Repo:
    private: bool
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit sha
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        sha = self.branches.get(revision, revision)
        return self.commits.get(sha)


def _sha() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex[:8]


class HubState:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.validated: list[str] = []  # README contents sent to /api/validate-yaml
        self.lock = threading.Lock()

    def create(self, repo_id: str, private: bool) -> bool:
        if repo_id in self.repos:
            return False
        first = Commit(
            _sha(), {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}
        )
        self.repos[repo_id] = Repo(private, {"main": first.sha}, {first.sha: first})
        return True

    def put(self, repo_id: str, files: dict[str, bytes], private: bool = False) -> str:
        """Commit ``files`` (the whole tree) to ``repo_id`` directly, as another tool
        might have; returns the commit sha."""
        with self.lock:
            self.create(repo_id, private)
            repo = self.repos[repo_id]
            commit = Commit(_sha(), dict(files), "put by the test", [{"key": "put"}])
            repo.commits[commit.sha] = commit
            repo.branches["main"] = commit.sha
        return commit.sha

    def commits_of(self, repo_id: str) -> list[Commit]:
        """The commits pushed to ``repo_id`` (without the repo's initial commit)."""
        return [c for c in self.repos[repo_id].commits.values() if c.operations]


_REPO = r"(?P<repo>[^/]+/[^/]+)"
ROUTES = [
    ("POST", re.compile(r"^/api/repos/create$"), "create_repo"),
    ("POST", re.compile(r"^/api/validate-yaml$"), "validate_yaml"),
    ("POST", re.compile(rf"^/api/models/{_REPO}/branch/(?P<branch>.+)$"), "create_branch"),
    ("POST", re.compile(rf"^/api/models/{_REPO}/preupload/(?P<rev>.+)$"), "preupload"),
    ("POST", re.compile(rf"^/api/models/{_REPO}/commit/(?P<rev>.+)$"), "commit"),
    ("POST", re.compile(rf"^/{_REPO}\.git/info/lfs/objects/batch$"), "lfs_batch"),
    ("PUT", re.compile(r"^/lfs-upload/(?P<oid>[0-9a-f]{64})$"), "lfs_put"),
    ("GET", re.compile(rf"^/api/models/{_REPO}(?:/revision/(?P<rev>.+))?$"), "model_info"),
    ("GET", re.compile(rf"^/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$"), "resolve"),
    ("HEAD", re.compile(rf"^/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$"), "resolve"),
]


class Handler(BaseHTTPRequestHandler):
    server: HubServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing ----------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        self.server.state.requests.append((method, path))
        for verb, pattern, name in ROUTES:
            match = pattern.match(path)
            if verb == method and match:
                params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                with self.server.state.lock:
                    getattr(self, name)(**params)
                return
        self._json(404, {"error": f"no route {method} {path}"})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _deny(self) -> None:
        self._json(401, {"error": "Invalid credentials"}, {"X-Error-Code": "RepoNotFound"})

    def _repo(self, repo: str, write: bool = False) -> Repo | None:
        found = self.server.state.repos.get(repo)
        if found is None or ((write or found.private) and not self._authorized()):
            self._json(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            return None
        return found

    # -- upload ------------------------------------------------------------------------
    def create_repo(self) -> None:
        if not self._authorized():
            return self._deny()
        payload = json.loads(self._body())
        repo_id = f"{payload['organization']}/{payload['name']}"
        created = self.server.state.create(repo_id, bool(payload.get("private")))
        url = f"{self.server.url}/{repo_id}"
        self._json(200 if created else 409, {"url": url, "error": "" if created else "exists"})

    def validate_yaml(self) -> None:
        """The Hub's README metadata check, in part: a YAML mapping whose model-index
        results each name a task type, a dataset and metrics with values."""
        content = json.loads(self._body())["content"]
        match = re.match(r"^---\n(.*?)\n---\n", content, flags=re.S)
        errors = []
        try:
            meta = yaml.safe_load(match.group(1)) if match else {}
        except yaml.YAMLError as err:
            meta, errors = {}, [f"front matter is not YAML: {err}"]
        if not isinstance(meta, dict):
            meta, errors = {}, ["front matter is not a mapping"]
        for model in meta.get("model-index") or []:
            for i, result in enumerate(model.get("results") or []):
                if not (result.get("task") or {}).get("type"):
                    errors.append(f"model-index result {i}: task.type is required")
                dataset = result.get("dataset") or {}
                if not (dataset.get("type") and dataset.get("name")):
                    errors.append(f"model-index result {i}: dataset.type and name are required")
                for metric in result.get("metrics") or []:
                    if "type" not in metric or "value" not in metric:
                        errors.append(f"model-index result {i}: a metric needs type and value")
        self.server.state.validated.append(content)
        if errors:
            return self._json(400, {"errors": [{"message": e} for e in errors]})
        self._json(200, {"errors": [], "warnings": []})

    def create_branch(self, repo: str, branch: str) -> None:
        found = self._repo(repo, write=True)
        if found is None:
            return
        if branch in found.branches:
            return self._json(409, {"error": "Reference already exists"})
        found.branches[branch] = found.branches["main"]
        self._json(200, {})

    def preupload(self, repo: str, rev: str) -> None:
        if self._repo(repo, write=True) is None:
            return
        files = json.loads(self._body())["files"]
        self._json(200, {"files": [
            {"path": f["path"], "shouldIgnore": False,
             "uploadMode": "lfs" if f["path"].endswith(".safetensors") else "regular"}
            for f in files
        ]})  # fmt: skip

    def lfs_batch(self, repo: str) -> None:
        if self._repo(repo, write=True) is None:
            return
        request = json.loads(self._body())
        objects = []
        for obj in request["objects"]:
            entry = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.server.state.lfs:
                href = f"{self.server.url}/lfs-upload/{obj['oid']}"
                entry["actions"] = {"upload": {"href": href}}
            objects.append(entry)
        self._json(200, {"transfer": "basic", "objects": objects})

    def lfs_put(self, oid: str) -> None:
        data = self._body()
        if hashlib.sha256(data).hexdigest() != oid:
            return self._json(400, {"error": "sha256 mismatch"})
        self.server.state.lfs[oid] = data
        self._json(200, {})

    def commit(self, repo: str, rev: str) -> None:
        found = self._repo(repo, write=True)
        if found is None:
            return
        if rev not in found.branches:
            return self._json(
                404, {"error": "Invalid rev id"}, {"X-Error-Code": "RevisionNotFound"}
            )
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        parent = found.commits[found.branches[rev]]
        files = dict(parent.files)
        summary = ""
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "header":
                summary = value.get("summary", "")
            elif key == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "lfsFile":
                if value["oid"] not in self.server.state.lfs:
                    return self._json(400, {"error": f"LFS object {value['oid']} not uploaded"})
                files[value["path"]] = self.server.state.lfs[value["oid"]]
            elif key == "deletedFile":
                files.pop(value["path"], None)
        commit = Commit(_sha(), files, summary, lines)
        found.commits[commit.sha] = commit
        found.branches[rev] = commit.sha
        url = f"{self.server.url}/{repo}/commit/{commit.sha}"
        self._json(200, {"commitUrl": url, "commitOid": commit.sha, "pullRequestUrl": None})

    # -- download ----------------------------------------------------------------------
    def _commit_at(self, repo: str, rev: str) -> tuple[Repo, Commit] | None:
        """The repo's commit at ``rev`` (answering 404 and returning None if there is none)."""
        found = self._repo(repo)
        if found is None:
            return None
        commit = found.resolve(rev)
        if commit is None:
            self._json(404, {"error": "Invalid rev id"}, {"X-Error-Code": "RevisionNotFound"})
            return None
        return found, commit

    def model_info(self, repo: str, rev: str = "main") -> None:
        if (at := self._commit_at(repo, rev)) is None:
            return
        found, commit = at
        siblings = [
            {"rfilename": path, "size": len(data), "blobId": hashlib.sha1(data).hexdigest()}
            for path, data in sorted(commit.files.items())
        ]
        self._json(200, {"id": repo, "modelId": repo, "sha": commit.sha,
                         "private": found.private, "siblings": siblings, "tags": []})  # fmt: skip

    def resolve(self, repo: str, rev: str, path: str) -> None:
        if (at := self._commit_at(repo, rev)) is None:
            return
        _, commit = at
        data = commit.files.get(path)
        if data is None:
            return self._json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("X-Repo-Commit", commit.sha)
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(data)


class HubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = HubState()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
