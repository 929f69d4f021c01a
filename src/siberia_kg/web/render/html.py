"""HTML rendering: one Jinja2 environment with autoescaping, the interface strings in the three
languages of the labels, and the few formatting helpers the templates share.

Everything that reaches a template is escaped by Jinja2 unless it went through ``json_script``
(JSON for a non-executed ``<script type="application/ld+json">`` or ``application/json`` data
block, where ``<``, ``>`` and ``&`` are written as \\u escapes so that no ``</script>`` or
``<!--`` can close or confuse the block).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
LANGS = ("en", "ja", "ru")
LANG_NAMES = {"en": "English", "ja": "日本語", "ru": "Русский"}

# Interface strings. English is complete; Japanese and Russian cover the layout and the entity
# page, the pages a reader switches language on; anything missing falls back to English.
UI: dict[str, dict[str, str]] = {
    "en": {
        "site": "siberia-kg",
        "tagline": "Japanese prisoners of war and internees in the Soviet Union and Mongolia, 1945–1956",
        "home": "Home", "search": "Search", "classes": "Classes", "map": "Map",
        "timeline": "Timeline", "stats": "Statistics", "query": "SPARQL", "dumps": "Downloads",
        "ontology": "Ontology", "search_placeholder": "Search names in any script…",
        "labels": "Labels", "preferred": "preferred", "alternative": "alternative",
        "language": "Language", "statements": "Statements", "sources": "Sources",
        "source": "Source", "inbound": "Linked from", "wikidata": "Wikidata",
        "estimates": "Figures about this, side by side", "same_measure":
            "Estimates of the same figure, side by side", "location": "Location",
        "approximate": "approximate", "approx_note":
            "Approximate coordinates (taken from the nearest known settlement).",
        "data": "This entity as data", "types": "Types", "iri": "IRI",
        "measure": "Measure", "value": "Value", "qualifier": "Qualifier", "about": "About",
        "scope": "Scope", "period": "Period", "as_of": "As of", "estimated_by": "Estimated by",
        "basis": "Basis", "page": "Page", "previous": "previous", "next": "next",
        "of": "of", "no_results": "No results.", "not_found": "Not found",
        "not_found_text": "There is nothing at this address.",
        "truncated": "Only part of the links is shown on this page.",
        "citation": "Citation", "locator": "Locator", "document": "Document",
        "license": "Licence", "map_missing":
            "The map library is not installed on this server (run `npm ci` in the project "
            "folder); the places are listed below.",
        "query_missing":
            "The query editor (YASGUI) is not installed on this server (run `npm ci` in the "
            "project folder); a plain form is offered instead.",
    },
    "ja": {
        "home": "ホーム", "search": "検索", "classes": "クラス", "map": "地図",
        "timeline": "年表", "stats": "統計", "dumps": "ダウンロード", "ontology": "オントロジー",
        "tagline": "ソ連・モンゴルに抑留された日本人捕虜・抑留者（1945–1956年）",
        "search_placeholder": "名前を検索（どの文字でも）…",
        "labels": "名称", "preferred": "優先名", "alternative": "別名", "language": "言語",
        "statements": "記述", "sources": "出典", "source": "出典", "inbound": "参照元",
        "estimates": "これに関する数値（並記）", "same_measure": "同じ数値の推計（並記）",
        "location": "位置", "approximate": "概略", "approx_note": "概略の座標（最寄りの既知の集落から）。",
        "data": "データとしてのこのエンティティ", "types": "種類", "measure": "計数対象",
        "value": "値", "qualifier": "限定", "about": "対象", "scope": "対象地域",
        "period": "対象期間", "as_of": "時点", "estimated_by": "推計者", "basis": "根拠",
        "page": "ページ", "previous": "前へ", "next": "次へ", "no_results": "該当なし。",
        "not_found": "見つかりません", "not_found_text": "このアドレスには何もありません。",
        "citation": "出典箇所", "locator": "所在箇所", "document": "文書", "license": "ライセンス",
    },
    "ru": {
        "home": "Главная", "search": "Поиск", "classes": "Классы", "map": "Карта",
        "timeline": "Хронология", "stats": "Статистика", "dumps": "Скачать",
        "ontology": "Онтология",
        "tagline": "Японские военнопленные и интернированные в СССР и Монголии, 1945–1956",
        "search_placeholder": "Поиск имён на любом языке…",
        "labels": "Названия", "preferred": "основное", "alternative": "вариант",
        "language": "Язык", "statements": "Утверждения", "sources": "Источники",
        "source": "Источник", "inbound": "Ссылки сюда", "estimates": "Оценки (рядом)",
        "same_measure": "Оценки той же величины (рядом)", "location": "Местоположение",
        "approximate": "приблизительно",
        "approx_note": "Приблизительные координаты (по ближайшему известному пункту).",
        "data": "Эта сущность как данные", "types": "Типы", "measure": "Величина",
        "value": "Значение", "qualifier": "Уточнение", "about": "О чём", "scope": "Территория",
        "period": "Период", "as_of": "На дату", "estimated_by": "Автор оценки",
        "basis": "Основание", "page": "Страница", "previous": "назад", "next": "далее",
        "no_results": "Ничего не найдено.", "not_found": "Не найдено",
        "not_found_text": "По этому адресу ничего нет.", "citation": "Ссылка",
        "locator": "Место в документе", "document": "Документ", "license": "Лицензия",
    },
}


def ui_strings(lang: str) -> dict[str, str]:
    return {**UI["en"], **UI.get(lang, {})}


def json_script(data) -> Markup:
    """JSON safe to put inside a <script type="application/ld+json"> (or application/json) data
    block: '<', '>' and '&' become \\u003c, \\u003e, \\u0026, so '</script>' cannot appear."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    # U+2028/2029 are valid in JSON but not in older JavaScript string literals.
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def intcomma(value) -> str:
    """347000 -> '347,000'; decimals keep their digits; anything else as it is."""
    try:
        text = str(value)
        if "." in text:
            whole, frac = text.split(".", 1)
            return f"{int(whole):,}.{frac}"
        return f"{int(text):,}"
    except (TypeError, ValueError):
        return str(value)


def filesize(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


class Renderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html"], default_for_string=True, default=True),
            trim_blocks=True, lstrip_blocks=True,
        )
        self.env.filters["intcomma"] = intcomma
        self.env.filters["filesize"] = filesize
        self.env.filters["json_script"] = json_script
        self.env.globals["LANGS"] = LANGS
        self.env.globals["LANG_NAMES"] = LANG_NAMES

    def page(self, name: str, request, *, lang: str = "en", status: int = 200,
             headers: dict | None = None, **context) -> HTMLResponse:
        ui = ui_strings(lang)

        def link(path: str, **params) -> str:
            """A local link that keeps the reader's language choice."""
            if lang != "en" and "lang" not in params:
                params["lang"] = lang
            params = {k: v for k, v in params.items() if v not in (None, "")}
            return path + ("?" + urlencode(params) if params else "")

        ctx = {"lang": lang, "ui": ui, "link": link, "request_path": request.url.path,
               "vendor": context.pop("vendor", {}), **context}
        ctx.setdefault("title", ui["site"])
        ctx.setdefault("head_links", [])
        ctx.setdefault("jsonld", None)
        ctx.setdefault("scripts", [])
        ctx.setdefault("styles", [])
        ctx.setdefault("lang_switch", None)
        ctx.setdefault("wide", False)
        html = self.env.get_template(name).render(**ctx)
        return HTMLResponse(html, status_code=status, headers=headers)


def renderer(state) -> Renderer:
    r = state.extras.get("renderer")
    if r is None:
        r = state.extras["renderer"] = Renderer()
    return r
