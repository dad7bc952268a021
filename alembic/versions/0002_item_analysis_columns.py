"""item analysis columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:58:07.269143
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authority', sa.Double(), nullable=False, server_default='1.0'))
        batch_op.add_column(sa.Column('event_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('rules', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('regulators', sa.JSON(), nullable=False, server_default='[]'))



def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('regulators')
        batch_op.drop_column('rules')
        batch_op.drop_column('event_key')
        batch_op.drop_column('authority')

