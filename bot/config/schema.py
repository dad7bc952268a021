"""The root schema of config.yaml. Secrets never live here: see bot.config.secrets."""
from typing import Literal

from pydantic import Field, model_validator

from bot.config.alerting import AlertingConfig
from bot.config.analysis import AnalysisConfig, BrandSpec
from bot.config.base import Strict
from bot.config.customers import DEFAULT_TIERS, Customer, TierRule, check_customers
from bot.config.repair import RepairConfig
from bot.config.response import ResponseConfig
from bot.config.sources import ScanConfig, SourceSpec
from bot.config.team import TeamConfig
from bot.config.watchlist import WatchlistConfig


class FeishuConfig(Strict):
    domain: str = "https://open.feishu.cn"
    event_mode: Literal["http", "ws"] = "http"
    timeout: float = Field(default=10.0, gt=0)


class DatabaseConfig(Strict):
    url: str = "sqlite:///yuqing.db"
    auto_migrate: bool = True


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    max_connections: int = Field(default=1000, ge=1)
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=30.0, gt=0)


class Config(Strict):
    feishu: FeishuConfig = FeishuConfig()
    database: DatabaseConfig = DatabaseConfig()
    server: ServerConfig = ServerConfig()
    scan: ScanConfig = ScanConfig()
    sources: list[SourceSpec] = []
    brands: list[BrandSpec] = []
    analysis: AnalysisConfig = AnalysisConfig()
    alerting: AlertingConfig = AlertingConfig()
    team: TeamConfig = TeamConfig()
    response: ResponseConfig = ResponseConfig()
    watchlist: WatchlistConfig = WatchlistConfig()
    repair: RepairConfig = RepairConfig()
    customers: list[Customer] = []
    customer_tiers: dict[str, TierRule] = Field(default_factory=lambda: dict(DEFAULT_TIERS))

    @model_validator(mode="after")
    def _watchlist_refs(self) -> "Config":
        chats = self.alerting.chats
        for kind, table in self.watchlist.routes.items():
            for key, names in table.items():
                for name in names:
                    if name not in chats:
                        raise ValueError(f"watchlist.routes.{kind}.{key}: chat {name!r} is not defined under "
                                         "alerting.chats")
        if self.watchlist.risk.chat is not None and self.watchlist.risk.chat not in chats:
            raise ValueError(f"watchlist.risk.chat: chat {self.watchlist.risk.chat!r} is not defined under "
                             "alerting.chats")
        check_customers(self.customers, self.customer_tiers, chats)
        alert_chats = {chat_id: name for name, chat_id in chats.items()}
        for i, spec in enumerate(self.sources):
            for j, chat_id in enumerate(getattr(spec, "chats", []) if spec.kind == "feishu_chat" else []):
                if chat_id in alert_chats:
                    raise ValueError(f"sources[{i}].chats[{j}]: {chat_id} is a community chat and also "
                                     f"alerting.chats.{alert_chats[chat_id]}; alerts never go back into a community chat")
        brands = {b.name for b in self.brands}
        for i, e in enumerate(self.watchlist.entities):
            if e.name in brands:
                raise ValueError(f"watchlist.entities[{i}].name: {e.name!r} is also under brands; a name is "
                                 "either the lender's own brand or a watched entity")
        return self
