"""The event-log names of the search app (org.auditlog). The values are stored in the hash-chained log, so
they never change; code names them only through these constants."""

EXPORT = "search.export"
SAVED_SEARCH_SAVE = "search.saved.save"
SAVED_SEARCH_DELETE = "search.saved.delete"
