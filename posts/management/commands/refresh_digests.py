from django.core.management.base import BaseCommand

from posts.models import TagDigest
from posts.related import refresh_tag_digests


class Command(BaseCommand):
    help = "Remake every tag's digest of published posts (related posts read them), e.g. after a QuerySet.update()."

    def handle(self, *args, **options):
        refresh_tag_digests()
        self.stdout.write(self.style.SUCCESS(f"{TagDigest.objects.count()} tag digest(s) made"))
