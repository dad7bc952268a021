"""Watchlist fixtures: a runtime with own brands, watched entities of each kind and their chats, items pushed
through the webhook path (store → analyse → group → grade → outbox), the real lark-oapi client on the fake."""
import uuid

import pytest

from bot.feishu.client import FeishuClient
from jobs.scan import ScanReport, ingest_records

CRISIS, CREDIT, PR, LEGAL, SERVICE = "oc_crisis", "oc_credit_risk", "oc_pr", "oc_legal", "oc_service"
RM, PR_HEAD, ON_CALL = "ou_rm_li", "ou_pr_head", "ou_oncall1"

WATCHLIST = {
    "entities": [
        {"name": "恒远集团", "kind": "borrower", "aliases": ["恒远地产"], "exclude": ["恒远集团足球队"],
         "owner": RM, "tier": "key"},
        {"name": "王建国", "kind": "executive", "owner": PR_HEAD},
        {"name": "云帆支付", "kind": "partner"},
    ],
    "routes": {"borrower": {"default": ["credit"]}, "executive": {"default": ["pr", "legal"]}},
}

CONFIG = {
    "sources": [{"name": "push", "kind": "webhook", "token_env": "PUSH_TOKEN", "platform": "news"}],
    "brands": [{"name": "星河消费金融", "aliases": ["星河分期"]}],
    "alerting": {"chats": {"crisis": CRISIS, "credit": CREDIT, "pr": PR, "legal": LEGAL, "service": SERVICE},
                 "routes": {"default": ["crisis"], "轻微": ["service"]}, "on_call": [ON_CALL]},
    "watchlist": WATCHLIST,
}


@pytest.fixture
def wrt(make_runtime, feishu):
    return make_runtime({**CONFIG, "feishu": {"domain": feishu.url, "timeout": 1}})


@pytest.fixture
def client(feishu):
    return FeishuClient(f"cli_{uuid.uuid4().hex[:10]}", "secret", feishu.url, timeout=1.0)


_n = 0


def push(rt, *texts: str, reposts: int = 1000, **fields) -> ScanReport:
    """Push posts into the webhook source, as a crawler would, published now."""
    global _n
    spec = next(s for s in rt.config.sources if s.name == "push")
    records = []
    for t in texts:
        _n += 1
        records.append({"id": f"p{_n}-{uuid.uuid4().hex[:6]}", "title": t, "content": t,
                        "url": f"https://news.example.com/a/{_n}-{uuid.uuid4().hex[:6]}",
                        "published": rt.clock.now().isoformat(), "reposts": reposts, **fields})
    report = ScanReport(spec.name, fetched=len(records))
    ingest_records(rt, spec, records, spec.fields, report)
    assert not report.rejected, report.rejected
    return report
