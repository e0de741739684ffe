"""The CDN URL rule: the legacy site's attachments live on two old CDN hosts, and bodies link
them as `https://<cdn host>/attachments/<ext>/<file>`. Rendering points such links at our stored
copies; the legacy import registers and copies the files they name (posts/legacy/attachments.py).
"""

import re

LEGACY_HOSTS = frozenset({"d1bk1kqxc0sym.cloudfront.net", "d378j1rmrlek7x.cloudfront.net"})

_HOSTS_PATTERN = "|".join(re.escape(host) for host in sorted(LEGACY_HOSTS))
_ATTACHMENT_URL = re.compile(rf"https?://(?:{_HOSTS_PATTERN})/attachments/[^\s\"'<>`\[\]{{}}|\\^]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?*_~"


def find_attachment_urls(text: str) -> list[str]:
    """Every legacy CDN attachment URL in `text`, in order of first appearance, without duplicates."""
    if "cloudfront" not in text.lower():
        return []
    urls = (_trim(match.group()) for match in _ATTACHMENT_URL.finditer(text))
    return list(dict.fromkeys(urls))


def _trim(url: str) -> str:
    # A URL ends a sentence or a Markdown link as often as it contains a parenthesis: strip
    # punctuation and unbalanced closing parentheses, as GFM's autolinker does.
    while url and (url[-1] in _TRAILING_PUNCTUATION or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url
