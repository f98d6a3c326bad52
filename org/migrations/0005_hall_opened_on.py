"""Hall.opened_on: a business date before it is flagged (issue 15)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0004_pii_key_check_value'),
    ]

    operations = [
        migrations.AddField(
            model_name='hall',
            name='opened_on',
            field=models.DateField(blank=True, help_text="A business date before it is flagged on the hall's scans", null=True, verbose_name='Opening date'),
        ),
    ]
