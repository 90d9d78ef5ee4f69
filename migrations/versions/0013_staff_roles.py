"""staff roles: provider users and their cohorts, the designated safeguarding lead flag

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mentor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_provider', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('is_dsl', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('cohortprovider',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_cohortprovider_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['staff_id'], ['mentor.id'], name=op.f('fk_cohortprovider_staff_id_mentor')),
    sa.PrimaryKeyConstraint('cohort_id', 'staff_id', name=op.f('pk_cohortprovider'))
    )
    with op.batch_alter_table('cohortprovider', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohortprovider_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cohortprovider', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohortprovider_staff_id'))
    op.drop_table('cohortprovider')
    with op.batch_alter_table('mentor', schema=None) as batch_op:
        batch_op.drop_column('is_dsl')
        batch_op.drop_column('is_provider')
