"""Prompts are data: text files under this folder, rendered only through `PromptLibrary.render`."""

from sitecoach.prompts.library import Prompt, PromptError, PromptLibrary, parse_prompt

__all__ = ["Prompt", "PromptError", "PromptLibrary", "parse_prompt"]
