"""The admin home page's 待办 panel: the signed-in user's tasks (archive/todo.py), rows with nothing waiting
left out, "暂无待办" when nothing waits at all; no panel for users whose roles have no step in it."""
from wagtail.admin.ui.components import Component

from . import todo


class TodoPanel(Component):
    name = "todo"
    template_name = "archive/todo_panel.html"
    order = 10  # first on the home page

    def __init__(self, user):
        self.user = user
        self.rows = todo.tasks(user)

    def render_html(self, parent_context=None):
        if not self.rows:
            return ""
        return super().render_html(parent_context)

    def get_context_data(self, parent_context=None):
        return {"tasks": [row for row in self.rows if row.count]}
