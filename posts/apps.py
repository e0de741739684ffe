from django.apps import AppConfig


class PostsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "posts"
    verbose_name = "Content"

    def ready(self):
        from . import receivers

        receivers.connect()
