"""The one prompt renderer: `prompts/<skill>/<name>.txt`, Jinja in a sandbox, declared variables only.

Each file opens with a comment that declares its variables, for example::

    {# variables: name, lesson_title #}
    Hi {{ name }}, ...

Learner text is only ever passed in as a variable value, so it is never parsed as template code.
A file is re-read when it changes on disk, so an edit reaches every process without a restart.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

_DECLARATION = re.compile(r"^\{#\s*variables:\s*(?P<names>[^#]*?)\s*#\}\s*\n?")
SUFFIX = ".txt"


class PromptError(ValueError):
    """A prompt that is missing, malformed, or uses variables it does not declare."""


@dataclass(frozen=True)
class Prompt:
    """One parsed prompt file."""

    name: str
    variables: tuple[str, ...]
    source: str
    mtime_ns: int


def parse_prompt(name: str, text: str, env: SandboxedEnvironment, mtime_ns: int = 0) -> Prompt:
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
    return Prompt(name=name, variables=declared, source=text, mtime_ns=mtime_ns)


class PromptLibrary:
    """Loads, checks and renders the prompt files under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._env = SandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
        )
        self._cache: dict[str, Prompt] = {}
        self._lock = threading.Lock()

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
        """The current version of a prompt, re-read if the file changed."""
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
        prompt = self.get(name)
        missing = [v for v in prompt.variables if v not in variables]
        if missing:
            raise PromptError(f"{name}: missing variable(s): {', '.join(missing)}")
        body = _DECLARATION.sub("", prompt.source, count=1)
        return self._env.from_string(body).render(**variables).strip()

    def check(self, required: list[str] | None = None) -> list[str]:
        """Parse every prompt (and require the named ones); return the problems found."""
        problems: list[str] = []
        for name in sorted(set(self.names()) | set(required or [])):
            try:
                self.get(name)
            except PromptError as exc:
                problems.append(str(exc))
        return problems
