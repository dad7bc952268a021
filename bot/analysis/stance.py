"""Whose risk is it: the passages of a text whose risk words say nothing bad about the lender.

Each rule marks spans of the normalised text; the tokens in them are treated like negated words everywhere
(risk words, topic evidence and the sentiment model's features), so the decision and the topics shown agree.

* prevention and anti-fraud education (防范, 谨防, 反诈, 打击 …) and rules forbidding a practice (严禁, 严防) cover
  the rest of their clause, however long (「防范以“低息贷款”为名的电信网络诈骗」, 「信贷资金严禁违规进入股市」), not
  just the next three words;
* the institution stopping a fraud against its customer (「柜员劝阻」, 「被支付宝拦截」, 「银行秒报警」) covers its
  clause;
* conditional, hypothetical and how-to-complain text: a formal condition (若, 如遇, 一旦发现, 假如 …) covers its
  clause; advice to complain or report (「可向…举报」, 「可以投诉到银监会」, 「如何投诉」) covers its clause, and
  its whole sentence when a condition (若, 如果, 遇到 …) comes before it in that sentence;
* the borrower's own 逾期 / 还不上 in a first-person clause (「我农行逾期快一年了」) is not the lender's failure,
  unless the clause blames someone (导致, 害得, 因为 …);
* the company's own statements, fixes and denials (已修复, 恢复正常, 致歉, 延长还款期, 不影响征信, 官方回应, 不实 …)
  cover their sentence, unless the sentence goes on to contradict them (但, 仍然, 还是 …): 「系统故障已修复，致歉并延长还款期」
  is the lender fixing a problem, not a new one.
"""
import re
from dataclasses import dataclass

from bot.analysis.segment import Tokens

_CLAUSE = re.compile(r"[^，。！？；：,.!?;:\n\r、…]+")
_SENTENCE = re.compile(r"[^。！？；!?;\n\r]+")
# a warning runs over an enumeration (「谨防以低息贷款、刷单返利为名的诈骗」): 、 does not end its scope
_PHRASE = re.compile(r"[^，。！？；：,.!?;:\n\r…]+")

_PREVENTION = re.compile(r"防范|谨防|警惕|提防|当心|反诈|防诈|防骗|打击|严打|抵制|远离|预防|防控|杜绝|谨慎辨别|严禁|严防")
_FORMAL_CONDITION = re.compile(r"^\s*(若|如若|倘若|假如|假设|万一|如遇|若遇|如发现|若发现|一旦发现|一旦遇到|如有|若有)")
_CONDITION = re.compile(r"若|如果|假如|假设|倘若|万一|一旦|如遇|遇到|碰到|如发现|如有")
_ADVICE = re.compile(r"(可|可以|请|应|应当|应该|建议|务必|及时|直接)(直接|及时|立即)?(向|拨打|致电|联系|通过|到|去|找|上)?"
                     r"[^，。！？；]{0,24}?(投诉|举报|报警|报案|反映|求助|维权|申诉)"
                     r"|(如何|怎么|怎样|教你|攻略|指南)[^，。！？；]{0,4}(投诉|举报|维权|申诉)")
_FIRST_PERSON = re.compile(r"我|本人|俺|自己")
_OWN_DEBT = re.compile(r"逾期|还不上|还不起|没钱还|无力偿还|欠款|欠钱|没还上|还不了|没能还")
_BLAME = re.compile(r"导致|害得|害我|造成|因为|由于|被迫|逼")
_STATEMENT = re.compile(r"已修复|修复完成|完成修复|已恢复|恢复正常|已解决|已处理完毕|致歉|道歉|歉意|敬请谅解|带来不便|"
                        r"延长还款|顺延|不影响征信|不会影响征信|不计罚息|免收罚息|免除罚息|减免罚息|不收取罚息|"
                        r"官方回应|回应称|发布声明|郑重声明|特此声明|辟谣|不实|系误读")
# the institution stopping a fraud against its customer: 「柜员劝阻女子免遭诈骗」, 「老人要取100万买黄金银行秒报警」
_PROTECTION = re.compile(r"(银行|柜员|网点|工作人员|经理|支付宝|微信)[^，。！？；]{0,4}(劝阻|拦截|报警|挽回|止付)")
_CONTRADICTION = re.compile(r"但|可是|却|仍然|依然|还是|至今|根本|并没有|没有任何")
# every rule needs one of these words somewhere; most texts have none and are done with one scan
_ANY = re.compile("|".join(p.pattern.lstrip("^\\s*") for p in (_PREVENTION, _CONDITION, _FORMAL_CONDITION, _OWN_DEBT,
                                                                  _STATEMENT, _PROTECTION))
                  + r"|投诉|举报|报警|报案|反映|求助|维权|申诉")


@dataclass(frozen=True)
class Stance:
    """Token indices to treat as not said against the lender, and which rules fired (for explanations)."""

    excused: frozenset[int]
    reasons: tuple[str, ...]

    @property
    def statement(self) -> bool:
        """The text carries the company's own statement or fix."""
        return "公司声明或修复" in self.reasons


def _units(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def stance(text: str, tokens: Tokens) -> Stance:
    """The spans of normalised `text` to excuse, as token indices. Each rule runs only when its words occur in
    the text at all (one scan each), so ordinary news pays for a few searches, not a walk over every clause."""
    if not _ANY.search(text):
        return Stance(frozenset(), ())
    spans: list[tuple[int, int]] = []
    reasons: dict[str, None] = {}

    def mark(lo: int, hi: int, reason: str) -> None:
        spans.append((lo, hi))
        reasons[reason] = None

    statement, advice = _STATEMENT.search(text), _ADVICE.search(text)
    if statement or advice:
        for lo, hi in _units(_SENTENCE, text):
            sentence = text[lo:hi]
            if statement and _STATEMENT.search(sentence) and not _CONTRADICTION.search(sentence):
                mark(lo, hi, "公司声明或修复")
            found = _ADVICE.search(sentence) if advice else None
            if found and _CONDITION.search(sentence[:found.start()]):
                mark(lo, hi, "条件或投诉指引")
    if _PREVENTION.search(text):
        for lo, hi in _units(_PHRASE, text):
            m = _PREVENTION.search(text, lo, hi)
            if m:
                mark(m.end(), hi, "防范宣传")
    if _PROTECTION.search(text):
        for lo, hi in _units(_CLAUSE, text):
            if _PROTECTION.search(text, lo, hi):
                mark(lo, hi, "机构拦截诈骗")
    condition = advice or _CONDITION.search(text)
    own_debt = _OWN_DEBT.search(text) and _FIRST_PERSON.search(text)
    if condition or own_debt:
        for lo, hi in _units(_CLAUSE, text):
            clause = text[lo:hi]
            if condition and (_FORMAL_CONDITION.search(clause) or _ADVICE.search(clause)):
                mark(lo, hi, "条件或投诉指引")
            if own_debt and _FIRST_PERSON.search(clause) and not _BLAME.search(clause):
                for d in _OWN_DEBT.finditer(clause):
                    mark(lo + d.start(), lo + d.end(), "借款人自身逾期")
    if not spans:
        return Stance(frozenset(), ())
    excused = {i for i, s in enumerate(tokens.starts) if any(lo <= s < hi for lo, hi in spans)}
    return Stance(frozenset(excused), tuple(reasons))
