"""data rights: consent records and erasure records

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:50:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import sitecoach.models.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consentrecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.Column('consent', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('wording', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['mentor.id'], name=op.f('fk_consentrecord_actor_id_mentor')),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_consentrecord_learner_id_learner')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_consentrecord_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consentrecord'))
    )
    with op.batch_alter_table('consentrecord', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consentrecord_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consentrecord_learner_id'), ['learner_id'], unique=False)

    op.create_table('erasurerecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_erasurerecord_learner_id_learner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasurerecord')),
    sa.UniqueConstraint('learner_id', name=op.f('uq_erasurerecord_learner_id'))
    )

    # Consent given before this revision was kept only as the learner's current value (and a
    # consent_changed event); carry each into the record so the history starts from what is known.
    op.execute(
        "INSERT INTO consentrecord (learner_id, at, consent, method, wording) "
        "SELECT id, COALESCE(consent_changed_at, created_at), consent, 'before_record', '' "
        "FROM learner WHERE consent <> 'pending'"
    )


def downgrade() -> None:
    op.drop_table('erasurerecord')
    with op.batch_alter_table('consentrecord', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consentrecord_learner_id'))
        batch_op.drop_index(batch_op.f('ix_consentrecord_at'))
    op.drop_table('consentrecord')
