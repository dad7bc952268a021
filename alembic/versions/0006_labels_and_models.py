"""item target, team labels, trained sentiment models

Revision ID: 0006
Revises: 0008
Create Date: 2026-11-29 08:10:00
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target', sa.String(length=200), nullable=True))
    op.create_table('labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('negative', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', bot.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_labels_incident_id_incidents')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_labels_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels'))
    )
    op.create_table('sentiment_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', bot.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('labels', sa.Integer(), nullable=False),
    sa.Column('model', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sentiment_models'))
    )


def downgrade() -> None:
    op.drop_table('sentiment_models')
    op.drop_table('labels')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('target')
