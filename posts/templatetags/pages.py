"""Numbered pagination for the public lists and the search (posts/_pagination.html)."""

from django import template

register = template.Library()

AROUND = 2  # page numbers shown either side of the current one, besides the first and the last


@register.filter
def page_numbers(page) -> list:
    """The page numbers to link, the first and last always among them, "…" where some are left out."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=AROUND, on_ends=1))
