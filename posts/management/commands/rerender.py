from django.core.management.base import BaseCommand

from posts.changes import refresh
from posts.models import RENDERED_FIELDS, Post, Revision, render_body

BATCH = 500


class Command(BaseCommand):
    help = "Render every post and revision again, and every post's article (after the renderer changed)."

    def handle(self, *args, **options):
        posts = self._rerender(Post.objects.only("pk", "body", "written_summary", *RENDERED_FIELDS), RENDERED_FIELDS)
        revisions = self._rerender(Revision.objects.only("pk", "body", "body_html"), ["body_html"])
        post_ids = list(Post.objects.values_list("pk", flat=True))
        refresh(post_ids, seen=True, tag_ids=None)  # every article, every digest, every cached page
        articles = len(post_ids)
        self.stdout.write(
            self.style.SUCCESS(f"{posts} post(s) and {revisions} revision(s) changed; {articles} article(s) stored")
        )

    def _rerender(self, queryset, fields: list[str]) -> int:
        changed = 0
        batch = []
        for obj in queryset.order_by("pk").iterator(chunk_size=BATCH):
            rendered = render_body(obj.body)
            if isinstance(obj, Post):
                before = [getattr(obj, name) for name in fields]
                obj.set_rendered(rendered)
                if [getattr(obj, name) for name in fields] != before:
                    batch.append(obj)
            elif rendered.html != obj.body_html:
                obj.body_html = rendered.html
                batch.append(obj)
            if len(batch) >= BATCH:
                changed += self._save(queryset.model, batch, fields)
        return changed + self._save(queryset.model, batch, fields)

    def _save(self, model, batch, fields: list[str]) -> int:
        count = len(batch)
        model.objects.bulk_update(batch, fields)
        batch.clear()
        return count
