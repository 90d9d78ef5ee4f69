"""audit chain on learning events; planned off-the-job hours per cohort

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:53:21.164622
"""
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from sitecoach.records.audit import event_hash

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _backfill_chain() -> None:
    """Number and chain any events that already exist, per learner in id order."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, learner_id, kind, at, data FROM learningevent ORDER BY learner_id, id")).all()
    prev_by_learner: dict[int, tuple[int, str]] = {}
    for row in rows:
        seq, prev = prev_by_learner.get(row.learner_id, (0, ""))
        at = row.at
        if isinstance(at, str):  # SQLite hands back text
            from datetime import datetime

            at = datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
        digest = event_hash(row.learner_id, seq + 1, row.kind, at, data, prev)
        conn.execute(sa.text("UPDATE learningevent SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = :id"),
                     {"seq": seq + 1, "prev": prev, "hash": digest, "id": row.id})
        prev_by_learner[row.learner_id] = (seq + 1, digest)


def upgrade() -> None:
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_otj_hours', sa.Float(), nullable=False, server_default="720"))

    with op.batch_alter_table('learningevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=False, server_default=""))

    _backfill_chain()

    with op.batch_alter_table('learningevent', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_learningevent_learner_id'), ['learner_id', 'seq'])


def downgrade() -> None:
    with op.batch_alter_table('learningevent', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_learningevent_learner_id'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('planned_otj_hours')
