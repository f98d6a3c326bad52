"""Admin URLs of the chain (mounted under /admin/archive/ by wagtail_hooks)."""
from django.urls import path

from . import retention_views as rv
from . import views

app_name = "archive_admin"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("daily-close/", views.DailyCloseView.as_view(), name="daily_close"),
    path("daily-close/run/", views.daily_close, name="daily_close_run"),
    path("level1/hall/<int:hall_id>/day/<str:day>/", views.Level1View.as_view(), name="level1"),
    path("level1/hall/<int:hall_id>/day/<str:day>/open/", views.level1_open, name="level1_open"),
    path("level1/<int:pk>/mark/", views.level1_mark, name="level1_mark"),
    path("level1/<int:pk>/sign/", views.level1_sign, name="level1_sign"),
    path("level1/<int:pk>/handover/", views.give_clerk_hall, name="give_clerk_hall"),
    path("level1/<int:pk>/pdf/", views.level1_pdf, name="level1_pdf"),
    path("errors/<int:pk>/correct/", views.error_correct, name="error_correct"),
    path("keeper/", views.KeeperView.as_view(), name="keeper"),
    path("keeper/bind/", views.bind, name="bind"),
    path("keeper/close-month/", views.close_month, name="close_month"),
    path("keeper/handover/", views.give_hall_branch, name="give_hall_branch"),
    path("forms/<int:pk>/", views.FormView.as_view(), name="form"),
    path("forms/<int:pk>/receive/", views.form_receive, name="form_receive"),
    path("forms/<int:pk>/reject/", views.form_reject, name="form_reject"),
    path("forms/<int:pk>/check/", views.marketing_check, name="marketing_check"),
    path("forms/<int:pk>/pdf/", views.form_pdf, name="form_pdf"),
    path("volumes/<int:pk>/", views.VolumeView.as_view(), name="volume"),
    path("volumes/<int:pk>/fix/", views.volume_fix, name="volume_fix"),
    path("volumes/<int:pk>/return/", views.volume_return, name="volume_return"),
    path("volumes/<int:pk>/level2/", views.level2_start, name="level2_start"),
    path("volumes/<int:pk>/pdf/", views.volume_pdf, name="volume_pdf"),
    path("volumes/<int:pk>/cover.pdf", views.cover_pdf, name="cover_pdf"),
    path("volumes/<int:pk>/level2.pdf", views.level2_pdf, name="level2_pdf"),
    path("level2/<int:pk>/finding/", views.level2_finding, name="level2_finding"),
    path("level2/<int:pk>/finish/", views.level2_finish, name="level2_finish"),
    path("branch/", views.BranchView.as_view(), name="branch"),
    path("branch/monthly/", views.give_branch_marketing, name="give_branch_marketing"),
    path("branch/process-check/", views.process_check, name="process_check"),
    # retention, holds and destruction
    path("retention/", rv.RetentionView.as_view(), name="retention"),
    path("retention/service-events/", rv.service_events_upload, name="service_events_upload"),
    path("retention/schedule/", rv.schedule_change, name="schedule_change"),
    path("retention/holds/add/", rv.hold_add, name="hold_add"),
    path("retention/holds/<int:pk>/release/", rv.hold_release, name="hold_release"),
    path("retention/requests/add/", rv.deletion_request, name="deletion_request"),
    path("retention/restricted/<int:pk>/", rv.RestrictedOpenView.as_view(), name="restricted_open"),
    path("retention/restricted/<int:pk>/file/", rv.restricted_file, name="restricted_file"),
    path("destruction/", rv.ListsView.as_view(), name="destruction_lists"),
    path("destruction/draw/", rv.draw, name="destruction_draw"),
    path("destruction/<int:pk>/", rv.ListView.as_view(), name="destruction_list"),
    path("destruction/<int:pk>/appraise/", rv.appraise, name="destruction_appraise"),
    path("destruction/<int:pk>/approve/", rv.approve, name="destruction_approve"),
    path("destruction/<int:pk>/execute/", rv.execute, name="destruction_execute"),
    path("destruction/<int:pk>/purge/", rv.purge, name="destruction_purge"),
    path("destruction/<int:pk>/witness/", rv.witness, name="destruction_witness"),
    path("destruction/<int:pk>/pdf/", rv.list_pdf_view, name="destruction_pdf"),
]
