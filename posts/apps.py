from django.apps import AppConfig


class PostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "posts"
    verbose_name = "Content"

    def ready(self):
        from . import cache, related

        # Digests first: on commit, related posts are remade before cached pages go stale.
        related.connect_signals()
        cache.connect_signals()
