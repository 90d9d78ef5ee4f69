"""`sitecoach audit ...`: verify the learning-event chains, write their signed checkpoints, key old chains."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from sitecoach.models import Database, utcnow
from sitecoach.records.audit_checkpoints import (
    CheckpointRun,
    rechain,
    verify_with_checkpoints,
    write_checkpoints,
)
from sitecoach.settings import Settings


def audit_database(settings: Settings) -> Database:
    """A database handle whose sessions carry the audit key."""
    return Database(settings.database_uri, audit_key=settings.audit_key)


def _report(run: CheckpointRun, done: str) -> None:
    for problem in run.problems:
        click.echo(f"CHECKPOINT FILE: {problem}", err=True)
    for broken in run.refused:
        click.echo(f"REFUSED: {broken.describe()}", err=True)
    click.echo(done)
    if run.refused or run.problems:
        raise SystemExit(1)


@click.group()
def audit() -> None:
    """The audit trail of learning events."""


@audit.command("verify")
def audit_verify() -> None:
    """Re-walk every learner's keyed chain and check it against the latest signed checkpoint; exit 1 naming
    the first broken entry of each broken chain (a truncated chain names its last remaining entry)."""
    settings = Settings.from_env()
    db = audit_database(settings)
    try:
        report, problems = verify_with_checkpoints(db, settings.audit_checkpoints)
    finally:
        db.dispose()
    for problem in problems:
        click.echo(f"CHECKPOINT FILE: {problem}", err=True)
    for broken in report.breaks:
        click.echo(f"BROKEN: {broken.describe()}", err=True)
    if report.breaks or problems:
        raise SystemExit(1)
    click.echo(f"audit trail intact: {report.events} events across {report.learners} learners")


def _with_database(operation: Callable[[Database, Path], CheckpointRun]) -> tuple[CheckpointRun, Path]:
    """Run a checkpoint operation on this install's database and checkpoint file."""
    settings = Settings.from_env()
    db = audit_database(settings)
    try:
        return operation(db, settings.audit_checkpoints), settings.audit_checkpoints
    finally:
        db.dispose()


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Append a signed checkpoint (event count and newest hash) for every chain that grew (the nightly job
    does the same); a chain that does not verify is refused and named."""
    run, path = _with_database(lambda db, path: write_checkpoints(db, path, utcnow()))
    _report(run, f"checkpointed {run.written} learners in {path}")


@audit.command("rechain")
def audit_rechain() -> None:
    """Key the chains written before the chain was keyed (`sitecoach migrate` does it too): each is checked
    first and left alone, named, if it does not verify."""
    run, _ = _with_database(lambda db, path: rechain(db, path, utcnow()))
    _report(run, f"keyed {run.written} learners' chains")
