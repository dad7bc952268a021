"""job leases: replicas share periodic jobs

Revision ID: 0007
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('next_due_at', bot.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=True),
    sa.Column('lease_until', bot.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('started_at', bot.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', bot.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )


def downgrade() -> None:
    op.drop_table('job_leases')
