"""authorisation passport: employers, authorisations, practical assessments

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import sitecoach.models.db


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('employer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('passport', sa.JSON(), nullable=False),
    sa.Column('created_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer')),
    sa.UniqueConstraint('name', name=op.f('uq_employer_name'))
    )
    op.create_table('passportauthorisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_by_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('revoked_at', sitecoach.models.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidenceitem.id'], name=op.f('fk_passportauthorisation_evidence_id_evidenceitem')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['mentor.id'], name=op.f('fk_passportauthorisation_granted_by_id_mentor')),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_passportauthorisation_learner_id_learner')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['mentor.id'], name=op.f('fk_passportauthorisation_revoked_by_id_mentor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passportauthorisation'))
    )
    with op.batch_alter_table('passportauthorisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passportauthorisation_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_passportauthorisation_learner_id'), ['learner_id'], unique=False)

    op.create_table('practicalassessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('assessment', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('assessor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sitecoach.models.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidenceitem.id'], name=op.f('fk_practicalassessment_evidence_id_evidenceitem')),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_practicalassessment_learner_id_learner')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['mentor.id'], name=op.f('fk_practicalassessment_recorded_by_id_mentor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practicalassessment'))
    )
    with op.batch_alter_table('practicalassessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practicalassessment_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_practicalassessment_learner_id'), ['learner_id'], unique=False)

    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cohort_employer_id'), ['employer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cohort_employer_id_employer'), 'employer', ['employer_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cohort_employer_id_employer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cohort_employer_id'))
        batch_op.drop_column('employer_id')

    with op.batch_alter_table('practicalassessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practicalassessment_learner_id'))
        batch_op.drop_index(batch_op.f('ix_practicalassessment_expires_on'))

    op.drop_table('practicalassessment')
    with op.batch_alter_table('passportauthorisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passportauthorisation_learner_id'))
        batch_op.drop_index(batch_op.f('ix_passportauthorisation_expires_on'))

    op.drop_table('passportauthorisation')
    op.drop_table('employer')
