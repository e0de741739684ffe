"""The categories and tags an import links its posts to, found (whatever their capitalisation;
a merged category's name finds the category it was merged into) or made once per run."""

from django.utils.text import slugify
from taggit.models import Tag

from ..models import Category


class Labels:
    def __init__(self):
        self.categories: dict[str, Category] = {}  # by slug
        self.category_names: dict[str, Category] = {}  # by the name as written
        self.tags: dict[str, Tag] = {}  # by the casefolded name

    def forget(self) -> None:
        """After a rolled-back batch: what it made is gone."""
        self.categories.clear()
        self.category_names.clear()
        self.tags.clear()

    def category(self, name: str) -> Category:
        if name in self.category_names:  # asked by every post in the category: skip the slugify
            return self.category_names[name]
        slug = Category.slug_for(name)
        if slug not in self.categories:
            self.categories[slug] = Category.objects.called(name) or Category.objects.create(name=name, slug=slug)
        self.category_names[name] = self.categories[slug]
        return self.categories[slug]

    def tag(self, name: str) -> Tag:
        key = name.casefold()
        if key not in self.tags:
            # taggit makes the slug, unless the name has no letter or digit to make one from.
            slug = "" if slugify(name, allow_unicode=True) else Category.slug_for(name)
            self.tags[key] = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name, slug=slug)
        return self.tags[key]
