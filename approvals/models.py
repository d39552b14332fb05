"""Decisions (quyết định khen thưởng): one signed decision lists many dossiers' nominees."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.history import History
from dossiers import levels
from dossiers.models import Decider, Dossier


class DecisionState(models.TextChoices):
    DRAFT = "draft", _("Draft submission")
    PROPOSED = "proposed", _("Proposed to the President")
    SIGNED = "signed", _("Signed")


class Decision(models.Model):
    """A batch: the board head gathers dossiers awaiting decision; the decider signs it."""

    # The deciding organisation's code: the PM, the President, a province's People's Committee
    # or a ministry (an organisation of kind "decider").
    decider = models.CharField(_("decider"), max_length=16)
    state = models.CharField(
        _("state"), max_length=16, choices=DecisionState.choices, default=DecisionState.DRAFT
    )
    number = models.CharField(_("decision number"), max_length=40, null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    proposal_number = models.CharField(_("PM proposal number"), max_length=40, blank=True)
    dossiers = models.ManyToManyField(Dossier, through="DecisionEntry", related_name="decisions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = History()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decider", "year", "number"], name="uniq_decision_number_per_issuer_year"
            )
        ]
        indexes = [models.Index(fields=["decider", "state"])]

    def __str__(self) -> str:
        return self.number or f"#{self.pk} ({self.get_state_display()})"

    def get_decider_display(self) -> str:
        """The decider by its label (the PM, the President) or its organisation's name."""
        if self.decider in Decider.values:
            return str(Decider(self.decider).label)
        return levels.name_of(self.decider)


class DecisionEntry(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="entries")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="decision_entries")
    history = History()

    class Meta:
        verbose_name = _("decision entry")
        verbose_name_plural = _("decision entries")
        constraints = [
            models.UniqueConstraint(fields=["decision", "dossier"], name="uniq_decision_dossier")
        ]


class BallotBody(models.TextChoices):
    BLOC = "bloc", _("Bloc vote")
    COUNCIL = "council", _("Council vote")


class BallotState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BallotSession(models.Model):
    """A secret-ballot session of a bloc (or council) for one year, on a list of nominees."""

    body = models.CharField(_("body"), max_length=16, choices=BallotBody.choices)
    bloc = models.ForeignKey(
        "dossiers.Bloc", null=True, blank=True, on_delete=models.PROTECT, related_name="ballots"
    )
    council = models.ForeignKey(
        "dossiers.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ballots",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(
        _("state"), max_length=16, choices=BallotState.choices, default=BallotState.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    minutes = models.FileField(_("minutes"), upload_to="ballots/", blank=True)
    minutes_sha256 = models.CharField(_("minutes SHA-256"), max_length=64, blank=True)
    # Random salt of the session's sealing key (approvals.sealing); wiped at the close, kept out
    # of the history so that no copy outlives the session in the database's own tables.
    sealing_salt = models.BinaryField(default=b"", blank=True, editable=False)
    history = History(excluded_fields=["sealing_salt"])

    class Meta:
        verbose_name = _("ballot session")
        verbose_name_plural = _("ballot sessions")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "year"])]

    def __str__(self) -> str:
        where = self.bloc.code if self.bloc_id else self.council.code
        return f"{where} {self.year} #{self.pk}"


class Attendance(models.TextChoices):
    """A council member's attendance at the council's meeting (blank until known)."""

    PRESENT = "present", _("Present at the meeting")
    ABSENT = "absent", _("Absent from the meeting")


class BallotVoter(models.Model):
    """The roll, fixed when the session opens: one row per member organisation (or member).

    On a council's ballot, `attendance` says whether the member attended the council's meeting:
    recorded by the secretary's roll call, or by the member's own ballot (a vote at the meeting
    makes it present, a written vote absent). An absent member's ballot is its written vote
    (phiếu bằng văn bản, domain.md §2.4). Public, like the cast: it says nothing of the choices."""

    session = models.ForeignKey(BallotSession, on_delete=models.CASCADE, related_name="roll")
    organization = models.ForeignKey(
        "dossiers.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attendance = models.CharField(
        _("attendance"), max_length=8, choices=Attendance.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("voter on the roll")
        verbose_name_plural = _("voters on the roll")
        constraints = [
            models.UniqueConstraint(fields=["session", "organization"], name="uniq_roll_org"),
            models.UniqueConstraint(fields=["session", "user"], name="uniq_roll_user"),
        ]

    @property
    def in_writing(self) -> bool:
        """The member's ballot, if any, is a written vote: it was absent from the meeting."""
        return self.attendance == Attendance.ABSENT


class BallotItem(models.Model):
    """A nominee on the ballot and, once the session is closed, its tally."""

    session = models.ForeignKey(BallotSession, on_delete=models.CASCADE, related_name="items")
    nominee = models.ForeignKey(
        "dossiers.Nominee", on_delete=models.PROTECT, related_name="ballot_items"
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="ballot_items"
    )
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    eligible = models.PositiveIntegerField(default=0)
    voted = models.PositiveIntegerField(default=0)
    passed = models.BooleanField(null=True)
    outcome = models.CharField(max_length=20, blank=True)
    history = History()

    class Meta:
        verbose_name = _("nominee on a ballot")
        verbose_name_plural = _("nominees on a ballot")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "nominee"], name="uniq_ballot_nominee")
        ]


class BallotCast(models.Model):
    """Who voted and when, never what: one per voter on the roll, enforced by the database."""

    session = models.ForeignKey(BallotSession, on_delete=models.CASCADE, related_name="casts")
    voter = models.OneToOneField(BallotVoter, on_delete=models.PROTECT, related_name="cast")
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cast_at = models.DateTimeField(_("cast at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ballot cast")
        verbose_name_plural = _("ballots cast")
        ordering = ["cast_at"]


class BallotConflict(models.Model):
    """A conflict of interest the member declared with its cast: it does not vote on that
    nominee and is left out of the nominee's eligible members. Public, like the cast itself;
    the member's anonymous choices say nothing about it."""

    cast = models.ForeignKey(BallotCast, on_delete=models.CASCADE, related_name="conflicts")
    item = models.ForeignKey(
        BallotItem, on_delete=models.PROTECT, related_name="declared_conflicts"
    )

    class Meta:
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["cast", "item"], name="uniq_conflict_per_cast_item")
        ]


def _ballot_id():
    import uuid

    return uuid.uuid4()


class SealedBallot(models.Model):
    """A ballot while its session is open: the receipt and the choices, sealed with the
    session's key (approvals.sealing), which is not in the database. Deleted at the close,
    when its contents are written, shuffled, as `AnonymousChoice` and `BallotReceipt` rows."""

    id = models.UUIDField(primary_key=True, default=_ballot_id, editable=False)
    session = models.ForeignKey(
        BallotSession, on_delete=models.PROTECT, related_name="sealed_ballots"
    )
    sealed = models.BinaryField()

    class Meta:
        verbose_name = _("sealed ballot")
        verbose_name_plural = _("sealed ballots")


class AnonymousChoice(models.Model):
    """One choice on one nominee of a closed session, never who made it nor which ballot it
    came from: a random key, no time, no history, all written by the close in a random order.

    One row per (ballot, nominee) rather than per ballot: a whole ballot that lacks a nominee
    would point to the member who declared a conflict on it."""

    id = models.UUIDField(primary_key=True, default=_ballot_id, editable=False)
    session = models.ForeignKey(
        BallotSession, on_delete=models.PROTECT, related_name="anonymous_choices"
    )
    item = models.ForeignKey(BallotItem, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("anonymous choice")
        verbose_name_plural = _("anonymous choices")


class BallotReceipt(models.Model):
    """The receipt of one counted ballot of a closed session (random, 64 hex digits): the member
    got it when casting and finds it in the published list; it says nothing of the choices."""

    id = models.UUIDField(primary_key=True, default=_ballot_id, editable=False)
    session = models.ForeignKey(BallotSession, on_delete=models.PROTECT, related_name="receipts")
    receipt = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("ballot receipt")
        verbose_name_plural = _("ballot receipts")
