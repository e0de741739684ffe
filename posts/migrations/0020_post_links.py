"""The links each published post makes to the site (PostLink), stored for the existing posts, and
the broken links report (BrokenLink) for Editors, Moderators and Admins."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models
import django.db.models.deletion

BATCH = 500


def store_links(apps, schema_editor):
    from posts.links import links_in

    Post = apps.get_model("posts", "Post")
    PostLink = apps.get_model("posts", "PostLink")
    published = Post.objects.filter(status="published").values_list("pk", "body_html").order_by("pk")
    rows = []
    for pk, body_html in published.iterator(chunk_size=BATCH):
        rows.extend(PostLink(post_id=pk, target=target, text=text) for target, text in links_in(body_html).items())
        if len(rows) >= BATCH:
            PostLink.objects.bulk_create(rows)
            rows = []
    PostLink.objects.bulk_create(rows)


def grant(apps, schema_editor):
    app_config = apps.get_app_config("posts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label="posts", codename="view_brokenlink")
    for group in Group.objects.filter(name__in=["Editor", "Moderator", "Admin"]):
        group.permissions.add(*view)


class Migration(migrations.Migration):

    dependencies = [
        ('posts', '0019_not_found_and_alias_hits'),
    ]

    operations = [
        migrations.CreateModel(
            name='PostLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target', models.CharField(db_index=True, max_length=1000)),
                ('text', models.CharField(blank=True, max_length=300)),
                ('post', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links', to='posts.post')),
            ],
        ),
        migrations.CreateModel(
            name='BrokenLink',
            fields=[
            ],
            options={
                'verbose_name': 'broken link',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('posts.postlink',),
        ),
        migrations.AddConstraint(
            model_name='postlink',
            constraint=models.UniqueConstraint(fields=('post', 'target'), name='posts_postlink_unique'),
        ),
        migrations.RunPython(store_links, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
