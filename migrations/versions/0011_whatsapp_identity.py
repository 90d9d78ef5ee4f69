"""whatsapp identity: a learner or mentor may be a number, a BSUID (business-scoped user id), or both

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:50:00

Existing learners keep their number as their identity (nothing is rewritten); `learner.phone` may now be
empty for someone who reached us with a BSUID only. `message.phone` (the other party's WhatsApp address)
is widened to hold a BSUID when no number is known.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

MAX_BSUID = 135
MAX_USERNAME = 100


def _identity_columns(batch_op) -> None:  # type: ignore[no-untyped-def]
    batch_op.add_column(sa.Column('bsuid', sqlmodel.sql.sqltypes.AutoString(length=MAX_BSUID), nullable=True))
    batch_op.add_column(sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=MAX_USERNAME), nullable=True))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'  # (SQLite rebuilds learner to drop NOT NULL: env.py)
    for table in ('learner', 'mentor'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            _identity_columns(batch_op)
            batch_op.create_index(batch_op.f(f'ix_{table}_bsuid'), ['bsuid'], unique=True)
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
    with op.batch_alter_table('message', schema=None) as batch_op:
        _identity_columns(batch_op)
        if not sqlite:  # SQLite does not enforce a VARCHAR's length: nothing to widen there
            batch_op.alter_column(
                'phone',
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                type_=sqlmodel.sql.sqltypes.AutoString(length=MAX_BSUID),
                existing_nullable=False,
            )


def downgrade() -> None:
    """Back to numbers only: refused while a learner has no number (they would be lost)."""
    bind = op.get_bind()
    orphans = bind.execute(sa.text('SELECT count(*) FROM learner WHERE phone IS NULL')).scalar()
    if orphans:
        raise RuntimeError(f'{orphans} learner(s) have no phone number: downgrade would lose them')
    sqlite = bind.dialect.name == 'sqlite'
    with op.batch_alter_table('message', schema=None) as batch_op:
        if not sqlite:
            batch_op.alter_column(
                'phone',
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=MAX_BSUID),
                type_=sqlmodel.sql.sqltypes.AutoString(length=20),
                existing_nullable=False,
            )
        batch_op.drop_column('username')
        batch_op.drop_column('bsuid')
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
    for table in ('mentor', 'learner'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_bsuid'))
            batch_op.drop_column('username')
            batch_op.drop_column('bsuid')
