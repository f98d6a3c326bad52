"""Transaction-number formats and field-reading settings kept in the admin (issue 15, records/formats.py);
business types can be deactivated. The default format: 中国移动, AAYYYYMMDD99999."""
import django.core.validators
from django.db import migrations, models


def defaults(apps, schema_editor):
    TransactionFormat = apps.get_model("records", "TransactionFormat")
    TransactionFormat.objects.get_or_create(operator="中国移动", template="AAYYYYMMDD99999", prefixes="")
    FieldReadingSettings = apps.get_model("records", "FieldReadingSettings")
    if not FieldReadingSettings.objects.exists():
        FieldReadingSettings.objects.create(confidence_threshold=0.75)


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0009_page_fields'),
    ]

    operations = [
        migrations.CreateModel(
            name='FieldReadingSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('confidence_threshold', models.FloatField(default=0.75, help_text='A key field read with a lower confidence (0 to 1) is flagged for a person to check', validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)], verbose_name='Confidence threshold')),
            ],
            options={
                'verbose_name': 'Field reading settings',
                'verbose_name_plural': 'Field reading settings',
            },
        ),
        migrations.AddField(
            model_name='businesstype',
            name='active',
            field=models.BooleanField(default=True, help_text='An inactive business type is no longer recognised on new scans', verbose_name='Active'),
        ),
        migrations.CreateModel(
            name='TransactionFormat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('operator', models.CharField(max_length=60, verbose_name='Operator')),
                ('template', models.CharField(help_text='A = an uppercase letter, YYYYMMDD = the business date, 9 = a digit; any other character stands for itself. Example: AAYYYYMMDD99999', max_length=60, verbose_name='Number format')),
                ('prefixes', models.CharField(blank=True, help_text="Optional: the letters a number begins with, in place of the A's at the start of the format; several separated by commas (e.g. SC,BJ)", max_length=100, verbose_name='Fixed letters')),
                ('active', models.BooleanField(default=True, verbose_name='Active')),
            ],
            options={
                'verbose_name': 'Transaction number format',
                'verbose_name_plural': 'Transaction number formats',
                'ordering': ['operator', 'template'],
                'constraints': [models.UniqueConstraint(fields=('operator', 'template', 'prefixes'), name='one_row_per_transaction_format')],
            },
        ),
        migrations.RunPython(defaults, migrations.RunPython.noop),
    ]
