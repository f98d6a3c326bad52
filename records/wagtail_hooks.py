from wagtail import hooks

from .views import RecordViewSet


@hooks.register("register_admin_viewset")
def register_records_admin():
    return RecordViewSet("record")
