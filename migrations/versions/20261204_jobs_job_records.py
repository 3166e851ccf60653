"""jobs: the job record of the background queue

Revision ID: 7d2e9b40c1a5
Revises: b7e2d4f6a8c1
Create Date: 2026-12-04 14:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7d2e9b40c1a5'
down_revision = 'b7e2d4f6a8c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', 'expired', name='jobstatus',
                                native_enum=False, length=16), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('result_path', sa.String(length=255), nullable=True),
    sa.Column('result_filename', sa.String(length=255), nullable=True),
    sa.Column('result_mimetype', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_jobs_requester_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index('ix_jobs_status_expires_at', ['status', 'expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_expires_at')
        batch_op.drop_index(batch_op.f('ix_jobs_requester_id'))
    op.drop_table('jobs')
