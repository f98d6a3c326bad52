"""Wagtail's migrations leave English data in the admin: the groups Editors and Moderators, the workflow
and task "Moderators approval", the collection and the page tree's root "Root" and the sample page
"Welcome to your new Wagtail site!". They get Chinese names here (issue 16). Only a row that still carries
Wagtail's English name is renamed: a name an administrator changed is left as it is.

The handbook's own approval route (office, then general manager or department head) is the workflow
handbook/setup.py makes; Wagtail's default workflow stays for pages outside the handbook, now in Chinese.

Runs after the Wagtail migrations that find these groups by their English name (admin access, image and
document permissions, page locking), so they have done their work on a new database first."""
from django.db import migrations

GROUPS = {"Editors": "编辑", "Moderators": "审核员"}
WORKFLOWS = {"Moderators approval": "审核员审批"}
TASKS = {"Moderators approval": "审核员审批"}
ROOT_COLLECTION = ("Root", "全部集合")
ROOT_PAGE = ("Root", "全部页面")  # as handbook/setup.py TREE_ROOT_TITLE
WELCOME_PAGE = ("Welcome to your new Wagtail site!", "默认首页")


def _rename(model, names, field="name", **where):
    """A row still named `old` gets `new`, unless a row is already named `new` (a group name is unique)."""
    for old, new in names.items():
        if not model.objects.filter(**{field: new}, **where).exists():
            model.objects.filter(**{field: old}, **where).update(**{field: new})


def _rename_pages(Page, names, **where):
    for old, new in names.items():
        Page.objects.filter(title=old, **where).update(title=new)
        Page.objects.filter(draft_title=old, **where).update(draft_title=new)


def forwards(apps, schema_editor):
    _rename(apps.get_model("auth", "Group"), GROUPS)
    _rename(apps.get_model("wagtailcore", "Workflow"), WORKFLOWS)
    _rename(apps.get_model("wagtailcore", "Task"), TASKS)
    _rename(apps.get_model("wagtailcore", "Collection"), dict([ROOT_COLLECTION]), depth=1)
    Page = apps.get_model("wagtailcore", "Page")
    _rename_pages(Page, dict([ROOT_PAGE]), depth=1)
    _rename_pages(Page, dict([WELCOME_PAGE]), depth=2)


def backwards(apps, schema_editor):
    def flip(names):
        return {new: old for old, new in names.items()}

    _rename(apps.get_model("auth", "Group"), flip(GROUPS))
    _rename(apps.get_model("wagtailcore", "Workflow"), flip(WORKFLOWS))
    _rename(apps.get_model("wagtailcore", "Task"), flip(TASKS))
    _rename(apps.get_model("wagtailcore", "Collection"), flip(dict([ROOT_COLLECTION])), depth=1)
    Page = apps.get_model("wagtailcore", "Page")
    _rename_pages(Page, flip(dict([ROOT_PAGE])), depth=1)
    _rename_pages(Page, flip(dict([WELCOME_PAGE])), depth=2)


class Migration(migrations.Migration):
    dependencies = [
        ("handbook", "0004_requeue_procedures_for_search"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
