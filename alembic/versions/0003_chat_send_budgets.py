"""chat send budgets: the per-chat send rate cap, shared by delivery workers

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import bot.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_send_budgets",
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("tat", bot.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_chat_send_budgets")),
    )


def downgrade() -> None:
    op.drop_table("chat_send_budgets")
