"""The edit page's internal notes (admin/posts/post/_notes.html): staff only, never readers."""

from django import template

register = template.Library()


@register.simple_tag
def notes_of(post):
    """The post's notes, newest first. The edit page is only shown to those who may see the post."""
    return list(post.notes.select_related("author"))
