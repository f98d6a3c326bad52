"""The record document carries where the paper is (archive.custody): binding and a signed handover show up
in search on both backends, through the outbox."""
import pytest

from archive import handover
from archive.binding import Bind
from records.models import Record
from search.query import search
from tests.archive_helpers import PASSWORD, day, make_day, to_keeper

from tests.search_support import any_backend, sync  # noqa: F401

pytestmark = pytest.mark.django_db


def _custody(user, transaction_no):
    result = search(user, transaction_no)
    assert result.total == 1
    return result.hits[0].fields["volume"], result.hits[0].fields["holder"]


def test_volume_and_holder_follow_binding_and_handover(make_record, users, any_backend):
    make_day(make_record, "H11", day(1), ["general"] * 30)
    archivist = users("archivist")
    first = Record.objects.filter(hall__code="H11").order_by("pk").first()
    sync(any_backend)
    assert _custody(archivist, first.transaction_no) == (None, users("clerk-H11").get_full_name())

    to_keeper(users, "H11", day(1))
    volumes = Bind(users("keeper-H11"), Record.objects.filter(hall__code="H11")).run()
    sync(any_backend)
    keeper = users("keeper-H11")
    assert _custody(archivist, first.transaction_no) == (volumes[0].number, keeper.get_full_name())
    assert search(archivist, "", volume=volumes[0].number).total == 30

    form = handover.GiveHallBranch(keeper, PASSWORD, volumes).run()
    handover.Receive(users("auditor-B1"), PASSWORD, form).run()
    sync(any_backend)
    assert _custody(archivist, first.transaction_no) == (volumes[0].number, users("auditor-B1").get_full_name())
