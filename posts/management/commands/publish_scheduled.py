from django.core.management.base import BaseCommand

from posts.workflow import publish_due


class Command(BaseCommand):
    help = (
        "Publish every scheduled revision whose time has come. For cron (every minute, say); the task "
        "worker (manage.py db_worker) does the same at each scheduled time."
    )

    def handle(self, *args, **options):
        published = publish_due()
        for post in published:
            self.stdout.write(f"Published “{post}” ({post.get_absolute_url()})")
        self.stdout.write(f"{len(published)} published.")
