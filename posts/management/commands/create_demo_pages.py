from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from posts import site_pages, workflow
from posts.models import Post

Kind = Post.Kind
# (kind, address, title, Markdown body) of the demo's site pages.
PAGES = [
    (
        Kind.HOME_INTRODUCTION,
        "",
        "Home page introduction",
        "**VitaminDWiki** gathers medical research about vitamin D: new studies, overviews and what"
        " they mean, in [posts](/posts/) filed by [category](/categories/) and [tag](/tags/).",
    ),
    (
        Kind.PAGE,
        "/about/",
        "About VitaminDWiki",
        "VitaminDWiki collects research news about vitamin D since 2008.\n\n"
        "Every post is written and reviewed by volunteers; none of it is medical advice.",
    ),
    (
        Kind.PAGE,
        "/contact/",
        "Contact",
        "Write to the editors at <editors@example.com>. Corrections to a post are welcome.",
    ),
]


class Command(BaseCommand):
    help = (
        "Publish the demo's site pages (About, Contact, the home page's introduction) where missing. Development only."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo pages are for local development only (DJANGO_DEBUG is off).")
        by = get_user_model().objects.filter(username="admin", is_superuser=True).first()
        if by is None:
            raise CommandError("Run create_demo_users first: the demo's admin publishes the pages.")
        for kind, path, title, body in PAGES:
            if Post.objects.existing().filter(kind=kind, path=path).exists():
                continue
            content = workflow.Content(title, site_pages.new_slug(title), body)
            page = workflow.create(by=by, content=content, post=Post(kind=kind, path=path), message="Demo page")
            workflow.publish(page, by=by)
            self.stdout.write(f"  {page.get_kind_display():<22} {path or '/ (top)'}  {title}")
