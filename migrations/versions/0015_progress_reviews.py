"""progress reviews: the 12-weekly review of each learner and its versioned text

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 05:00:00
"""
from alembic import op
import sqlalchemy as sa

import sitecoach.models.db


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('progressreview',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('period_start', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.Column('due_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('baseline', sa.JSON(), nullable=False),
    sa.Column('drafted_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.Column('ready_at', sitecoach.models.db.UTCDateTime(), nullable=True),
    sa.Column('learner_signed_at', sitecoach.models.db.UTCDateTime(), nullable=True),
    sa.Column('employer_signed_at', sitecoach.models.db.UTCDateTime(), nullable=True),
    sa.Column('employer_signer_id', sa.Integer(), nullable=True),
    sa.Column('provider_signed_at', sitecoach.models.db.UTCDateTime(), nullable=True),
    sa.Column('provider_signer_id', sa.Integer(), nullable=True),
    sa.Column('locked_at', sitecoach.models.db.UTCDateTime(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_progressreview_learner_id_learner')),
    sa.ForeignKeyConstraint(['employer_signer_id'], ['mentor.id'], name=op.f('fk_progressreview_employer_signer_id_mentor')),
    sa.ForeignKeyConstraint(['provider_signer_id'], ['mentor.id'], name=op.f('fk_progressreview_provider_signer_id_mentor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progressreview')),
    sa.UniqueConstraint('learner_id', 'number', name=op.f('uq_progressreview_learner_id'))
    )
    with op.batch_alter_table('progressreview', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progressreview_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progressreview_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_progressreview_status'), ['status'], unique=False)

    op.create_table('progressreviewversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['progressreview.id'], name=op.f('fk_progressreviewversion_review_id_progressreview')),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_progressreviewversion_learner_id_learner')),
    sa.ForeignKeyConstraint(['author_id'], ['mentor.id'], name=op.f('fk_progressreviewversion_author_id_mentor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progressreviewversion')),
    sa.UniqueConstraint('review_id', 'version', name=op.f('uq_progressreviewversion_review_id'))
    )
    with op.batch_alter_table('progressreviewversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progressreviewversion_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progressreviewversion_learner_id'), ['learner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('progressreviewversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progressreviewversion_learner_id'))
        batch_op.drop_index(batch_op.f('ix_progressreviewversion_review_id'))
    op.drop_table('progressreviewversion')
    with op.batch_alter_table('progressreview', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progressreview_status'))
        batch_op.drop_index(batch_op.f('ix_progressreview_due_at'))
        batch_op.drop_index(batch_op.f('ix_progressreview_learner_id'))
    op.drop_table('progressreview')
