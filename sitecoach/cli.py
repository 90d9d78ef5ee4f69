"""`sitecoach`: everything an operator does, from one command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sitecoach.infra.private_files import restrict_new_files, secure_instance
from sitecoach.settings import REPO_ROOT, Settings, SettingsError

if TYPE_CHECKING:
    from sitecoach.conversation.inbound import Outcome
    from sitecoach.curriculum.grading import Grade, Question
    from sitecoach.records.audit_checkpoints import CheckpointRun
    from sitecoach.services import Services

# Path only (%(U)s), never the query string: the simulator's API carries phone numbers there.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def _settings() -> Settings:
    return Settings.from_env()


class _Main(click.Group):
    """The command group: a setting that must not be used (an empty or short key) is a clear error."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Main)
def main() -> None:
    """Site Coach: a WhatsApp-first learning coach for apprentice cable jointers."""
    restrict_new_files()  # every process started from here (web, worker, clock) creates owner-only files


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic), then key any audit chain written before the chain
    was keyed (each checked first; one that does not verify is named and left alone)."""
    run = _migrate(_settings())
    for broken in run.refused:
        click.echo(f"audit chain not keyed, it does not verify: {broken.describe()}", err=True)
    keyed = f"; keyed {run.written} learners' audit chains" if run.written else ""
    click.echo(f"database migrated{keyed}")


def _migrate(settings: Settings) -> CheckpointRun:
    """Owner-only instance files, the schema at head, and the audit chains keyed."""
    from sitecoach.infra.migrate import upgrade
    from sitecoach.models import utcnow
    from sitecoach.records.audit_checkpoints import rechain
    from sitecoach.records.audit_commands import audit_database

    secure_instance(settings)
    upgrade(settings.database_uri)
    db = audit_database(settings)
    try:
        return rechain(db, settings.audit_checkpoints, utcnow())
    finally:
        db.dispose()


@main.command("validate-pack")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def validate_pack(path: Path | None) -> None:
    """Check a lesson pack; every problem names its file, item and field."""
    from sitecoach.curriculum.pack import PackError, load_pack

    try:
        pack = load_pack(path or _settings().content_pack_path)
    except PackError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{pack.manifest.id}: {len(pack.competency_map.competencies)} competencies, "
        f"{len(pack.lessons)} lessons, {len(pack.quiz)} quiz items, {len(pack.cards)} knowledge cards "
        f"({sum(len(c.quiz) for c in pack.cards)} card questions), "
        f"{len(pack.passport.steps) if pack.passport else 0} passport steps: valid"
    )


def _seed(settings: Settings, demo: bool) -> str:
    from sitecoach.curriculum.pack import load_pack
    from sitecoach.learning.memory import Memory
    from sitecoach.models import Database, utcnow
    from sitecoach.records.seeding import seed_demo, sync_pack

    _migrate(settings)
    pack = load_pack(settings.content_pack_path)
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.session() as session:
            report = sync_pack(session, pack)
        learners = 0
        if demo:
            with db.session() as session:
                learners = seed_demo(
                    session,
                    pack,
                    utcnow(),
                    Memory(settings.desired_retention),
                    show_progress=True,
                    settings=settings,
                )
            if learners:
                from sitecoach.curriculum.catalogue import Catalogue
                from sitecoach.records.snapshots import refresh_all

                with db.session() as session:
                    refresh_all(
                        session,
                        Catalogue.load(session),
                        Memory(settings.desired_retention),
                        utcnow(),
                        settings.epa_pass_mark,
                    )
                from sitecoach.records.memory_fits import run_fit

                with db.session() as session:  # the outcomes page then says why FSRS keeps its defaults
                    run_fit(session, settings, utcnow())
    finally:
        db.dispose()
    return (
        f"{report.standard}: {report.competencies} competencies, {report.lessons} lessons, "
        f"{report.cards} knowledge cards, {report.quiz_items} quiz items"
        + (f"; demo cohort with {learners} learners" if learners else "")
    )


@main.command()
@click.option(
    "--demo/--no-demo", default=False, help="Also create the demo cohort (mentor and five learners)."
)
def seed(demo: bool) -> None:
    """Load the lesson pack (and optionally the demo cohort) into the database."""
    from sitecoach.curriculum.pack import PackError

    try:
        click.echo(_seed(_settings(), demo))
    except PackError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("import-standard")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with columns target,competency mapping lesson or quiz item codes to the new codes.",
)
def import_standard_cmd(file: Path, mapping: Path | None) -> None:
    """Import an official competency (KSB) list from YAML or CSV, and map lessons and items to it."""
    from sitecoach.curriculum.pack import PackError
    from sitecoach.models import Database
    from sitecoach.records.seeding import import_standard

    settings = _settings()
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.session() as session:
            report = import_standard(session, file, mapping)
    except PackError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(
        f"{report.standard}: {report.competencies} competencies imported, "
        f"{report.lessons} lessons/items mapped"
    )


@main.group()
def portfolio() -> None:
    """Learners' e-portfolios."""


@portfolio.command("export")
@click.argument("learner")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The ZIP file to write.",
)
def portfolio_export(learner: str, out: Path) -> None:
    """Write LEARNER's portfolio (phone or id) as a ZIP: index.html, index.pdf, media and CSVs."""
    from sitecoach.export import write_portfolio_zip
    from sitecoach.models import utcnow
    from sitecoach.records.portfolio import LearnerNotFound, build_portfolio, find_learner
    from sitecoach.wiring import build_services

    settings = _settings()
    services = build_services(settings, start_embedded_redis=False)
    try:
        with services.db.read_session() as session:
            try:
                row = find_learner(session, learner)
            except LearnerNotFound as exc:
                raise click.ClickException(str(exc)) from exc
            data = build_portfolio(session, services.catalogue(), services.memory, row, utcnow(), settings)
    finally:
        services.close()
    path = write_portfolio_zip(data, out, show_progress=True)
    click.echo(f"wrote {path} ({len(data.competencies)} competencies, {len(data.evidence)} evidence items)")


@main.group()
def variants() -> None:
    """Self-improving nudges: see each kind's variants, and pin or unpin one."""


@variants.command("list")
def variants_list() -> None:
    """Every kind's champion, challengers, counts, P(best) and recent decisions."""
    from sqlmodel import select

    from sitecoach.learning.bandit import BanditState, allocation
    from sitecoach.models import BanditRecord, Database

    settings = _settings()
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.read_session() as session:
            rows = session.exec(select(BanditRecord).order_by(BanditRecord.kind)).all()
    finally:
        db.dispose()
    if not rows:
        click.echo("no variants have been tried yet")
    for row in rows:
        state = BanditState.from_dict(row.state)
        pinned = f" (pinned: {state.pinned})" if state.pinned else ""
        click.echo(f"{state.kind}: champion {state.champion}{pinned}")
        best, chance = state.prob_best(), allocation(state)
        if state.pinned:  # everyone new gets the pinned variant
            chance = {name: float(name == state.pinned) for name in state.names}
        for v in state.variants:
            role = "champion" if v.name == state.champion else "challenger"
            click.echo(
                f"  {v.name} ({role}): {v.rewards}/{v.samples} counted ({v.score:.0%}), "
                f"P(best) {best[v.name]:.2f}, sent to {chance[v.name]:.0%} of new learners, "
                f"{v.lifetime_rewards}/{v.lifetime_samples} lifetime"
            )
        for line in state.history[-3:]:
            click.echo(f"  · {line}")


@variants.command("pin")
@click.argument("kind")
@click.argument("variant", required=False)
def variants_pin(kind: str, variant: str | None) -> None:
    """Always use VARIANT for KIND (omit VARIANT to unpin)."""
    from sitecoach.models import Database, utcnow
    from sitecoach.records.experiments import pin_variant

    settings = _settings()
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.session() as session:
            state = pin_variant(session, kind, variant, utcnow())
    except KeyError as exc:
        raise click.ClickException(f"no variants tried yet for {kind!r}") from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(f"{kind}: pinned {state.pinned}" if state.pinned else f"{kind}: unpinned")


@main.group()
def memory() -> None:
    """FSRS memory: fit its parameters to the cohort's quiz answers."""


@memory.command("fit")
@click.option("--dry-run", is_flag=True, help="Print the check and the decision; store nothing.")
def memory_fit(dry_run: bool) -> None:
    """Fit FSRS to every quiz answer and print the time-ordered check; store the run (not with --dry-run)."""
    from sitecoach.models import Database, utcnow
    from sitecoach.records.memory_fits import format_table, run_fit

    settings = _settings()
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.session() as session:
            _decision, row = run_fit(session, settings, utcnow(), dry_run=dry_run)
    finally:
        db.dispose()
    click.echo(f"{row.reviews:,} quiz answers from {row.learners} learners.")
    for line in format_table(row.evaluation):
        click.echo(line)
    click.echo(row.reason)
    if row.parameters:
        click.echo("Parameters: " + ", ".join(f"{p:.4f}" for p in row.parameters))
    click.echo("Dry run: nothing stored." if dry_run else f"Stored as fit run {row.id}.")


@main.group()
def learner() -> None:
    """A learner's data rights: a subject access pack, or erasure."""


@learner.command("export")
@click.argument("learner_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="The ZIP to write.")
def learner_export(learner_id: int, out: Path | None) -> None:
    """Write everything held about LEARNER_ID (JSON of every record, their photos, a README) as a ZIP."""
    from sitecoach.models import Database, utcnow
    from sitecoach.records.subject_access import SubjectAccessError, collect_pack, write_pack

    settings = _settings()
    out = out or Path(f"learner-{learner_id}-data.zip")
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.read_session() as session:
            pack = collect_pack(session, settings, learner_id, utcnow())
    except SubjectAccessError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: owner only
    with os.fdopen(fd, "wb") as fh:
        write_pack(pack, fh)
    rows = sum(len(r) for r in pack.tables.values())
    click.echo(f"wrote {out} ({rows} records, {len(pack.media)} media files)")


@learner.command("erase")
@click.argument("learner_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask to confirm.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who asked (kept in the record).")
def learner_erase(learner_id: int, yes: bool, actor: str) -> None:
    """Erase LEARNER_ID's personal data; their learning record stays, pseudonymous."""
    from sitecoach.models import Database, utcnow
    from sitecoach.records.erasure import ErasureError, erase_learner

    if not yes:
        click.confirm(f"Erase learner {learner_id}'s personal data? This cannot be undone", abort=True)
    settings = _settings()
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        outcome = erase_learner(db, settings, learner_id, actor=actor, reason="request", now=utcnow())
    except ErasureError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    if outcome.already:
        click.echo(f"learner {learner_id} was already erased")
        return
    counts = ", ".join(f"{k} {v}" for k, v in outcome.counts.items() if v)
    click.echo(f"erased learner {learner_id}: {counts}; {outcome.files_deleted} media files deleted")


@main.command()
@click.option("--workers", default=lambda: os.environ.get("WEB_CONCURRENCY", "2"), show_default="2")
def web(workers: str) -> None:
    """Serve the web app with gunicorn (the Procfile's `web`); on loopback only while the simulator is on."""
    settings = _settings()
    local_only = settings.simulator_enabled and not settings.simulator_allow_remote
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"{'127.0.0.1' if local_only else '0.0.0.0'}:{settings.port}",
            "--timeout",
            "30",
            "--access-logfile",
            "-",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "sitecoach.wiring:create_app()",
        ],
    )


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for the coach's queue (the Procfile's `worker`).

    Jobs run in the worker's own process (warm imports, pooled connections) unless WORKER_FORK is set;
    a worker killed mid-job is safe either way: jobs are idempotent and the sweeper re-queues orphans.
    """
    from rq import SimpleWorker, Worker

    import sitecoach.jobs.tasks  # noqa: F401 - before the first job, so it is not the slow one (or each fork's)
    from sitecoach.infra.observability import configure_logging
    from sitecoach.jobs import runtime
    from sitecoach.jobs.legacy import MovedPathJob
    from sitecoach.wiring import build_services, install_job_services

    configure_logging()
    settings = _settings()
    install_job_services()
    services = build_services(settings)
    runtime.install(services)
    services.catalogue()  # load once; forked work-horses inherit it
    worker_class = Worker if settings.worker_fork else SimpleWorker
    worker_class(services.queues, connection=services.redis, job_class=MovedPathJob).work(
        burst=burst, with_scheduler=True, logging_level="INFO"
    )


@main.command()
def clock() -> None:
    """Run the clock (the Procfile's `clock`): fires the schedule table, only enqueues. Run exactly one."""
    import logging

    from sitecoach.infra.embedded_redis import ensure_embedded_redis
    from sitecoach.infra.observability import configure_logging
    from sitecoach.jobs.clock import build_scheduler

    configure_logging(logging.INFO)
    settings = _settings()
    redis_url = settings.redis_url or ensure_embedded_redis(settings.instance_path)
    build_scheduler(settings.queue_name, redis_url, settings.default_timezone).start()


CLASSIFY_BATCH = 2000  # lines read before classifying, so a pipe of messages is not one call each


@main.command()
@click.option(
    "--explain",
    is_flag=True,
    help="Add every intent's probability, the safety flag, P(opt-out) and whether an urgent reply opts out.",
)
def classify(explain: bool) -> None:
    """Read one message a line on stdin; print {"text", "intent", "confidence"} a line."""
    from sitecoach.skills import build_classifier

    classifier = build_classifier()

    def emit(text: str) -> None:
        result = classifier.classify(text)
        row: dict[str, object] = {"text": text, "intent": result.intent}
        row["confidence"] = round(result.confidence, 3)
        if explain:
            row["possible_emergency"] = result.possible_emergency
            row["also_opts_out"] = result.opt_out  # a STOP honoured beside an urgent reply
            row["opt_out_probability"] = round(result.opt_out_probability, 4)
            if result.otherwise is not None:  # a model-only emergency: what a barely-sure one is answered as
                row["otherwise"] = result.otherwise.intent
            row["probabilities"] = {
                k: round(v, 4) for k, v in sorted(result.probabilities.items(), key=lambda kv: -kv[1])
            }
        click.echo(json.dumps(row, ensure_ascii=False))

    for line in sys.stdin:
        emit(line.rstrip("\n"))


@main.group()
def nlu() -> None:
    """The language layer: train the intent model."""


@nlu.command("train")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds for the detector bars.")
def nlu_train(folds: int) -> None:
    """Train the intent model from the skills' examples and write the versioned artefact."""
    import time

    from sitecoach.nlu.classifier import MODEL_PATH
    from sitecoach.nlu.training import train
    from sitecoach.skills import build_registry

    examples = build_registry().examples()
    total = sum(len(v) for v in examples.values())
    click.echo(f"training on {total} examples of {len(examples)} intents ({folds}-fold cross-validation)...")
    started = time.perf_counter()
    model = train(examples, folds=folds, show_progress=True)
    model.save(MODEL_PATH)
    bars = ", ".join(f"{k} {v:.3f}" for k, v in sorted(model.thresholds.items()))
    click.echo(f"wrote {MODEL_PATH.name} in {time.perf_counter() - started:.1f} s; bars: {bars}")


@main.group()
def cards() -> None:
    """The knowledge cards: train the re-ranker that decides whether a card answers."""


@cards.command("train-ranker")
def cards_train_ranker() -> None:
    """Train the card re-ranker on the pack's card phrasings and tuning questions; write its JSON."""
    from sitecoach.curriculum.card_ranker import SHIPPED
    from sitecoach.curriculum.card_ranker_training import load_tuning, refused_share, train
    from sitecoach.curriculum.card_search import CardInfo
    from sitecoach.curriculum.pack import load_pack

    path = _settings().content_pack_path
    cards = [CardInfo.from_content(c.model_dump(mode="json")) for c in load_pack(path).cards]
    started = time.perf_counter()
    result = train(cards, load_tuning(path / "tuning"))
    result.ranker.save(SHIPPED)
    t = result.ranker.threshold
    click.echo(
        f"wrote {SHIPPED.name} in {time.perf_counter() - started:.1f} s ({result.ranker.trained_on}); "
        f"threshold {t:.2f}: in-scope refused {refused_share(result.in_scope, t):.1%}, "
        f"out of scope refused {refused_share(result.outside, t):.1%} (out of fold)"
    )


@cards.command("train-scope")
def cards_train_scope() -> None:
    """Train the scope model (is a question about the job?) on the pack's phrasings, the tuning questions
    and the off-topic examples; write its .npz and print the out-of-fold table its threshold comes from."""
    from sitecoach.curriculum.card_ranker_training import load_tuning
    from sitecoach.curriculum.card_search import CardInfo
    from sitecoach.curriculum.pack import load_pack
    from sitecoach.curriculum.scope_model import SHIPPED
    from sitecoach.curriculum.scope_training import (
        MAX_JOB_VETOED,
        MAX_OFF_TOPIC_LET_IN,
        off_topic_sections,
        train,
    )
    from sitecoach.skills.contract import EXAMPLES_DIR

    path = _settings().content_pack_path
    cards = [CardInfo.from_content(c.model_dump(mode="json")) for c in load_pack(path).cards]
    off_topic = off_topic_sections((EXAMPLES_DIR / "explain.txt").read_text(encoding="utf-8"))
    started = time.perf_counter()
    result = train(cards, load_tuning(path / "tuning"), off_topic)
    result.scope.save(SHIPPED)
    click.echo(
        f"{'threshold':>9s} {'job questions the bars refuse, answered':>40s} {'off-topic let in':>17s}"
    )
    for t, answered, let_in in result.table:
        if round(t * 100) % 5 == 0 or t == result.scope.threshold:
            click.echo(f"{t:9.2f} {answered:40.1%} {let_in:17.1%}")
    click.echo(
        f"wrote {SHIPPED.name} in {time.perf_counter() - started:.1f} s ({result.job} job questions, "
        f"{result.off_topic} off topic); threshold {result.scope.threshold:.2f}, the lowest letting in at "
        f"most "
        f"{MAX_OFF_TOPIC_LET_IN:.1%} of the off-topic questions (out of fold)"
    )
    click.echo(f"{'veto':>9s} {'job questions refused':>40s} {'off-topic the bars answer, refused':>35s}")
    for v, lost, refused in result.veto_table:
        if round(v * 100) % 5 == 0 or v == result.scope.veto:
            click.echo(f"{v:9.2f} {lost:40.2%} {refused:35.1%}")
    click.echo(
        f"veto {result.scope.veto:.2f}: the highest under which at most {MAX_JOB_VETOED:.1%} of the job "
        "questions fall (out of fold); under it a question is refused whatever the card bars say"
    )


ASK_PHONES = "+447000"  # a new learner for each `ask` without --phone: +447000 and eight digits


@main.command()
@click.argument("text")
@click.option(
    "--phone",
    default=None,
    help="The learner to ask as (E.164); the conversation goes on from their last message. Without it each "
    "ask is a new learner: no earlier question, quiz or opt-out carries over.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"intent", "skill", "replies": [...]}.')
def ask(text: str, phone: str | None, as_json: bool) -> None:
    """Run one message through the real router and skills for a learner and print the reply."""
    if phone is None:
        phone = f"{ASK_PHONES}{uuid.uuid4().int % 10**8:08d}"
    settings = _settings().with_overrides(coach_channel="simulator")
    _ensure_seeded(settings)
    from sitecoach.wiring import build_services

    services = build_services(settings, start_embedded_redis=False)
    try:
        outcome = _ask_as(services, phone, text)
    finally:
        services.close()
    if as_json:
        click.echo(
            json.dumps(
                {"intent": outcome.intent, "skill": outcome.skill, "replies": outcome.replies},
                ensure_ascii=False,
            )
        )
    else:
        click.echo("\n\n".join(outcome.replies))


def _ask_as(services: Services, phone: str, text: str) -> Outcome:
    """Store one WhatsApp-shaped message from `phone` (an opted-in learner, made if new) and process it."""
    from sqlmodel import select

    from sitecoach.conversation.inbound import process_inbound, store_inbound
    from sitecoach.delivery.twilio_form import FormError, parse_inbound
    from sitecoach.models import Consent, ConsentMethod, Learner, utcnow
    from sitecoach.records.consent import record_consent

    try:
        form = parse_inbound(
            {"MessageSid": "CLI" + uuid.uuid4().hex, "From": f"whatsapp:{phone}", "Body": text}
        )
    except FormError as exc:
        raise click.ClickException(str(exc)) from exc
    with services.db.session() as session:
        if session.exec(select(Learner).where(Learner.phone == form.phone)).first() is None:
            zone = services.settings.default_timezone
            learner = Learner(phone=form.phone, name="Apprentice", timezone=zone)
            record_consent(session, learner, Consent.OPTED_IN, ConsentMethod.SEED, utcnow())
    message_id = store_inbound(services.db, form, utcnow())
    return process_inbound(services, int(message_id))


@main.group("eval")
def evaluate() -> None:
    """Measure the coach on a question set, offline, through the real message path."""


@evaluate.command("explain")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON line per question, then the summary.")
def eval_explain(file: Path, as_json: bool) -> None:
    """Ask every question of FILE (each as a new learner) and print grounded, refused and dangerous."""
    from sitecoach.curriculum.grading import QuestionSetError, load_questions

    try:
        questions = load_questions(file)
    except QuestionSetError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = _settings().with_overrides(coach_channel="simulator", anthropic_api_key="")
    _ensure_seeded(settings)
    from sitecoach.wiring import build_services

    services = build_services(settings, start_embedded_redis=False)
    try:
        grades, seconds = explain_eval(services, questions, show_progress=not as_json)
    finally:
        services.close()
    _print_explain_eval(grades, seconds, as_json)


def explain_eval(
    services: Services, questions: list[Question], show_progress: bool = False
) -> tuple[list[Grade], list[float]]:
    """Ask each question as its own new learner through the real path; grade the replies."""
    from sitecoach.curriculum.grading import grade
    from sitecoach.infra.progress import progress

    refusal = services.prompts.render("explain/not_covered", question="").splitlines()[0]
    run = uuid.uuid4().int % 10**6
    grades, seconds = [], []
    for n, question in enumerate(progress(questions, "asking", show=show_progress)):
        started = time.perf_counter()
        outcome = _ask_as(services, f"+4470{run:06d}{n:04d}", question.text)
        seconds.append(time.perf_counter() - started)
        answer = "\n\n".join(outcome.replies)
        grades.append(grade(question, answer, refused=refusal in answer, skill=outcome.skill or ""))
    return grades, seconds


def _print_explain_eval(grades: list[Grade], seconds: list[float], as_json: bool) -> None:
    from sitecoach.curriculum.grading import summary

    figures = summary(grades)
    ordered = sorted(seconds)
    figures["p95_answer_ms"] = round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1) if ordered else 0.0
    if as_json:
        for g in grades:
            line = {"id": g.question.id, "grounded": g.grounded, "refused": g.refused}
            line |= {"dangerous": g.dangerous, "skill": g.skill, "missing": g.missing, "answer": g.answer}
            click.echo(json.dumps(line, ensure_ascii=False))
        click.echo(json.dumps(figures))
        return
    click.echo(f"{'measure':28s} {'value':>8s}")
    for key in ("grounded", "in_scope_refused", "out_of_scope_refused"):
        click.echo(f"{key.replace('_', ' '):28s} {figures[key]:8.1%}")
    click.echo(f"{'dangerous':28s} {figures['dangerous']:8d}")
    click.echo(f"{'p95 answer time':28s} {figures['p95_answer_ms']:6.1f} ms")
    click.echo(f"({figures['in_scope']} in scope, {figures['out_of_scope']} out of scope)")


def _ensure_seeded(settings: Settings) -> None:
    """Migrate and load the pack if this database has no lessons yet."""
    from sqlalchemy import inspect, text

    from sitecoach.models import Database

    db = Database(settings.database_uri, audit_key=settings.audit_key)
    try:
        with db.engine.connect() as conn:
            ready = (
                inspect(conn).has_table("lesson")
                and conn.execute(text("SELECT COUNT(*) FROM lesson")).scalar()
            )
    finally:
        db.dispose()
    if not ready:
        _seed(settings, demo=False)


def _wait_healthy(url: str, seconds: float) -> bool:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


@main.command()
@click.option("--no-seed", is_flag=True, help="Skip migrating and seeding.")
def demo(no_seed: bool) -> None:
    """Migrate, seed the pack and a demo cohort, and run web + worker + clock until Ctrl-C."""
    from sitecoach.infra.embedded_redis import ensure_embedded_redis, stop_embedded_redis
    from sitecoach.records.seeding import (
        DEMO_MENTOR_EMAIL,
        DEMO_MENTOR_PASSWORD,
        DEMO_MENTOR_PHONE,
        DEMO_PROVIDER_EMAIL,
    )

    env = dict(os.environ)
    env["SIMULATOR_ENABLED"] = env.get("SIMULATOR_ENABLED") or "1"  # the demo is driven from the simulator
    settings = Settings.from_env(env)
    if not no_seed:
        click.echo("Migrating and seeding ... " + _seed(settings, demo=True))
    started_redis = not settings.redis_url
    env["REDIS_URL"] = settings.redis_url or ensure_embedded_redis(settings.instance_path)
    env.setdefault("PYTHONUNBUFFERED", "1")
    exe = [sys.executable, "-m", "sitecoach.cli"]
    procs = {
        "web": subprocess.Popen(exe + ["web", "--workers", "2"], env=env, cwd=REPO_ROOT),
        "worker": subprocess.Popen(exe + ["worker"], env=env, cwd=REPO_ROOT),
        "clock": subprocess.Popen(exe + ["clock"], env=env, cwd=REPO_ROOT),
    }

    def stop(*_args: object) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if started_redis:
            stop_embedded_redis(settings.instance_path)
        click.echo("Site Coach stopped.")
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    local = f"http://localhost:{settings.port}"
    healthy = _wait_healthy(f"{local}/health", 60)
    from sitecoach.curriculum.videos import tools_available

    if all(tools_available()):  # narrated lesson videos, rendered once in the background
        procs["videos"] = subprocess.Popen(exe + ["render-videos", "--no-progress"], env=env, cwd=REPO_ROOT)
    if healthy:
        click.echo("\n" + "=" * 64)
        click.echo("Site Coach is running (Ctrl-C stops web, worker and clock)")
        login = f"{DEMO_MENTOR_EMAIL} / {DEMO_MENTOR_PASSWORD}"
        click.echo(f"  Log in as          : {login}  (an admin; works in demo mode only)")
        staff = f"{DEMO_PROVIDER_EMAIL} / {DEMO_MENTOR_PASSWORD}"
        click.echo(f"  Provider (DSL)     : {staff}  (the cohort's provider user)")
        click.echo(f"  WhatsApp simulator : {local}/simulator  (this machine only, after logging in)")
        click.echo(f"  Mentor summary     : {local}/mentor")
        click.echo(f"  Admin              : {local}/admin")
        click.echo(f"  Health, metrics    : {local}/health , {local}/metrics (metrics: logged in)")
        click.echo(f"  Demo learners      : Jamie, Priya, Callum, Ellie, Dev; mentor Sam {DEMO_MENTOR_PHONE}")
        click.echo("=" * 64 + "\n")
    else:
        click.echo("Web did not become healthy within 60 s; see the log above.", err=True)
    while True:
        for name, proc in procs.items():
            if name == "videos":
                continue  # finishing is what it is for
            if proc.poll() is not None:
                click.echo(f"{name} exited with code {proc.returncode}; stopping.", err=True)
                stop()
        time.sleep(1)


def _register_commands() -> None:
    from sitecoach.curriculum.videos import render_videos_command
    from sitecoach.records.audit_commands import audit

    main.add_command(render_videos_command)
    main.add_command(audit)


_register_commands()

if __name__ == "__main__":
    main()
