"""The root schema of config.yaml. Secrets never live here: see bot.config.secrets."""
from typing import Literal

from pydantic import Field

from bot.config.alerting import AlertingConfig
from bot.config.analysis import AnalysisConfig, BrandSpec
from bot.config.base import Strict
from bot.config.response import ResponseConfig
from bot.config.sources import ScanConfig, SourceSpec
from bot.config.team import TeamConfig


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
