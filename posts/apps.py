from django.apps import AppConfig


class PostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "posts"
    verbose_name = "Content"

    def ready(self):
        from django.core.signals import request_started

        from . import receivers, scheduling

        receivers.connect()
        # Before any page is served, from the cache or not (cache.serve_cached_pages does the same).
        request_started.connect(scheduling.publish_if_due, dispatch_uid="vdwiki-publish-if-due")
