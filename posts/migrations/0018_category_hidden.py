"""Categories hidden from readers (Category.hidden). Existing ones stay shown until hidden in the
admin, which stores their posts' articles again (receivers.py); the import makes those named in
VDWIKI_HIDDEN_CATEGORIES hidden."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0017_written_summary"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="hidden",
            field=models.BooleanField(
                default=False,
                help_text="Kept from readers: no page, feed or link, and not named on its posts (for editors'"
                " filing, such as “Admin Only”). Its posts stay readable.",
            ),
        ),
    ]
