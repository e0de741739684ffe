"""The audit log's moves on what readers reach of a post besides its content: its aliases and attachments."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('posts', '0008_postaction_pending_states'),
    ]

    operations = [
        migrations.AlterField(
            model_name='postaction',
            name='action',
            field=models.CharField(choices=[('create', 'Created'), ('edit', 'Edited'), ('restore', 'Restored a revision'), ('submit', 'Submitted for review'), ('approve', 'Approved'), ('schedule', 'Scheduled'), ('send_back', 'Sent back'), ('publish', 'Published'), ('publish_scheduled', 'Published at its scheduled time'), ('unpublish', 'Unpublished'), ('delete', 'Deleted'), ('undelete', 'Undeleted'), ('aliases', 'Changed aliases'), ('attachments', 'Changed attachments')], db_index=True, max_length=20),
        ),
    ]
