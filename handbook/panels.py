"""The admin home page's panel of the handbook: the same notices as the handbook's pages (handbook/notices.py)
for everyone who works from the admin (clerks, auditors, editors), who may not open the handbook daily.
Nothing is shown when no approved version takes effect soon."""
from wagtail.admin.ui.components import Component

from org import access

from . import notices


class UpcomingVersionsPanel(Component):
    name = "handbook-upcoming"
    template_name = "handbook/home_panel.html"
    order = 20

    def __init__(self, user):
        self.user = user
        self.notices = notices.upcoming() if access.can(user, "handbook.read") else []

    def render_html(self, parent_context=None):
        return super().render_html(parent_context) if self.notices else ""

    def get_context_data(self, parent_context=None):
        return {"notices": self.notices}
