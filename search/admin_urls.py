"""Admin URLs of search/ (mounted under /admin/search-records/ by wagtail_hooks)."""
from django.urls import path

from . import saved, views

app_name = "search_admin"

urlpatterns = [
    path("", views.SearchView.as_view(), name="search"),
    path("export.csv", views.export_csv, name="export"),
    path("saved/", saved.save, name="saved_save"),
    path("saved/<int:pk>/delete/", saved.delete, name="saved_delete"),
]
