"""safeguarding: the restricted log of concerns for the designated safeguarding lead, and its notes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 05:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import sitecoach.models.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('safeguardingconcern',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('told', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('created_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sitecoach.models.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_safeguardingconcern_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_safeguardingconcern_learner_id_learner')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_safeguardingconcern_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safeguardingconcern')),
    sa.UniqueConstraint('message_id', name=op.f('uq_safeguardingconcern_message_id'))
    )
    with op.batch_alter_table('safeguardingconcern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safeguardingconcern_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safeguardingconcern_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safeguardingconcern_status'), ['status'], unique=False)

    op.create_table('safeguardingnote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('concern_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['mentor.id'], name=op.f('fk_safeguardingnote_author_id_mentor')),
    sa.ForeignKeyConstraint(['concern_id'], ['safeguardingconcern.id'], name=op.f('fk_safeguardingnote_concern_id_safeguardingconcern')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safeguardingnote'))
    )
    with op.batch_alter_table('safeguardingnote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safeguardingnote_concern_id'), ['concern_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('safeguardingnote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safeguardingnote_concern_id'))
    op.drop_table('safeguardingnote')
    with op.batch_alter_table('safeguardingconcern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safeguardingconcern_status'))
        batch_op.drop_index(batch_op.f('ix_safeguardingconcern_learner_id'))
        batch_op.drop_index(batch_op.f('ix_safeguardingconcern_cohort_id'))
    op.drop_table('safeguardingconcern')
