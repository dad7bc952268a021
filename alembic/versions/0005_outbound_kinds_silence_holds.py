"""outbound kinds as an enum, silence holds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 08:30:00

The outbox's kinds were transports (thread_reply, message, reply); they are now what the message is. Rows
are renamed by what their keys said they were, so pending ones are delivered under their new kind.
"""
from alembic import op
import sqlalchemy as sa
import bot.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

RENAMES = [
    ("thread_reply", "uuid LIKE 'i%-remind-%'", "reminder"),
    ("thread_reply", "uuid LIKE 'i%-esc-%'", "escalation"),
    ("message", "uuid LIKE 'i%-esc-%'", "escalation"),
    ("thread_reply", "uuid LIKE 'i%-fu%'", "follow_up"),
    ("message", "uuid LIKE 'digest-%'", "digest"),
    ("message", "1 = 1", "ops_notice"),
    ("reply", "1 = 1", "command_reply"),
]


def upgrade() -> None:
    op.create_table('silence_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('silence_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_at', bot.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_at', bot.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('released_at', bot.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_silence_holds_incident_id_incidents')),
    sa.ForeignKeyConstraint(['silence_id'], ['silences.id'], name=op.f('fk_silence_holds_silence_id_silences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_silence_holds')),
    sa.UniqueConstraint('silence_id', 'incident_id', 'kind', name=op.f('uq_silence_holds_silence_id_incident_id_kind'))
    )
    with op.batch_alter_table('silence_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_silence_holds_silence_id'), ['silence_id'], unique=False)
    for old, where, new in RENAMES:
        op.execute(f"UPDATE deliveries SET kind = '{new}' WHERE kind = '{old}' AND {where}")
    op.execute("UPDATE deliveries SET kind = 'note_relay' WHERE kind = 'thread_reply' AND payload LIKE '%\"note\"%'"
               if op.get_bind().dialect.name == "sqlite" else
               "UPDATE deliveries SET kind = 'note_relay' WHERE kind = 'thread_reply' AND payload::text LIKE '%\"note\"%'")
    op.execute("UPDATE deliveries SET kind = 'thread_notice' WHERE kind = 'thread_reply'")


def downgrade() -> None:
    for kind in ("reminder", "escalation", "follow_up", "note_relay", "thread_notice"):
        op.execute(f"UPDATE deliveries SET kind = 'thread_reply' WHERE kind = '{kind}'")
    op.execute("UPDATE deliveries SET kind = 'message' WHERE kind IN ('digest', 'ops_notice')")
    op.execute("UPDATE deliveries SET kind = 'reply' WHERE kind = 'command_reply'")
    with op.batch_alter_table('silence_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_silence_holds_silence_id'))
    op.drop_table('silence_holds')
