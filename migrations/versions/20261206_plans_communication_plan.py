"""plans: province plan, unit plans, activities, evidence, reports

Revision ID: 4b78cdf725d3
Revises: e20a7c3d5b10
Create Date: 2026-12-06 05:14:58.239010

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b78cdf725d3'
down_revision = 'e20a7c3d5b10'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('plan_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('group', sa.Enum('civil_servants', 'public', name='formgroup', native_enum=False, length=24), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('collects_contests', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_forms')),
    sa.UniqueConstraint('code', name=op.f('uq_plan_forms_code'))
    )
    op.create_table('plan_unit_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plan_unit_plans_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_unit_plans')),
    sa.UniqueConstraint('unit_id', 'year', name='uq_plan_unit_plans_unit_year')
    )
    with op.batch_alter_table('plan_unit_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_unit_plans_unit_id'), ['unit_id'], unique=False)

    op.create_table('plan_province_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_province_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_province_plans')),
    sa.UniqueConstraint('year', name=op.f('uq_plan_province_plans_year'))
    )
    op.create_table('plan_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('quarter', 'half', 'year', name='reportkind', native_enum=False, length=24), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('doc_number', sa.String(length=40), nullable=False),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('evaluation', sa.Text(), nullable=False),
    sa.Column('difficulties', sa.Text(), nullable=False),
    sa.Column('proposals', sa.Text(), nullable=False),
    sa.Column('signer_title', sa.String(length=120), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', name='reportstatus', native_enum=False, length=24), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_plan_reports_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plan_reports_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_reports')),
    sa.UniqueConstraint('unit_id', 'year', 'kind', 'number', name='uq_plan_reports_period')
    )
    with op.batch_alter_table('plan_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_reports_unit_id'), ['unit_id'], unique=False)

    op.create_table('plan_targets',
    sa.Column('unit_plan_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.CheckConstraint('planned >= 0', name=op.f('ck_plan_targets_planned_non_negative')),
    sa.ForeignKeyConstraint(['form_id'], ['plan_forms.id'], name=op.f('fk_plan_targets_form_id_plan_forms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_plan_id'], ['plan_unit_plans.id'], name=op.f('fk_plan_targets_unit_plan_id_plan_unit_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_plan_id', 'form_id', name=op.f('pk_plan_targets'))
    )
    op.create_table('plan_report_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_plan_report_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['plan_reports.id'], name=op.f('fk_plan_report_changes_report_id_plan_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_report_changes'))
    )
    with op.batch_alter_table('plan_report_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_report_changes_report_id'), ['report_id'], unique=False)

    op.create_table('plan_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('lead_unit', sa.String(length=255), nullable=False),
    sa.Column('coordinating_units', sa.String(length=1000), nullable=False),
    sa.Column('timeline', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('expected_output', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_province_plans.id'], name=op.f('fk_plan_tasks_plan_id_plan_province_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_tasks'))
    )
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_tasks_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('audience', sa.Enum('civil_servants', 'citizens', 'businesses', name='audience', native_enum=False, length=24), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('reached >= 0', name=op.f('ck_plan_activities_reached_non_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_activities_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_id'], ['plan_forms.id'], name=op.f('fk_plan_activities_form_id_plan_forms')),
    sa.ForeignKeyConstraint(['task_id'], ['plan_tasks.id'], name=op.f('fk_plan_activities_task_id_plan_tasks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plan_activities_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_activities'))
    )
    with op.batch_alter_table('plan_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_activities_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_activities_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_plan_activities_unit_held_on', ['unit_id', 'held_on'], unique=False)

    op.create_table('plan_unit_plan_tasks',
    sa.Column('unit_plan_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['plan_tasks.id'], name=op.f('fk_plan_unit_plan_tasks_task_id_plan_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_plan_id'], ['plan_unit_plans.id'], name=op.f('fk_plan_unit_plan_tasks_unit_plan_id_plan_unit_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_plan_id', 'task_id', name=op.f('pk_plan_unit_plan_tasks'))
    )
    op.create_table('plan_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['plan_activities.id'], name=op.f('fk_plan_evidence_activity_id_plan_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_evidence')),
    sa.UniqueConstraint('stored', name=op.f('uq_plan_evidence_stored'))
    )
    with op.batch_alter_table('plan_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_evidence_activity_id'), ['activity_id'], unique=False)




def downgrade():

    with op.batch_alter_table('plan_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_evidence_activity_id'))

    op.drop_table('plan_evidence')
    op.drop_table('plan_unit_plan_tasks')
    with op.batch_alter_table('plan_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_activities_unit_held_on')
        batch_op.drop_index(batch_op.f('ix_plan_activities_task_id'))
        batch_op.drop_index(batch_op.f('ix_plan_activities_form_id'))

    op.drop_table('plan_activities')
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_tasks_plan_id'))

    op.drop_table('plan_tasks')
    with op.batch_alter_table('plan_report_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_report_changes_report_id'))

    op.drop_table('plan_report_changes')
    op.drop_table('plan_targets')
    with op.batch_alter_table('plan_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_reports_unit_id'))

    op.drop_table('plan_reports')
    op.drop_table('plan_province_plans')
    with op.batch_alter_table('plan_unit_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_unit_plans_unit_id'))

    op.drop_table('plan_unit_plans')
    op.drop_table('plan_forms')

