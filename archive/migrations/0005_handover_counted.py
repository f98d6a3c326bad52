from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0004_process_check_findings'),
    ]

    operations = [
        migrations.AddField(
            model_name='handoverform',
            name='counted',
            field=models.JSONField(blank=True, default=list, verbose_name='Rows counted by the receiver'),
        ),
        migrations.AddField(
            model_name='handoverform',
            name='discrepancy',
            field=models.TextField(blank=True, verbose_name='Discrepancy noted by the receiver'),
        ),
    ]
