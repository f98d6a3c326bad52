"""The handbook's page types: handbook → part → procedure → sub-procedure, and the records kept beside them
(the immutable revision log, read acknowledgements).

A procedure is structured, not one rich-text blob: every section of DOMAIN.md "The handbook" is a field, so
versions can be compared field by field (handbook.diff) and searched (handbook.indexing).
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from org import access

from . import versions
from .forms import ProcedureForm
from .timelimits import Unit


class ReaderMixin:
    """Every handbook page needs a logged-in user allowed to read the handbook (handbook.read)."""

    def serve(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), settings.WAGTAIL_FRONTEND_LOGIN_URL)
        if not access.can(request.user, "handbook.read"):
            raise PermissionDenied
        return super().serve(request, *args, **kwargs)


class HandbookPage(ReaderMixin, RoutablePageMixin, Page):
    """The handbook's root: lists its parts; search and the whole-handbook PDF hang off it."""

    intro = models.TextField(_("Introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["handbook.PartPage"]
    max_count = 1
    template = "handbook/handbook_page.html"

    class Meta:
        verbose_name = _("Procedure handbook")
        verbose_name_plural = _("Procedure handbooks")

    def parts(self):
        return PartPage.objects.child_of(self).live().order_by("path")

    @path("search/")
    def search_view(self, request):
        from . import views

        return views.search(request, self)

    @path("pdf/")
    def pdf_view(self, request):
        from . import views

        return views.handbook_pdf(request, self)

    @path("mermaid/")
    def mermaid_view(self, request):
        from . import views

        return views.mermaid_js(request, self)


class PartPage(ReaderMixin, Page):
    """第一部分 营业厅服务流程 …"""

    number = models.PositiveSmallIntegerField(_("Part number"), default=1)

    content_panels = Page.content_panels + [FieldPanel("number")]
    parent_page_types = ["handbook.HandbookPage"]
    subpage_types = ["handbook.ProcedurePage"]
    template = "handbook/part_page.html"

    class Meta:
        verbose_name = _("Handbook part")
        verbose_name_plural = _("Handbook parts")

    def procedures(self):
        return ProcedurePage.objects.child_of(self).live().order_by("path")

    def numbered_title(self):
        """第一部分 营业厅服务流程 (the legacy handbook's words: a Chinese numeral, not 第1部分)."""
        return _("Part %(number)s %(title)s") % {"number": part_numeral(self.number), "title": self.title}


def part_numeral(number):
    """The part's number as the handbook writes it: 一 … 九十九 in Chinese, digits otherwise."""
    if not (get_language() or "").startswith("zh") or not 0 < number < 100:
        return str(number)
    digits = "零一二三四五六七八九"
    tens, units = divmod(number, 10)
    return ((digits[tens] if tens > 1 else "") + "十" if tens else "") + (digits[units] if units else "")


class ResponsibilityBlock(blocks.StructBlock):
    role = blocks.CharBlock(label=_("Department / role"))
    duties = blocks.TextBlock(label=_("Duties"), required=False)

    class Meta:
        icon = "user"
        label = _("Responsibility")


class KeyMomentBlock(blocks.StructBlock):
    when = blocks.CharBlock(label=_("When"), required=False, help_text=_("e.g. 在系统内开户时"))
    do = blocks.TextBlock(label=_("Do"))
    limit_value = blocks.IntegerBlock(label=_("Time limit"), required=False, min_value=1)
    limit_unit = blocks.ChoiceBlock(label=_("Unit"), choices=Unit.choices, required=False)

    class Meta:
        icon = "time"
        label = _("Key moment")


class FormBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("Form"))
    note = blocks.CharBlock(label=_("Note"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("Related form")


class ProcedureBase(ReaderMixin, RoutablePageMixin, Page):
    """The fields every procedure and sub-procedure has."""

    number = models.PositiveSmallIntegerField(_("Number"), default=1)
    version = models.CharField(_("Version"), max_length=10, default="1.0", validators=[versions.validate],
                               help_text=_("V1.0 style; below 1.0 is a draft, for reference only"))
    change_summary = models.TextField(_("Change summary"), blank=True)
    owner_department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("Owning department"))
    process_owner = models.CharField(_("Owner"), max_length=120, blank=True)
    performers = models.CharField(_("Performers"), max_length=300, blank=True)
    collaborators = models.CharField(_("Collaborators"), max_length=300, blank=True)
    objective = models.TextField(_("Objective"), blank=True)
    scope = models.TextField(_("Scope"), blank=True)
    responsibilities = StreamField([("responsibility", ResponsibilityBlock())], blank=True,
                                   verbose_name=_("Department / role responsibilities"))
    key_moments = StreamField([("moment", KeyMomentBlock())], blank=True, verbose_name=_("Key moments"))
    flowchart = models.TextField(_("Flowchart (Mermaid source)"), blank=True,
                                 help_text=_("e.g. flowchart TD; A[受理] --> B[审核]"))
    related_forms = StreamField([("form", FormBlock())], blank=True, verbose_name=_("Related forms"))

    search_fields = Page.search_fields + [
        index.SearchField("objective"), index.SearchField("scope"), index.SearchField("key_moments"),
        index.SearchField("responsibilities"), index.SearchField("process_owner"), index.SearchField("performers"),
    ]
    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("number"), FieldPanel("version"), FieldPanel("change_summary")],
                        heading=_("Version")),
        MultiFieldPanel([FieldPanel("owner_department"), FieldPanel("process_owner"), FieldPanel("performers"),
                         FieldPanel("collaborators")], heading=_("Owner, performers, collaborators")),
        FieldPanel("objective"), FieldPanel("scope"), FieldPanel("responsibilities"),
        FieldPanel("key_moments"), FieldPanel("flowchart"), FieldPanel("related_forms"),
    ]
    template = "handbook/procedure_page.html"
    base_form_class = ProcedureForm  # "changed" by value, so 批准 in the editor saves no identical revision

    class Meta:
        abstract = True

    @property
    def is_draft(self):
        return versions.is_draft(self.version)

    @property
    def version_label(self):
        return versions.label(self.version)

    @property
    def is_sub_procedure(self):
        return False

    def moments(self):
        from .timelimits import label

        for block in self.key_moments:
            value = block.value
            limit = {"value": value.get("limit_value"), "unit": value.get("limit_unit")}
            yield {"when": value.get("when") or "", "do": value.get("do") or "",
                   "limit": label(limit) if limit["value"] and limit["unit"] else ""}

    def get_context(self, request, *args, **kwargs):
        from . import acknowledgement

        context = super().get_context(request, *args, **kwargs)
        user = request.user
        context["has_read"] = user.is_authenticated and acknowledgement.has_read(user, self)
        context["may_see_unread"] = user.is_authenticated and acknowledgement.halls_for(user).exists()
        context["handbook"] = HandbookPage.objects.first()
        return context

    def current_log_entry(self):
        return self.revision_log.order_by("-published_at", "-pk").first()

    @path("log/")
    def log_view(self, request):
        from . import views

        return views.revision_log(request, self)

    @path("revisions/<int:revision_id>/")
    def revision_view(self, request, revision_id):
        from . import views

        return views.earlier_version(request, self, revision_id)

    @path("diff/<int:old_id>/<int:new_id>/")
    def diff_view(self, request, old_id, new_id):
        from . import views

        return views.diff(request, self, old_id, new_id)

    @path("pdf/")
    def pdf_view(self, request):
        from . import views

        return views.procedure_pdf(request, self)

    @path("read/")
    def read_view(self, request):
        from . import views

        return views.acknowledge(request, self)

    @path("unread/")
    def unread_view(self, request):
        from . import views

        return views.unread(request, self)


class ProcedurePage(ProcedureBase):
    """A main procedure (主流程): approved by the general manager after the office's review."""

    parent_page_types = ["handbook.PartPage"]
    subpage_types = ["handbook.SubProcedurePage"]

    class Meta:
        verbose_name = _("Procedure")
        verbose_name_plural = _("Procedures")

    def sub_procedures(self):
        return SubProcedurePage.objects.child_of(self).live().order_by("path")


class SubProcedurePage(ProcedureBase):
    """A sub-procedure or operating procedure (子流程): approved by the head of its owning department."""

    parent_page_types = ["handbook.ProcedurePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("Sub-procedure")
        verbose_name_plural = _("Sub-procedures")

    @property
    def is_sub_procedure(self):
        return True


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("the revision log is append-only")

    def delete(self):
        raise PermissionDenied("the revision log is append-only")


class RevisionLogEntry(models.Model):
    """One row per publish: version, what changed, effective from, reviewer and approver. Never changed:
    a row's "effective to" is the next row's "effective from"."""

    # no database constraint and no cascade: the log outlives a deleted procedure and is never rewritten
    page = models.ForeignKey(Page, on_delete=models.DO_NOTHING, db_constraint=False, related_name="revision_log",
                             verbose_name=_("Procedure"))
    title = models.CharField(_("Title"), max_length=255, blank=True)
    revision = models.ForeignKey("wagtailcore.Revision", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                 verbose_name=_("Revision"), db_constraint=False)
    version = models.CharField(_("Version"), max_length=10)
    change_summary = models.TextField(_("Change summary"), blank=True)
    effective_from = models.DateTimeField(_("Effective from"))
    published_at = models.DateTimeField(_("Published at"), auto_now_add=True)
    reviewer = models.CharField(_("Reviewer"), max_length=150, blank=True)
    approver = models.CharField(_("Approver"), max_length=150, blank=True)
    published_by = models.CharField(_("Published by"), max_length=150, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("Revision log entry")
        verbose_name_plural = _("Revision log")
        ordering = ["page", "effective_from", "pk"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("the revision log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("the revision log is append-only")

    @property
    def effective_to(self):
        later = (RevisionLogEntry.objects.filter(page_id=self.page_id, effective_from__gt=self.effective_from)
                 .order_by("effective_from").first())
        return later.effective_from if later else None

    def __str__(self):
        return f"{self.page_id} V{self.version}"


class Acknowledgement(models.Model):
    """A reader confirmed "I have read V1.2" of a procedure."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("User"))
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+", verbose_name=_("Procedure"))
    version = models.CharField(_("Version"), max_length=10)
    read_at = models.DateTimeField(_("Read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Read acknowledgement")
        verbose_name_plural = _("Read acknowledgements")
        constraints = [models.UniqueConstraint(fields=["user", "page", "version"], name="one_ack_per_version")]

    def __str__(self):
        return f"{self.user} V{self.version}"
from .routing import RoutedApprovalTask  # noqa: E402,F401  (a Wagtail task model of this app)
