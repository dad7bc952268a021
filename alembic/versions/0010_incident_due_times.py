"""incidents' due times: when the escalation and the reminder tick must next look at each (indexed); every open
incident is to be looked at on the next tick

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-29 10:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_incidents_escalate_at'), ['escalate_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_remind_at'), ['remind_at'], unique=False)
    # a closed incident has nothing due; an open one is decided again by the next ticks, which store its exact time
    op.execute("UPDATE incidents SET escalate_at = opened_at, remind_at = opened_at "
               "WHERE state NOT IN ('resolved', 'false_positive')")


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_remind_at'))
        batch_op.drop_index(batch_op.f('ix_incidents_escalate_at'))
        batch_op.drop_column('remind_at')
        batch_op.drop_column('escalate_at')
