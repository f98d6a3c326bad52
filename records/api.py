"""REST API for records: scoped by org.access, ID numbers masked; the full number only through its own
endpoint, for roles that may see it, and every such view logged.

Uploads go through records.intake (the same checks as every other channel); retry and correction through
records.transitions. Errors are {"error": message}; a duplicate upload also names "existing_id" when the
caller may see that record (records.uploads); a file beyond the size limit is 413 before it is stored.
"""
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from org import access, pii
from org.models import Hall

from . import batch, intake, transitions, uploads
from .models import Category, Page, Record


class RecordSerializer(serializers.ModelSerializer):
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)
    clerk = serializers.SlugRelatedField(slug_field="username", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    flagged_fields = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Record
        fields = ["id", "transaction_no", "hall", "clerk", "business_date", "business_type", "customer_name",
                  "service_number", "id_type", "id_number", "status", "page_count", "flagged_fields",
                  "created_at"]


class PageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Page
        fields = ["number", "dpi", "skew", "warnings", "problems", "confidence"]


class KeyFieldSerializer(serializers.Serializer):
    value = serializers.CharField(allow_blank=True, allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    problem = serializers.CharField(allow_null=True)
    corrected_by = serializers.CharField(required=False)
    corrected_at = serializers.DateTimeField(required=False)


class RecordDetailSerializer(RecordSerializer):
    key_fields = serializers.SerializerMethodField(help_text="OCR-read key fields; the ID number masked")
    pages = PageSerializer(many=True, read_only=True)

    class Meta(RecordSerializer.Meta):
        fields = RecordSerializer.Meta.fields + ["category", "channel", "key_fields", "pages", "ocr_error",
                                                 "ocr_attempts"]

    @extend_schema_field(serializers.DictField(child=KeyFieldSerializer()))
    def get_key_fields(self, record):
        return record.public_fields()


def _upload_form(request):
    """(validated upload fields, None) or (None, error response): too large 413, bad fields 400, another
    hall 403."""
    if too_large := uploads.refusal(request):
        return None, _error(413, too_large)
    form = UploadSerializer(data=request.data)
    if not form.is_valid():
        return None, _error(400, _first_message(form.errors))
    data = form.validated_data
    hall = Hall.objects.filter(code=data["hall"]).first()
    if hall is not None and not access.can(request.user, "record.create", hall):
        return None, _error(403, _("You may not register customer files for hall %(hall)s") % {"hall": hall.code})
    return data, None


class BatchSerializer(serializers.Serializer):
    records = serializers.ListField(child=serializers.IntegerField())
    separators = serializers.IntegerField()
    refused = serializers.ListField(child=serializers.DictField())


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="PDF, TIFF, JPEG or PNG")
    hall = serializers.CharField(max_length=20, help_text="hall code, e.g. H11")
    clerk = serializers.CharField(max_length=150, help_text="username of the clerk whose file this is")
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_blank=True)


class CorrectSerializer(serializers.Serializer):
    field = serializers.CharField(max_length=40)
    value = serializers.CharField(allow_blank=True, max_length=200)


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()


class DuplicateSerializer(ErrorSerializer):
    existing_id = serializers.IntegerField(allow_null=True)


class IdNumberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    id_number = serializers.CharField()


def _error(code, message, **extra):
    return Response({"error": str(message), **extra}, status=code)


def _first_message(errors):
    """One readable line from a serializer's errors: "field: message"."""
    name, messages = next(iter(errors.items()))
    return f"{name}: {messages[0] if isinstance(messages, list) else messages}"


ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
UPLOAD_ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 409: DuplicateSerializer, 413: ErrorSerializer}
LIST_FILTERS = [
    OpenApiParameter("hall", OpenApiTypes.STR, description="hall code"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Record.Status.values),
]


@extend_schema_view(
    list=extend_schema(parameters=LIST_FILTERS, responses={200: RecordSerializer(many=True), 400: ErrorSerializer}),
    retrieve=extend_schema(responses={200: RecordDetailSerializer, 404: ErrorSerializer}),
)
class RecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RecordSerializer

    def handle_exception(self, exc):
        """DRF's own errors (401, 403, 404, 405) in this API's shape: {"error": message}."""
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and set(response.data) == {"detail"}:
            response.data = {"error": str(response.data["detail"])}
        return response

    def get_queryset(self):
        records = Record.objects.select_related("hall", "clerk")
        if self.action != "list":
            records = records.prefetch_related(Prefetch("pages", Page.objects.order_by("number")))
        return access.visible(self.request.user, records, "record.view")

    def get_serializer_class(self):
        return RecordSerializer if self.action == "list" else RecordDetailSerializer

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if params.get("hall"):
            queryset = queryset.filter(hall__code=params["hall"])
        if params.get("status"):
            if params["status"] not in Record.Status.values:
                raise ValidationError({"error": _("Unknown status %(status)s; valid: %(valid)s")
                                       % {"status": params["status"], "valid": ", ".join(Record.Status.values)}})
            queryset = queryset.filter(status=params["status"])
        return queryset

    def _detail(self, pk, code=status.HTTP_200_OK):
        record = self.get_queryset().get(pk=pk)
        return Response(RecordDetailSerializer(record, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: RecordDetailSerializer, **UPLOAD_ERRORS})
    def create(self, request):
        """Register one scanned file (PDF, TIFF, JPEG, PNG) as a new customer file; OCR is queued."""
        data, refusal = _upload_form(request)
        if refusal:
            return refusal
        try:
            hall, clerk = intake.resolve(data["hall"], data["clerk"])
            upload = data["file"]
            record = intake.ingest(request.user, hall=hall, clerk=clerk, fileobj=upload, name=upload.name,
                                   channel=Record.Channel.API, category=data.get("category") or "",
                                   request=request)
        except intake.IntakeError as exc:
            if exc.existing is not None:
                message, existing = uploads.duplicate_answer(request.user, data["file"].name, exc.existing,
                                                             exc.message, request)
                return _error(409, message, existing_id=existing.pk if existing else None)
            return _error(400, exc.message)
        return self._detail(record.pk, status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: BatchSerializer, **UPLOAD_ERRORS})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Register a batch scan (PDF or TIFF): it is split into customer files at the separator sheets."""
        data, refusal = _upload_form(request)
        if refusal:
            return refusal
        try:
            hall, clerk = intake.resolve(data["hall"], data["clerk"])
            result = batch.ingest_batch(request.user, hall=hall, clerk=clerk, fileobj=data["file"],
                                        name=data["file"].name, channel=Record.Channel.API,
                                        category=data.get("category") or "", request=request)
        except intake.IntakeError as exc:
            return _error(400, exc.message)
        refused = uploads.answer_refused(request.user, result.refused, request)
        body = {"records": [r.pk for r in result.records], "separators": result.separators,
                "refused": [{"name": n, "error": m, "existing_id": e.pk if e else None} for n, m, e in refused]}
        return Response(body, status=status.HTTP_201_CREATED if result.records else status.HTTP_400_BAD_REQUEST)

    @extend_schema(request=None, responses={200: RecordDetailSerializer, 409: ErrorSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue OCR again for a file whose OCR failed or finished. 409 when the file is in another state."""
        record = self.get_object()
        try:
            transitions.retry_ocr(request.user, record, request=request)
        except transitions.TransitionError as exc:
            return _error(409, exc)
        return self._detail(record.pk)

    @extend_schema(request=CorrectSerializer, responses={200: RecordDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct one key field (transaction_no, service_number, id_number, business_date, business_type,
        customer_name) or the category (ownership, general, agreement; until the daily close); the value is
        validated and the change logged. A corrected business type sets the category from the table."""
        record = self.get_object()
        form = CorrectSerializer(data=request.data)
        if not form.is_valid():
            return _error(400, _first_message(form.errors))
        try:
            transitions.correct_field(request.user, record, form.validated_data["field"],
                                      form.validated_data["value"], request=request)
        except transitions.TransitionError as exc:
            return _error(400, exc)
        return self._detail(record.pk)

    @extend_schema(responses={200: IdNumberSerializer, **ERRORS})
    @action(detail=True, methods=["get"], url_path="id-number", serializer_class=IdNumberSerializer)
    def id_number(self, request, pk=None):
        """The unmasked ID number, for roles that may see it; the view is written to the event log."""
        record = self.get_object()
        if not pii.may_reveal(request.user, record):
            raise PermissionDenied(_("You may not see the full ID number"))
        full = pii.reveal(request.user, record, request=request, purpose="api")
        return Response({"id": record.pk, "id_number": full})
