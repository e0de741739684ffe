from django.apps import AppConfig


class PostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "posts"
    verbose_name = "Content"

    def ready(self):
        from . import article, related, visible_changes

        visible_changes.connect_signals()
        related.connect_signals()
        article.connect_signals()
