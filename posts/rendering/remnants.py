"""Wiki markup the static-site conversion left in legacy posts, turned into Markdown and HTML.

`convert()` runs on the Markdown source before it is parsed, so that everything it produces is
parsed (and then sanitized) like any other raw HTML in a post. Text without remnants comes back
unchanged.
"""

import html
import re
from urllib.parse import quote

TOC_PLACEHOLDER = "VDWIKITOCPLACEHOLDER"
"""Stands where a table of contents goes; the renderer swaps in the list of headings."""

LEGACY_WIKI = "https://www.vitamindwiki.com"

_TOC_RE = re.compile(r"\{\{\s*[<%]\s*toc\s*[>%]\s*\}\}|\{\s*maketoc\b[^{}\n]*\}", re.IGNORECASE)
_SHORTCODE_RE = re.compile(r"\{\{\s*[<%]\s*/?\s*[\w.-]+[^{}\n]*?[>%]\s*\}\}")
_STRAY_SHORTCODE_RE = re.compile(r"\{\{\s*[<%]")

# Pasted MS-Word HTML: `<!--[if gte mso 9]>...<![endif]-->`. Blank lines inside split the comment
# into Markdown paragraphs that escape its `-->`, leaving an unclosed comment that would hide the
# rest of the post, so these go before parsing.
_CONDITIONAL_COMMENT_RE = re.compile(r"<!--\[if [^\]]*\]>.*?<!\[endif\]-->", re.DOTALL | re.IGNORECASE)

_WIKI_LINK_RE = re.compile(r"\(\(((?:[^()\n<>\"]|\([^()\n<>\"]*\))+?)\)\)")

_COLOUR_RE = re.compile(r"~~\s*(#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?|[a-zA-Z]+)\s*:((?:(?!\n[ \t]*\n)[^~]|~(?!~))+?)~~")
_STRAY_COLOUR_RE = re.compile(r"~~\s*#[0-9a-fA-F]*\s*:?")

# A tiki plugin tag: {NAME(args)} opens, {NAME} closes; a closer sometimes lost its brace.
_TAG_RE = re.compile(r"\{\s*([A-Za-z][A-Za-z0-9_]*)\s*(\(([^{}]*?)\))?\s*\}|\{(ATTACH|FONT|BOX|DIV|IMG)\b(?!\s*\()")
_IMG_SPACE_RE = re.compile(r"\{\s*img\s+([^{}\n]*=[^{}\n]*)\}", re.IGNORECASE)
_STRAY_TAG_RE = re.compile(
    r"""\{\s*(?:FONT|BOX|DIV|IMG|ATTACH)\b\s*(?:\(\s*(?:[\w-]+\s*=\s*(?:"[^"\n]*"|'[^'\n]*'|[^\s,(){}]+)[\s,]*)*\)?)?\}?""",
    re.IGNORECASE,
)
_ARG_RE = re.compile(r"""([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s,"')]+))""")

# fmt: off
_KNOWN_TAGS = frozenset({
    "ALIAS", "ALINK", "ANAME", "ATTACH", "BACKLINKS", "BOX", "CENTER", "CODE", "DIV", "DL", "FADE",
    "FANCYTABLE", "FILE", "FILES", "FLASH", "FONT", "HTML", "IMG", "INCLUDE", "LIST", "LISTPAGES",
    "MODULE", "MOUSEOVER", "QUOTE", "REMARKSBOX", "RSS", "SHOWPAGES", "SLIDER", "SPLIT", "SUB",
    "SUP", "TABS", "TAG", "TITLESEARCH", "TOGGLE", "TOP", "TRACKER", "TRACKERLIST", "VIMEO",
    "YOUTUBE",
})
# fmt: on

# fmt: off
_CSS_COLOURS = frozenset({
    "aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige", "bisque", "black",
    "blanchedalmond", "blue", "blueviolet", "brown", "burlywood", "cadetblue", "chartreuse",
    "chocolate", "coral", "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue", "darkcyan",
    "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki", "darkmagenta",
    "darkolivegreen", "darkorange", "darkorchid", "darkred", "darksalmon", "darkseagreen",
    "darkslateblue", "darkslategray", "darkslategrey", "darkturquoise", "darkviolet", "deeppink",
    "deepskyblue", "dimgray", "dimgrey", "dodgerblue", "firebrick", "floralwhite", "forestgreen",
    "fuchsia", "gainsboro", "ghostwhite", "gold", "goldenrod", "gray", "green", "greenyellow",
    "grey", "honeydew", "hotpink", "indianred", "indigo", "ivory", "khaki", "lavender",
    "lavenderblush", "lawngreen", "lemonchiffon", "lightblue", "lightcoral", "lightcyan",
    "lightgoldenrodyellow", "lightgray", "lightgreen", "lightgrey", "lightpink", "lightsalmon",
    "lightseagreen", "lightskyblue", "lightslategray", "lightslategrey", "lightsteelblue",
    "lightyellow", "lime", "limegreen", "linen", "magenta", "maroon", "mediumaquamarine",
    "mediumblue", "mediumorchid", "mediumpurple", "mediumseagreen", "mediumslateblue",
    "mediumspringgreen", "mediumturquoise", "mediumvioletred", "midnightblue", "mintcream",
    "mistyrose", "moccasin", "navajowhite", "navy", "oldlace", "olive", "olivedrab", "orange",
    "orangered", "orchid", "palegoldenrod", "palegreen", "paleturquoise", "palevioletred",
    "papayawhip", "peachpuff", "peru", "pink", "plum", "powderblue", "purple", "rebeccapurple",
    "red", "rosybrown", "royalblue", "saddlebrown", "salmon", "sandybrown", "seagreen", "seashell",
    "sienna", "silver", "skyblue", "slateblue", "slategray", "slategrey", "snow", "springgreen",
    "steelblue", "tan", "teal", "thistle", "tomato", "turquoise", "violet", "wheat", "white",
    "whitesmoke", "yellow", "yellowgreen",
})
# fmt: on
_HEX_COLOUR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_SIZE_RE = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*(px|pt|em|rem|%)?")
_LENGTH_RE = re.compile(r"\d{1,4}(?:px|%)?")
_MIN_FONT_PX, _MAX_FONT_PX = 8, 72


def convert(markdown: str) -> str:
    """Replace every wiki remnant in `markdown` with the Markdown/HTML the renderer understands."""
    if "<!--[" in markdown:
        markdown = _CONDITIONAL_COMMENT_RE.sub("", markdown)
    if "{" in markdown:
        markdown = _TOC_RE.sub(TOC_PLACEHOLDER, markdown)
        markdown = _SHORTCODE_RE.sub("", markdown)
        markdown = _STRAY_SHORTCODE_RE.sub("", markdown)
    if "((" in markdown:
        markdown = _WIKI_LINK_RE.sub(_wiki_link, markdown)
    if "~~" in markdown:
        markdown = _COLOUR_RE.sub(_colour_span, markdown)
        markdown = _STRAY_COLOUR_RE.sub("", markdown)
    if "{" in markdown:
        markdown = _IMG_SPACE_RE.sub(lambda m: _image(_parse_args(m.group(1))), markdown)
        markdown = _convert_tags(markdown)
        markdown = _STRAY_TAG_RE.sub("", markdown)
    return markdown


def wiki_path(title: str) -> str:
    """The legacy path of a wiki page: `Page title` -> `/Page+title` (the site redirects it)."""
    return "/" + quote(" ".join(title.split()).replace(" ", "+"), safe="+'()!*,;:@-_.~/")


def _wiki_link(match: re.Match[str]) -> str:
    parts = [part.strip() for part in match.group(1).split("|")]
    page, text = parts[0], parts[-1]
    if not page:
        return text
    anchor = "#" + quote(parts[1], safe="-_.~") if len(parts) == 3 and parts[1] else ""
    return f'<a href="{wiki_path(page)}{anchor}">{text or html.escape(page)}</a>'


def _colour_span(match: re.Match[str]) -> str:
    colour = _safe_colour(match.group(1))
    if colour is None:
        return match.group(0)
    return f'<span style="color:{colour}">{match.group(2)}</span>'


def _safe_colour(value: str) -> str | None:
    value = value.strip()
    if _HEX_COLOUR_RE.fullmatch(value) or value.lower() in _CSS_COLOURS:
        return value
    return None


def _parse_args(text: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ARG_RE.finditer(text)}


def _tag_name(match: re.Match[str]) -> str | None:
    """The upper-cased plugin name of a tag match, or None when the braces are ordinary text."""
    name = match.group(1) or match.group(4)
    upper = name.upper()
    if upper in _KNOWN_TAGS or (name.isupper() and len(name) > 1):
        return upper
    return None


def _convert_tags(text: str) -> str:
    """Pair `{NAME(args)}` openers with `{NAME}` closers and replace each pair as a whole."""
    tags = [(m, name) for m in _TAG_RE.finditer(text) if (name := _tag_name(m))]
    if not tags:
        return text
    replacements = _pair_replacements(text, tags)
    openers = {name for m, name in tags if _is_opener(m)}
    out: list[str] = []
    last = 0
    for index, (match, name) in enumerate(tags):
        if not _is_opener(match) and name not in _KNOWN_TAGS and name not in openers:
            continue  # `{DNA}`-like capitals in braces are text, not a plugin
        out.append(text[last : match.start()])
        out.append(replacements.get(index, ""))
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _is_opener(match: re.Match[str]) -> bool:
    return match.group(2) is not None


def _pair_replacements(text: str, tags: list[tuple[re.Match[str], str]]) -> dict[int, str]:
    """Replacement text per tag index; tags left out of the result are dropped."""
    replacements: dict[int, str] = {}
    stack: list[int] = []
    for index, (match, name) in enumerate(tags):
        if _is_opener(match):
            stack.append(index)
            if name == "IMG":
                replacements[index] = _image(_parse_args(match.group(3) or ""))
            continue
        opener = next((i for i in reversed(stack) if tags[i][1] == name), None)
        if opener is None:
            continue
        del stack[stack.index(opener) :]
        opening = tags[opener][0]
        inner = text[opening.end() : match.start()]
        replacements[opener], replacements[index] = _plugin(name, _parse_args(opening.group(3) or ""), inner)
    return replacements


def _plugin(name: str, args: dict[str, str], inner: str) -> tuple[str, str]:
    """The (opening, closing) replacement for a paired plugin; the inner text stays in place."""
    if name == "FONT":
        return _font(args, block="\n\n" in inner.strip())
    if name in ("BOX", "DIV"):
        return _box(name, args)
    if name == "IMG":
        return _image(args), ""
    if name == "ATTACH" and not inner.strip():
        return html.escape(args.get("name") or args.get("file") or ""), ""
    return "", ""


def _font(args: dict[str, str], *, block: bool) -> tuple[str, str]:
    styles = []
    size = _SIZE_RE.fullmatch(args.get("size", "").strip())
    if size:
        number, unit = float(size.group(1)), size.group(2) or "px"
        if unit == "px":
            number = min(max(number, _MIN_FONT_PX), _MAX_FONT_PX)
        styles.append(f"font-size:{number:g}{unit}")
    colour = _safe_colour(args.get("color", ""))
    if colour:
        styles.append(f"color:{colour}")
    style = f' style="{";".join(styles)}"' if styles else ""
    if block:
        return f'\n\n<div class="wiki-font"{style}>\n\n', "\n\n</div>\n\n"
    return f"<span{style}>", "</span>"


def _box(name: str, args: dict[str, str]) -> tuple[str, str]:
    styles = []
    background = _safe_colour(args.get("bg", ""))
    if background:
        styles.append(f"background-color:{background}")
    width = args.get("width", "").strip()
    if _LENGTH_RE.fullmatch(width):
        styles.append(f"width:{width if not width.isdigit() else width + 'px'}")
    align = args.get("align", "").strip().lower()
    if align in ("left", "right", "center", "justify"):
        styles.append(f"text-align:{align}")
    style = f' style="{";".join(styles)}"' if styles else ""
    title = args.get("title", "").strip()
    heading = f'<p class="wiki-box-title"><strong>{html.escape(title)}</strong></p>\n\n' if title else ""
    return f'\n\n<div class="wiki-{name.lower()}"{style}>\n\n{heading}', "\n\n</div>\n\n"


def _image(args: dict[str, str]) -> str:
    src = _image_source(args)
    if not src:
        return ""
    attrs = [f'src="{html.escape(src)}"']
    for key in ("width", "height"):
        value = args.get(key, "").strip()
        if _LENGTH_RE.fullmatch(value):
            attrs.append(f'{key}="{value}"')
    alt = args.get("alt") or args.get("desc") or ""
    attrs.append(f'alt="{html.escape(alt)}"')
    return f"<img {' '.join(attrs)}>"


def _image_source(args: dict[str, str]) -> str:
    if args.get("attid", "").isdigit():
        return f"{LEGACY_WIKI}/tiki-download_wiki_attachment.php?attId={args['attid']}&display"
    file_id = args.get("fileid") or args.get("id") or ""
    if file_id.isdigit():
        return f"{LEGACY_WIKI}/tiki-download_file.php?fileId={file_id}&display"
    src = args.get("src", "").strip()
    if src.lower().startswith(("http://", "https://", "/")):
        return src
    return ""
