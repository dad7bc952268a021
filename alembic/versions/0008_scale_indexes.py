"""queries at scale: indexes on when an item was seen (alone, per incident and per SimHash band), its event,
when incidents opened and were resolved; an incident's running tally

Revision ID: 0008
Revises: 0009
Create Date: 2026-11-29 08:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the band query's window, the 24-hour volume of /status and the digest: coalesce(published_at, fetched_at)
    op.create_index('ix_items_seen_at', 'items', [sa.text('coalesce(published_at, fetched_at)')], unique=False)
    op.create_index('ix_items_incident_seen', 'items', ['incident_id', sa.text('coalesce(published_at, fetched_at)')],
                    unique=False)
    # each band with the seen time: the band query reads only the items inside the clustering window
    for band in range(4):
        op.drop_index(f'ix_items_simhash_b{band}', table_name='items')
        op.create_index(f'ix_items_band{band}_seen', 'items',
                        [f'simhash_b{band}', sa.text('coalesce(published_at, fetched_at)')], unique=False)
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_event_key'), ['event_key'], unique=False)
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_resolved_at'), ['resolved_at'], unique=False)
        batch_op.add_column(sa.Column('tally', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('tally')
        batch_op.drop_index(batch_op.f('ix_incidents_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_incidents_opened_at'))
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_event_key'))
    for band in range(4):
        op.drop_index(f'ix_items_band{band}_seen', table_name='items')
        op.create_index(f'ix_items_simhash_b{band}', 'items', [f'simhash_b{band}'], unique=False)
    op.drop_index('ix_items_incident_seen', table_name='items')
    op.drop_index('ix_items_seen_at', table_name='items')
