"""Names kept as plain text — titles, summaries, tag and category names — hold no control
character but tab and line breaks: XML 1.0 cannot carry one, and a feed naming it fails whole."""

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)
