"""The audit log records a post's status and its waiting changes' state apart: an edit of a live post
left it published, with a draft of changes, not "draft". Rows written before keep what they said."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('posts', '0007_workflow'),
    ]

    operations = [
        migrations.AddField(
            model_name='postaction',
            name='from_pending',
            field=models.CharField(blank=True, choices=[('draft', 'Draft'), ('in_review', 'In review'), ('scheduled', 'Scheduled')], max_length=20),
        ),
        migrations.AddField(
            model_name='postaction',
            name='to_pending',
            field=models.CharField(blank=True, choices=[('draft', 'Draft'), ('in_review', 'In review'), ('scheduled', 'Scheduled')], max_length=20),
        ),
    ]
