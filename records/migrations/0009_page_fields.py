from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0008_record_destroyed_state'),
    ]

    operations = [
        migrations.AddField(
            model_name='page',
            name='fields',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
