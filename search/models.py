"""The outbox (changes waiting for the index), the database backend's own search table and the searches
users save (search/saved.py)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEntry(models.Model):
    """One change to index, written in the transaction that made it; deleted once the index has it."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    doctype = models.CharField(_("Document type"), max_length=40)
    object_id = models.CharField(_("Object"), max_length=64)
    delete = models.BooleanField(_("Delete"), default=False)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Search outbox entry")
        verbose_name_plural = _("Search outbox entries")
        ordering = ["id"]


class IndexState(models.Model):
    """Per document type: the index search_reindex is building now (flushes write there too)."""
    wagtail_reference_index_ignore = True  # holds no references to Wagtail content

    doctype = models.CharField(max_length=40, unique=True)
    building = models.CharField(max_length=200, blank=True)


class SearchDoc(models.Model):
    """The database backend's index: one row per document, `terms` full-text indexed (FTS5 / tsvector).

    On SQLite the FTS5 table is kept in step by triggers (migration 0002); a later migration that rebuilds
    this table on SQLite (most AlterField/AddField do) drops them and must create them again."""
    wagtail_reference_index_ignore = True

    doctype = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    hall_id = models.IntegerField(null=True, db_index=True)
    branch_id = models.IntegerField(null=True, db_index=True)
    date = models.DateField(null=True)
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    terms = models.TextField(blank=True)  # body as space-separated words and CJK bigrams
    data = models.JSONField(default=dict)  # the document's result_fields, handed out as the hit's fields
    keys = models.JSONField(default=dict)  # only the keyword fields: small, so filters and facets read fast

    class Meta:
        constraints = [models.UniqueConstraint(fields=["doctype", "object_id"], name="search_doc_unique")]
        indexes = [models.Index(fields=["doctype", "date"])]


class SavedSearch(models.Model):
    """A search of the customer-file screen a user keeps under a name (search/saved.py): the query string
    of its text, filters, dates and sort. Only its owner sees it."""
    wagtail_reference_index_ignore = True

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("User"))
    name = models.CharField(_("Name"), max_length=80)
    query = models.TextField(_("Query"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Saved search")
        verbose_name_plural = _("Saved searches")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="search_saved_unique_name")]

    def __str__(self):
        return self.name
