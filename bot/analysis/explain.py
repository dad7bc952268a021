"""`yuqing brands test "TEXT"`: which brand matched where and why, or why not, in words an admin can check."""
from bot.analysis.pipeline import Analyzer, Document
from bot.analysis.textform import normalise


def explain_text(analyzer: Analyzer, text: str, platform: str = "other", target: str = "") -> list[str]:
    """Lines that show the normalised text, every candidate brand occurrence with its verdict, and the decision."""
    norm = normalise(text)
    lines = [f"规范化文本: {norm}"]
    candidates = analyzer.matcher.explain(norm)
    for c in candidates:
        where = f"位置 {c.start}-{c.end}"
        if c.accepted:
            lines.append(f"✓ {c.brand}  「{norm[c.start:c.end]}」 匹配名称「{c.matched}」，{where}")
        else:
            lines.append(f"✗ {c.brand}  「{norm[c.start:c.end]}」 {where}，不计：{c.reason}")
    if not candidates:
        lines.append("未出现任何监测品牌的名称或别名")
    a = analyzer.analyze(Document(id="test", title="", text=text, platform=platform, target=target))
    if target:
        lines.append(f"投诉对象「{target}」: " + ("、".join(b.name for b in a.brands if b.matched == target.strip())
                                               or "不是监测品牌"))
    verdict = "负面" if a.negative else "非负面"
    lines.append(f"判定: {verdict}（负面概率 {1 - a.sentiment:.2f}）"
                 + (f"，负面对象: {'、'.join(b.name for b in a.brands if b.negative)}" if a.negative and a.brands else ""))
    if a.risk_words:
        lines.append("风险词: " + "、".join(a.risk_words))
    if a.excused:
        lines.append("不计入的段落: " + "、".join(a.excused))
    if a.topics:
        lines.append("话题: " + "；".join(f"{t.name}（{'、'.join(t.words)}）" for t in a.topics))
    return lines
