"""watchlist risk index per entity; the customer an incident touches

Revision ID: 0009
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('entity_risk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('index', sa.Double(), nullable=False),
    sa.Column('volume', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('severity', sa.Double(), nullable=False),
    sa.Column('authority', sa.Double(), nullable=False),
    sa.Column('trend', sa.Double(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('computed_at', bot.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('alerted_at', bot.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_risk')),
    sa.UniqueConstraint('entity', 'day', name=op.f('uq_entity_risk_entity_day'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('customer_tier', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('customer_tier')
        batch_op.drop_column('customer')
    op.drop_table('entity_risk')
