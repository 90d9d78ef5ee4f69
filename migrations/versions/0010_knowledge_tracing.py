"""knowledge tracing: a belief per review; badges the old mastery formula gave are re-judged

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 19:40:00

Data step: `sitecoach.records.badge_review.review_badges_on` replays every badge holder's history by the
new rules and withdraws (with a note, appended to the audit chain) the badges it does not support. It runs
today's code on purpose: the rules it applies are today's.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reviewstate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('known', sa.Float(), nullable=True))
    from sitecoach.records.badge_review import review_badges_on

    review_badges_on(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    with op.batch_alter_table('reviewstate', schema=None) as batch_op:
        batch_op.drop_column('known')
