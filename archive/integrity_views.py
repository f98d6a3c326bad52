"""The integrity screens' actions (issue 17): the DA/T 70 checks of a volume on demand, from its page. The
checks themselves are archive/dat70.py; fixity problems are shown on the dashboard (archive/dashboard.py)."""
from django.utils.translation import gettext as _

from . import dat70
from .base import ChainError
from .models import Volume
from .views import action_view, scoped


@action_view
def volume_dat70(request, pk):
    volume = scoped(request, Volume, pk, "integrity.check")
    found = dat70.run_on_demand(volume, actor=request.user, request=request)  # logged, passed or not
    if found:
        raise ChainError(dat70.summary(found))
    return _("Volume %(v)s passed the DA/T 70 checks (authenticity, integrity, usability, security).") % {
        "v": volume}
