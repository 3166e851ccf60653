"""itemstats: why the coefficient of internal consistency was not computed

Revision ID: 5e1c7a9d3b20
Revises: e5a1c9d3b7f2
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1c7a9d3b20'
down_revision = 'e5a1c9d3b7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sample_statistics') as batch_op:
        batch_op.add_column(sa.Column('cic_note', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('sample_statistics') as batch_op:
        batch_op.drop_column('cic_note')
