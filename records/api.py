"""REST API for records: scoped by org.access, ID numbers masked; the full number only through its own
endpoint, for roles that may see it, and every such view logged."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from org import access, pii

from .models import Record


class RecordSerializer(serializers.ModelSerializer):
    hall = serializers.SlugRelatedField(slug_field="code", read_only=True)
    clerk = serializers.SlugRelatedField(slug_field="username", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)

    class Meta:
        model = Record
        fields = ["id", "transaction_no", "hall", "clerk", "business_date", "business_type", "customer_name",
                  "service_number", "id_type", "id_number", "status", "created_at"]


class IdNumberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    id_number = serializers.CharField()


class RecordViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RecordSerializer

    def get_queryset(self):
        return access.visible(self.request.user, Record.objects.select_related("hall", "clerk"), "record.view")

    @action(detail=True, methods=["get"], url_path="id-number", serializer_class=IdNumberSerializer)
    def id_number(self, request, pk=None):
        """The unmasked ID number, for roles that may see it; the view is written to the event log."""
        record = self.get_object()
        if not pii.may_reveal(request.user, record):
            raise PermissionDenied(_("You may not see the full ID number"))
        full = pii.reveal(request.user, record, request=request, purpose="api")
        return Response({"id": record.pk, "id_number": full})
