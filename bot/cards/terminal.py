"""Cards as readable text, for `--dry-run`, runs without Feishu credentials and the console."""
import json
import re

_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_TAGS = re.compile(r"</?(font|at)[^>]*>")
_AT = re.compile(r"<at (?:id|user_id)=\"?([\w-]+)\"?></at>")


def _content(node: dict | None) -> str:
    if not node:
        return ""
    text = node.get("content", "")
    if node.get("tag") == "lark_md" or node.get("tag") == "markdown":
        text = _markdown(text)
    return text


def _markdown(text: str) -> str:
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} <{m.group(2)}>", text)
    text = _AT.sub(lambda m: f"@{m.group(1)}", text)
    return _TAGS.sub("", text).replace("**", "")


def _elements(elements: list[dict], out: list[str], indent: str = "") -> None:
    for el in elements:
        tag = el.get("tag")
        if tag == "div":
            out.extend(indent + line for line in _content(el.get("text")).splitlines())
        elif tag == "markdown":
            out.extend(indent + line for line in _markdown(el.get("content", "")).splitlines())
        elif tag == "hr":
            out.append(indent + "─" * 40)
        elif tag == "button":
            out.append(indent + f"[{_content(el.get('text'))}]")
        elif tag in ("select_person", "select_static"):
            out.append(indent + f"[{_content(el.get('placeholder'))} ▾]")
        elif tag == "column_set":
            for col in el.get("columns", []):
                _elements(col.get("elements", []), out, indent)
        elif tag == "chart":
            out.append(indent + "（图表）")
        elif "elements" in el:
            _elements(el["elements"], out, indent)


def render_terminal(msg_type: str, content: dict) -> str:
    """A card or text message as lines a person can read in a terminal."""
    if msg_type == "text":
        return content.get("text", "")
    if msg_type != "interactive":
        return json.dumps(content, ensure_ascii=False)
    out: list[str] = []
    header = content.get("header", {})
    title = _content(header.get("title"))
    if title:
        out.append(f"┃ {title}")
        sub = _content(header.get("subtitle"))
        if sub:
            out.append(f"┃ {sub}")
        out.append("┣" + "━" * 40)
    _elements(content.get("body", {}).get("elements", []), out, "┃ ")
    return "\n".join(out)
