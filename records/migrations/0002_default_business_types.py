"""Default business-type → category table (an administrator keeps it up to date in the admin)."""
from django.db import migrations

DEFAULTS = {
    "ownership": ["普通开户", "批量开户", "开户", "过户", "销户", "复机", "实名登记", "携号转网"],
    "general": ["资费变更", "品牌变更", "服务变更", "帐务变更", "换卡", "补卡", "SIM卡", "积分兑换", "充值卡",
                "特服业务", "挂失", "复话", "查询", "亲友号", "续费"],
    "agreement": ["入网协议", "合约计划", "协议", "终端合约", "集团业务协议", "VPMN协议", "集团短信协议"],
}


def load(apps, schema_editor):
    BusinessType = apps.get_model("records", "BusinessType")
    for category, names in DEFAULTS.items():
        for name in names:
            BusinessType.objects.get_or_create(name=name, defaults={"category": category})


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
