"""Admin URLs of records/ beyond the model viewset (mounted under /admin/records/ by wagtail_hooks)."""
from django.urls import path

from . import views

app_name = "records_admin"

urlpatterns = [
    path("upload/", views.UploadView.as_view(), name="upload"),
    path("upload/file/", views.upload_file, name="upload_file"),
    path("separator-sheet/", views.separator_sheet, name="separator_sheet"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/confirm-name/", views.confirm_name, name="confirm_name"),
    path("<int:pk>/access-copy/", views.access_copy, name="access_copy"),
    path("<int:pk>/page/<int:number>/", views.page_image, name="page_image"),
    path("scan/<int:pk>/", views.master, name="master"),
    path("reconcile/", views.ReconcileView.as_view(), name="reconcile"),
    path("reconcile/<int:pk>/", views.ReconcileResultView.as_view(), name="reconcile_result"),
    path("reconcile/job/<int:pk>/", views.ReconcileJobView.as_view(), name="reconcile_job"),
    path("reconcile/job/<int:pk>/status/", views.reconcile_job_status, name="reconcile_job_status"),
]
