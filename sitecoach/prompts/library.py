"""The one prompt renderer: `prompts/<skill>/<name>.txt`, Jinja in a sandbox, declared variables only.

Each file opens with a comment that declares its variables, for example::

    {# variables: name, lesson_title #}
    Hi {{ name }}, ...

Learner text is only ever passed in as a variable value, so it is never parsed as template code.
A file is re-read when it changes on disk, so an edit reaches every process without a restart.

The file is version 0. When a `store` is attached (`sitecoach.records.prompt_store.PromptStore`, set by
`build_services`), a wording edited in the admin pages and kept in the database wins over the file; a
stored version that does not parse is logged and skipped, so the file answers instead. With no store
(a bare folder, as in the prompt tests) only the files are read.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from sitecoach.prompts.sandbox import CappedSandbox, max_chars, render_capped

log = logging.getLogger(__name__)
_DECLARATION = re.compile(r"^\{#\s*variables:\s*(?P<names>[^#]*?)\s*#\}\s*\n?")
SUFFIX = ".txt"
COMPILED_TEMPLATES = 1024  # every prompt's current text, with room for edits and previews


class PromptError(ValueError):
    """A prompt that is missing, malformed, or uses variables it does not declare."""


@dataclass(frozen=True)
class Prompt:
    """One parsed prompt file."""

    name: str
    variables: tuple[str, ...]
    source: str
    mtime_ns: int
    version: int = 0  # 0: the file on disk; 1, 2...: a wording saved in the admin pages


class PromptSource(Protocol):
    """Where edited prompt wordings live (the database, in a running coach)."""

    def latest(self, name: str) -> tuple[int, str] | None:
        """The newest stored (version, text) of a prompt, or None to use the file."""
        ...

    def invalidate(self) -> None:
        """Forget what is cached (this process just saved a new version)."""
        ...


def parse_prompt(
    name: str, text: str, env: SandboxedEnvironment, mtime_ns: int = 0, version: int = 0
) -> Prompt:
    """Parse and check a prompt's text: a declaration line, valid Jinja, no undeclared variables."""
    match = _DECLARATION.match(text)
    if not match:
        raise PromptError(f"{name}: the first line must declare variables, e.g. '{{# variables: name #}}'")
    declared = tuple(v.strip() for v in match.group("names").split(",") if v.strip())
    try:
        used = meta.find_undeclared_variables(env.parse(text))
    except TemplateSyntaxError as exc:
        raise PromptError(f"{name}: template syntax error on line {exc.lineno}: {exc.message}") from exc
    undeclared = sorted(used - set(declared))
    if undeclared:
        raise PromptError(f"{name}: uses undeclared variable(s): {', '.join(undeclared)}")
    return Prompt(name=name, variables=declared, source=text, mtime_ns=mtime_ns, version=version)


class PromptLibrary:
    """Loads, checks and renders the prompt files under one folder."""

    def __init__(self, root: Path, store: PromptSource | None = None) -> None:
        self.root = root
        self.store = store
        self._env = CappedSandbox()
        self._cache: dict[str, Prompt] = {}
        # Compiled templates by their text: compiling is most of a render (an edit is a new text)
        self._compile = lru_cache(maxsize=COMPILED_TEMPLATES)(self._env.from_string)
        self._stored: dict[str, Prompt] = {}
        self._refused: set[tuple[str, int, str]] = set()
        self._lock = threading.RLock()  # re-entrant: a stored prompt is checked against its file

    def path_of(self, name: str) -> Path:
        """The file behind a prompt name like 'quiz/correct'."""
        if not re.fullmatch(r"[a-z0-9_]+/[a-z0-9_]+", name):
            raise PromptError(f"bad prompt name {name!r}")
        return self.root / f"{name}{SUFFIX}"

    def names(self) -> list[str]:
        """Every prompt name in the folder."""
        return sorted(
            f"{p.parent.name}/{p.stem}"
            for p in self.root.glob(f"*/*{SUFFIX}")
            if p.parent.name != "__pycache__"
        )

    def get(self, name: str) -> Prompt:
        """The current version of a prompt: the newest valid stored one, else the file."""
        self.path_of(name)  # refuses a bad name before anything is looked up
        stored = self._stored_prompt(name) if self.store is not None else None
        return stored or self.file_prompt(name)

    def validate(self, name: str, text: str, version: int = 0) -> Prompt:
        """Parse a candidate wording with this library's sandbox (raises PromptError)."""
        self.path_of(name)
        return parse_prompt(name, text, self._env, version=version)

    def _stored_prompt(self, name: str) -> Prompt | None:
        assert self.store is not None
        try:
            found = self.store.latest(name)
        except Exception:  # noqa: BLE001 - the store failing must never silence the coach: use the file
            log.exception("prompt store failed for %s; using the file", name)
            return None
        if found is None:
            return None
        version, text = found
        with self._lock:
            cached = self._stored.get(name)
            if cached and cached.version == version and cached.source == text:
                return cached
            if (name, version, text) in self._refused:
                return None
            try:
                prompt = parse_prompt(name, text, self._env, version=version)
                self.check_supplied(prompt)
            except PromptError as exc:
                log.error("stored prompt %s v%d refused, using the file: %s", name, version, exc)
                self._refused.add((name, version, text))
                return None
            self._stored[name] = prompt
            return prompt

    def check_supplied(self, prompt: Prompt) -> None:
        """Refuse a wording that declares a variable the coach's code does not pass (the file's are)."""
        if not self.path_of(prompt.name).exists():
            return
        extra = sorted(set(prompt.variables) - set(self.file_prompt(prompt.name).variables))
        if extra:
            raise PromptError(
                f"{prompt.name}: declares variable(s) the coach does not supply: {', '.join(extra)}"
            )

    def file_prompt(self, name: str) -> Prompt:
        """Version 0: the prompt file on disk, re-read if it changed."""
        path = self.path_of(name)
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError as exc:
            raise PromptError(f"no prompt named {name!r} ({path})") from exc
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached.mtime_ns == mtime:
                return cached
            prompt = parse_prompt(name, path.read_text(encoding="utf-8"), self._env, mtime)
            self._cache[name] = prompt
            return prompt

    def render(self, name: str, /, **variables: Any) -> str:
        """Render a prompt with exactly its declared variables."""
        return self.render_prompt(self.get(name), **variables)

    def render_prompt(self, prompt: Prompt, /, **variables: Any) -> str:
        """Render an already parsed prompt (a stored one, or a candidate being previewed), cut at the
        prompt's length cap (`sandbox.max_chars`) with an error logged if it runs over."""
        text, cut = self.render_within_cap(prompt, **variables)
        if cut:
            log.error(
                "prompt %s v%d rendered more than %d characters: cut (edit it in the admin pages)",
                prompt.name,
                prompt.version,
                max_chars(prompt.name),
            )
        return text

    def render_within_cap(self, prompt: Prompt, /, **variables: Any) -> tuple[str, bool]:
        """The render cut at the prompt's length cap, and whether it had to be cut."""
        missing = [v for v in prompt.variables if v not in variables]
        if missing:
            raise PromptError(f"{prompt.name}: missing variable(s): {', '.join(missing)}")
        body = _DECLARATION.sub("", prompt.source, count=1)
        return render_capped(self._compile(body).generate(**variables), max_chars(prompt.name))

    def check(self, required: list[str] | None = None) -> list[str]:
        """Parse every prompt (and require the named ones); return the problems found."""
        problems: list[str] = []
        for name in sorted(set(self.names()) | set(required or [])):
            try:
                self.get(name)
            except PromptError as exc:
                problems.append(str(exc))
        return problems
