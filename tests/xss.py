"""The XSS vectors every rendering path is tested with (pages, feeds, the admin, the browser), and
what "inert" means for the HTML they come out as."""

import re

from bs4 import BeautifulSoup

SAFE_SCHEMES = ("http", "https", "mailto")
BANNED_ELEMENTS = ["script", "style", "iframe", "object", "embed", "form", "svg", "math", "link", "meta", "base"]


def assert_inert(html: str) -> None:
    """Nothing in `html` can run script: no script/style/frames, handlers or unsafe URLs."""
    document = BeautifulSoup(html, "html.parser")
    assert document.find_all(BANNED_ELEMENTS) == []
    for element in document.find_all(True):
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), element
            if name in ("href", "src", "action", "formaction", "xlink:href", "data"):
                scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value)
                assert scheme is None or scheme.group(1).lower() in SAFE_SCHEMES, element
            if name == "style":
                lowered = value.lower()
                assert "expression" not in lowered and "url(" not in lowered, element
                assert "position" not in lowered, element
    assert "<script" not in html.lower()


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math href="javascript:alert(1)">x</math>',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button></form>',
    "<style>body { background: url(javascript:alert(1)) }</style>",
    '<div style="width: expression(alert(1))">x</div>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</div>',
    '<p style="behavior: url(x.htc); -moz-binding: url(x.xml#y)">x</p>',
    '<a href="/x" onclick="alert(1)" onmouseover="alert(1)">x</a>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<template><img src=x onerror=alert(1)></template>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](java\\script:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    '<a href="{{< toc >}}">x</a> {IMG(src="javascript:alert(1)")}{IMG}',
    # Found in the feeds: the old regex over HTML took `src=` inside an alt text for an attribute.
    '<span style="display:none"><img alt="y src=">/../ src=x onerror=alert(document.domain) x</span>',
    "<svg/onload=alert(1)>",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<math><mi xlink:href="data:x,<script>alert(1)</script>">x</mi></math>',
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<img src="x" alt=\'"><img src=x onerror=alert(1)>\'>',
    "<a title='x\" onmouseover=\"alert(1)'>x</a>",
    '![x" onerror="alert(1)](/x.png)',
    '[x](/a "t\\" onmouseover=\\"alert(1)")',
    '{IMG(src="x\\" onerror=\\"alert(1)")}{IMG}',
    '((x" onmouseover="alert(1)))',
    "<<script>alert(1)//<</script>",
    "<scr<script>ipt>alert(1)</script>",
    "<!--><img src=x onerror=alert(1)>-->",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<details open ontoggle=alert(1)>x</details>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<body onload=alert(1)>",
    '<div style="background-image: url(&quot;javascript:alert(1)&quot;)">x</div>',
    '<div id="post-body" onclick="alert(1)">x</div>',
]
