"""off-the-job plan by the funding rules and breaks in learning: each learner's start, planned end,
contracted hours and prior learning; the admin's value of a standard's minimum OTJ hours;
the learningbreak table

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import sitecoach.models.db


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('planned_end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('weekly_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('prior_learning_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('prior_learning_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))

    op.create_table('otjminimum',
    sa.Column('standard_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['mentor.id'], name=op.f('fk_otjminimum_set_by_mentor')),
    sa.PrimaryKeyConstraint('standard_code', name=op.f('pk_otjminimum'))
    )

    op.create_table('learningbreak',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('expected_return', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_learningbreak_learner_id_learner')),
    sa.ForeignKeyConstraint(['recorded_by'], ['mentor.id'], name=op.f('fk_learningbreak_recorded_by_mentor')),
    sa.ForeignKeyConstraint(['ended_by'], ['mentor.id'], name=op.f('fk_learningbreak_ended_by_mentor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learningbreak'))
    )
    with op.batch_alter_table('learningbreak', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learningbreak_learner_id'), ['learner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('learningbreak', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learningbreak_learner_id'))
    op.drop_table('learningbreak')
    op.drop_table('otjminimum')
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.drop_column('prior_learning_note')
        batch_op.drop_column('prior_learning_hours')
        batch_op.drop_column('weekly_hours')
        batch_op.drop_column('planned_end_date')
        batch_op.drop_column('start_date')
