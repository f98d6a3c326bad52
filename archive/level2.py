"""Level-2 audit (二级稽核) by the branch: a seeded sample per volume; the auditor checks every sampled file;
the volume passes, or goes back whole to the hall, noted on the hall→branch form."""
from django.utils.translation import gettext as _

from org import states

from . import errors, events, sampling, signatures
from .base import ChainError, Transition
from .models import ErrorEntry, HandoverForm, Level2Audit, Volume


class Start(Transition):
    action = "audit.level2"

    def __init__(self, actor, volume, request=None):
        super().__init__(actor, request)
        self.volume = volume

    def scope_object(self):
        return self.volume

    def check(self):
        super().check()
        self.volume = Volume.objects.select_for_update().get(pk=self.volume.pk)
        if not Volume.moves.allows("pass_level2", self.volume.status):
            raise ChainError(_("Volume %(v)s is %(s)s: the level-2 audit starts once the branch has received it.")
                             % {"v": self.volume, "s": self.volume.get_status_display()})

    def execute(self):
        current = self.volume.level2_audits.filter(result=Level2Audit.Result.OPEN).first()
        if current:
            return current
        ids = list(self.volume.items.values_list("record_id", flat=True))
        seed = sampling.new_seed()
        sample = sampling.draw(ids, sampling.level2_size(len(ids), self.volume.category), seed)
        audit = Level2Audit.objects.create(volume=self.volume, auditor=self.actor, seed=seed, sample=sample)
        self.log(events.LEVEL2_SAMPLE, self.volume, audit=audit.pk, seed=seed, size=len(sample), of=len(ids),
                 category=self.volume.category, sample=sample)
        return audit


class Finding(Transition):
    action = "audit.level2"

    def __init__(self, actor, audit, record, ok, note="", error_kind="", request=None):
        super().__init__(actor, request)
        self.audit, self.record, self.ok = audit, record, ok
        self.note, self.error_kind = note or "", error_kind or ""

    def scope_object(self):
        return self.audit.volume

    def check(self):
        super().check()
        self.audit = Level2Audit.objects.select_for_update().get(pk=self.audit.pk)
        if self.audit.result != Level2Audit.Result.OPEN:
            raise ChainError(_("This level-2 audit is finished."))
        if self.record.pk not in self.audit.sample:
            raise ChainError(_("File %(r)s is not in the sample of this volume.") % {"r": self.record})
        errors.refuse_pass_with_error(self.ok, self.error_kind)
        if not self.ok and not self.error_kind.strip():
            raise ChainError(_("Name the kind of error (e.g. missing signature, wrong ID copy)."))

    def execute(self):
        self.audit.findings = {**self.audit.findings, str(self.record.pk): {
            "ok": self.ok, "note": self.note, "kind": "" if self.ok else self.error_kind.strip()[:60]}}
        self.audit.save(update_fields=["findings"])
        if not self.ok:
            errors.register(self.actor, self.record, self.error_kind, ErrorEntry.Level.L2, self.note, self.request)
        self.log(events.LEVEL2_FINDING, self.record, audit=self.audit.pk, ok=self.ok, note=self.note)
        return self.audit


class Finish(Transition):
    """Sign the level-2 audit record: passed, or failed and the volume returned to the hall keeper."""

    action = "audit.level2"
    signing = True

    def __init__(self, actor, audit, password, reason="", request=None):
        super().__init__(actor, request)
        self.audit, self.password, self.reason = audit, password, (reason or "").strip()

    def scope_object(self):
        return self.audit.volume

    def check(self):
        super().check()
        self.audit = Level2Audit.objects.select_for_update().get(pk=self.audit.pk)
        if self.audit.result != Level2Audit.Result.OPEN:
            raise ChainError(_("This level-2 audit is already signed."))
        missing = [pk for pk in self.audit.sample if str(pk) not in self.audit.findings]
        if missing:
            raise ChainError(_("%(n)d sampled files are not checked yet.") % {"n": len(missing)})
        self.failed = any(not f["ok"] for f in self.audit.findings.values())
        if self.failed and not self.reason:
            raise ChainError(_("Give the reason the volume goes back; it is written on the hall→branch form."))

    def execute(self):
        volume = Volume.objects.select_for_update().get(pk=self.audit.volume_id)
        self.audit.result = Level2Audit.Result.FAILED if self.failed else Level2Audit.Result.PASSED
        self.audit.reason = self.reason
        self.audit.save(update_fields=["result", "reason"])
        signature = signatures.sign(self.actor, self.audit, "auditor", self.request)
        self.audit.signed_at = signature.signed_at
        self.audit.save(update_fields=["signed_at"])
        if not self.failed:
            states.move(volume, "pass_level2", self.actor, request=self.request, details={"audit": self.audit.pk})
            return self.audit
        form = (volume.forms.filter(kind=HandoverForm.Kind.HALL_BRANCH, status=HandoverForm.Status.ACCEPTED)
                .order_by("-created_at", "-id").first())
        keeper = form.giver
        form.notes = [*form.notes, {"volume": volume.number, "reason": self.reason, "audit": self.audit.pk,
                                    "by": self.actor.username, "at": signature.signed_at.isoformat()}]
        form.has_returns = True
        form.save(update_fields=["notes", "has_returns"])
        states.move(volume, "fail_level2", self.actor, request=self.request, holder=keeper, details={
            "audit": self.audit.pk, "reason": self.reason, "to": keeper.username, "form": form.pk, "level": "l2"})
        return self.audit
