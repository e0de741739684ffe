"""What a run has claimed so far: each file's slug, legacy id and aliases. A later file of the dump
claiming one again fails, naming the file that has it; so does one claiming what another post in
the database has."""

from ..aliases import normalize_path
from ..models import Post
from .dump import DumpError, LegacyPost


class Claims:
    def __init__(self):
        self.slugs: dict[str, str] = {}  # slug: file name
        self.ids: dict[int, str] = {}
        self.aliases: dict[str, str] = {}  # normalised path: slug

    def claim(self, legacy: LegacyPost, post: Post | None, taken_aliases: dict[str, str]) -> None:
        """Check the file against this run and the database (`post`: the one it would write over;
        `taken_aliases`: the paths other posts hold); claim its slug, id and aliases."""
        self.check_identity(legacy.name, legacy.slug, legacy.tiki_page_id)
        if post is not None:
            if post.is_site_page:  # the dump's posts are no site page's revisions (site_pages.py)
                field = "slug" if post.slug == legacy.slug else "tiki_page_id"
                raise DumpError(
                    legacy.name,
                    f"{field} '{getattr(legacy, field)}' belongs to the site page '{post.title}'",
                    field=field,
                )
            if legacy.tiki_page_id and post.tiki_page_id and post.tiki_page_id != legacy.tiki_page_id:
                raise DumpError(
                    legacy.name,
                    f"slug '{legacy.slug}' belongs to another post (tiki_page_id {post.tiki_page_id})",
                    field="slug",
                )
            if post.slug != legacy.slug and Post.objects.filter(slug=legacy.slug).exclude(pk=post.pk).exists():
                raise DumpError(legacy.name, f"slug '{legacy.slug}' belongs to another post", field="slug")
        own_slug = post.slug if post else None
        for alias in legacy.aliases:
            path = normalize_path(alias.path)
            owner = self.aliases.get(path) or taken_aliases.get(path)
            if owner and owner not in (legacy.slug, own_slug, legacy.name):
                raise DumpError(
                    legacy.name, f"alias '{alias.path}' is already claimed by post '{owner}'", field="aliases"
                )
        self.claim_identity(legacy.name, legacy.slug, legacy.tiki_page_id)
        for alias in legacy.aliases:
            self.aliases.setdefault(normalize_path(alias.path), legacy.slug)

    def check_identity(self, name: str, slug: str, tiki_page_id: int | None) -> None:
        if slug in self.slugs:
            raise DumpError(name, f"slug '{slug}' is already used by {self.slugs[slug]}", field="slug")
        if tiki_page_id and tiki_page_id in self.ids:
            raise DumpError(
                name,
                f"tiki_page_id {tiki_page_id} is already used by {self.ids[tiki_page_id]}",
                field="tiki_page_id",
            )

    def claim_identity(self, name: str, slug: str, tiki_page_id: int | None) -> None:
        self.check_identity(name, slug, tiki_page_id)
        self.slugs[slug] = name
        if tiki_page_id:
            self.ids[tiki_page_id] = name

    def forget(self, legacy) -> None:
        """Let go of what a file claimed (a LegacyPost, or an unchanged file's slug and id)."""
        self.slugs.pop(legacy.slug, None)
        self.ids.pop(legacy.tiki_page_id, None)
        for alias in getattr(legacy, "aliases", ()):
            if self.aliases.get(normalize_path(alias.path)) == legacy.slug:
                del self.aliases[normalize_path(alias.path)]
