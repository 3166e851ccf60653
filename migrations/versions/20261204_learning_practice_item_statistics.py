"""practice sessions and answers, practice settings, item and sample statistics

Revision ID: b7e2d4f6a8c1
Revises: f41c7a2e9b01
Create Date: 2026-12-04 14:18:16

Practice (quizapp/practice) keeps its sessions and answers apart from
contest attempts, so nothing practised counts in rankings, participation or
item statistics.  Item statistics (quizapp/itemstats) stores the figures of
one sample (round, contest or whole bank; first or all attempts) per
question (item_statistics) and for the test as a whole (sample_statistics).
"""
from alembic import op
import sqlalchemy as sa

revision = 'b7e2d4f6a8c1'
down_revision = 'f41c7a2e9b01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sample_statistics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('round', 'contest', 'bank', name='statsscope', native_enum=False, length=16), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('all_attempts', sa.Boolean(), nullable=False),
    sa.Column('n_attempts', sa.Integer(), nullable=False),
    sa.Column('n_questions', sa.Integer(), nullable=True),
    sa.Column('mean', sa.Double(), nullable=True),
    sa.Column('median', sa.Double(), nullable=True),
    sa.Column('sd', sa.Double(), nullable=True),
    sa.Column('skewness', sa.Double(), nullable=True),
    sa.Column('kurtosis', sa.Double(), nullable=True),
    sa.Column('cic', sa.Double(), nullable=True),
    sa.Column('error_ratio', sa.Double(), nullable=True),
    sa.Column('standard_error', sa.Double(), nullable=True),
    sa.Column('cic_approximate', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample_statistics')),
    sa.UniqueConstraint('scope', 'scope_id', 'all_attempts', name=op.f('uq_sample_statistics_scope_scope_id_all_attempts'))
    )
    op.create_table('practice_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('difficulty', sa.SmallInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('size > 0', name=op.f('ck_practice_sessions_size_positive')),
    sa.ForeignKeyConstraint(['area_id'], ['reform_areas.id'], name=op.f('fk_practice_sessions_area_id_reform_areas')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_sessions')),
    sa.UniqueConstraint('token', name=op.f('uq_practice_sessions_token'))
    )
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('practice_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('open_to_anonymous', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_practice_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_settings'))
    )
    op.create_table('item_statistics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('round', 'contest', 'bank', name='statsscope', native_enum=False, length=16), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('all_attempts', sa.Boolean(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('facility', sa.Double(), nullable=True),
    sa.Column('sd', sa.Double(), nullable=True),
    sa.Column('random_guess', sa.Double(), nullable=True),
    sa.Column('discrimination', sa.Double(), nullable=True),
    sa.Column('efficiency', sa.Double(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('flags', sa.String(length=160), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_item_statistics_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_statistics')),
    sa.UniqueConstraint('scope', 'scope_id', 'all_attempts', 'question_id', name=op.f('uq_item_statistics_scope_scope_id_all_attempts_question_id'))
    )
    with op.batch_alter_table('item_statistics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_statistics_question_id'), ['question_id'], unique=False)

    op.create_table('practice_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('option_order', sa.JSON(), nullable=False),
    sa.Column('selected', sa.JSON(), nullable=True),
    sa.Column('is_correct', sa.Boolean(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_practice_answers_question_id_questions')),
    sa.ForeignKeyConstraint(['session_id'], ['practice_sessions.id'], name=op.f('fk_practice_answers_session_id_practice_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_answers')),
    sa.UniqueConstraint('session_id', 'position', name=op.f('uq_practice_answers_session_id_position')),
    sa.UniqueConstraint('session_id', 'question_id', name=op.f('uq_practice_answers_session_id_question_id'))
    )
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_answers_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_answers_question_id'))

    op.drop_table('practice_answers')
    with op.batch_alter_table('item_statistics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_statistics_question_id'))

    op.drop_table('item_statistics')
    op.drop_table('practice_settings')
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_sessions_user_id'))

    op.drop_table('practice_sessions')
    op.drop_table('sample_statistics')
