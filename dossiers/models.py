"""The award-dossier domain: organisations, blocs, award forms, dossiers, nominees, documents.

Knows nothing of approvals or flows. Every model that holds dossier data keeps history.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from audit.history import History


class Level(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCE = "province", _("Province")
    MINISTRY = "ministry", _("Ministry or central body")


class OrganizationKind(models.TextChoices):
    UNIT = "unit", _("Proposing unit")
    BOARD = "board", _("Emulation-Commendation Board")
    COUNCIL = "council", _("Emulation-Commendation Council")
    DECIDER = "decider", _("Deciding authority")


class Organization(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True, allow_unicode=False)
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    kind = models.CharField(
        _("kind"), max_length=16, choices=OrganizationKind.choices, default=OrganizationKind.UNIT
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT
    )
    history = History()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.short_name or self.name}"


class VoteDenominator(models.TextChoices):
    TOTAL_MEMBERS = "total_members", _("Total eligible members")
    VOTERS = "voters", _("Members who voted")


class BlocKind(models.TextChoices):
    KHOI = "khoi", _("Bloc (khối)")
    CUM = "cum", _("Cluster (cụm)")


class Bloc(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=8, choices=BlocKind.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    organizer = models.ForeignKey(
        Organization, verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="+"
    )
    # The bloc's own vote rule (its regulation, quy chế khối: no national number exists); where
    # it is blank, the award form's rule applies.
    vote_threshold_percent = models.PositiveSmallIntegerField(
        _("vote threshold (%)"), null=True, blank=True
    )
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (%)"), null=True, blank=True)
    vote_denominator = models.CharField(
        _("threshold denominator"), max_length=16, choices=VoteDenominator.choices, blank=True
    )
    history = History()

    class Meta:
        verbose_name = _("emulation bloc")
        verbose_name_plural = _("emulation blocs")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class BlocMembership(models.Model):
    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="bloc_memberships"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    history = History()

    class Meta:
        verbose_name = _("bloc membership")
        verbose_name_plural = _("bloc memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["bloc", "organization", "year"], name="uniq_bloc_member"
            )
        ]
        indexes = [models.Index(fields=["organization", "year"])]

    def __str__(self) -> str:
        return f"{self.bloc.code} {self.year}: {self.organization.code}"


class BlocLeadership(models.Model):
    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, related_name="leaderships")
    year = models.PositiveSmallIntegerField(_("year"))
    leader = models.ForeignKey(
        Organization, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="+"
    )
    deputy = models.ForeignKey(
        Organization,
        verbose_name=_("deputy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = History()

    class Meta:
        verbose_name = _("bloc leadership")
        verbose_name_plural = _("bloc leaderships")
        constraints = [models.UniqueConstraint(fields=["bloc", "year"], name="uniq_bloc_year_lead")]

    def __str__(self) -> str:
        return f"{self.bloc.code} {self.year}: {self.leader.code}"


class DocumentKind(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)

    class Meta:
        verbose_name = _("document kind")
        verbose_name_plural = _("document kinds")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class NomineeKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COLLECTIVE = "collective", _("Collective")
    HOUSEHOLD = "household", _("Household")


class Decider(models.TextChoices):
    PM = "TTG", _("Prime Minister")
    PRESIDENT = "CTN", _("State President (through the Prime Minister)")
    PROVINCE_CHAIR = "T-UBND", _("Provincial People's Committee chair")
    MINISTER = "MINISTER", _("Minister / head of central body")


class Stage(models.TextChoices):
    BLOC_VOTE = "bloc_vote", _("Bloc vote")
    INTAKE = "intake", _("Intake by the board")
    PUBLIC_NOTICE = "public_notice", _("Public notice")
    COUNCIL_VOTE = "council_vote", _("Council vote")
    APPRAISAL = "appraisal", _("Appraisal")
    SUBMISSION = "submission", _("The head's submission")
    DECISION = "decision", _("Decision")


class BlocVoteRule(models.TextChoices):
    REQUIRED = "required", _("Always through a bloc vote")
    IF_MEMBER = "if_member", _("Through the bloc when the proposer belongs to one that year")
    NONE = "none", _("No bloc vote")


class AwardForm(models.Model):
    """An award form or emulation title, with its route and rules, loaded as data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    for_individual = models.BooleanField(_("individuals"), default=False)
    for_collective = models.BooleanField(_("collectives"), default=False)
    for_household = models.BooleanField(_("households"), default=False)
    decider = models.CharField(_("decided by"), max_length=16, choices=Decider.choices)
    reviewing_body = models.ForeignKey(
        Organization,
        verbose_name=_("reviewing board"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    stages = models.JSONField(_("route of stages"), default=list)
    lower_stages = models.JSONField(
        _("route at the proposer's ministry or province"),
        default=list,
        blank=True,
        help_text=_(
            "For a state-level form proposed through a ministry or a province: the stages that "
            "level runs first, ending with its head's submission."
        ),
    )
    central_notice = models.BooleanField(
        _("public notice at the central level too"),
        default=False,
        help_text=_(
            "Heroes and national emulation fighters: posted for public comment on the central "
            "board's portal even after the ministry's or province's own notice (domain.md §2.2)."
        ),
    )
    bloc_vote_rule = models.CharField(
        _("bloc vote"), max_length=16, choices=BlocVoteRule.choices, default=BlocVoteRule.NONE
    )
    vote_threshold_percent = models.PositiveSmallIntegerField(_("vote threshold (%)"), default=50)
    vote_denominator = models.CharField(
        _("threshold denominator"),
        max_length=16,
        choices=VoteDenominator.choices,
        default=VoteDenominator.TOTAL_MEMBERS,
    )
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (%)"), default=50)
    # domain.md §2.4 `absentee_written_vote`: the rules found so far ([old] Decree 91/2017
    # Art. 45(8); a State Bank procedure for the PM's certificate) let absent members give
    # written opinions, hence the default; a form whose rule counts only the members present
    # sets it off in the catalogue.
    absentee_written_vote = models.BooleanField(
        _("written votes of absent council members"),
        default=True,
        help_text=_(
            "A council member absent from the council's meeting may send a written vote (phiếu "
            "bằng văn bản) on this form, counted like the ballots cast at the meeting."
        ),
    )
    public_notice_days = models.PositiveSmallIntegerField(
        _("public notice (working days)"), default=0
    )
    stage_days = models.JSONField(_("working days per stage"), default=dict, blank=True)
    required_documents = models.ManyToManyField(
        DocumentKind, verbose_name=_("required documents"), blank=True
    )
    valid_from = models.DateField(_("effective from"))
    valid_until = models.DateField(_("effective until"), null=True, blank=True)
    legal_basis = models.TextField(_("legal citation"))
    # The eligibility rules that apply and their numbers (dossiers.eligibility), with citations.
    eligibility = models.JSONField(_("eligibility rules"), default=dict, blank=True)
    history = History(m2m_fields=[required_documents])

    class Meta:
        verbose_name = _("award form")
        verbose_name_plural = _("award forms")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def allows(self, kind: str) -> bool:
        return {
            NomineeKind.INDIVIDUAL: self.for_individual,
            NomineeKind.COLLECTIVE: self.for_collective,
            NomineeKind.HOUSEHOLD: self.for_household,
        }.get(kind, False)

    def in_force_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def has_stage(self, stage: str) -> bool:
        return stage in self.stages


class DossierState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    BLOC_VOTING = "bloc_voting", _("Bloc vote")
    INTAKE = "intake", _("Intake")
    RETURNED = "returned", _("Returned for supplement")
    PUBLIC_NOTICE = "public_notice", _("Public notice")
    COUNCIL_REVIEW = "council_review", _("Council review")
    APPRAISAL = "appraisal", _("Appraisal")
    AWAITING_SUBMISSION = "awaiting_submission", _("Awaiting the head's submission")
    ON_HOLD = "on_hold", _("On hold")
    AWAITING_DECISION = "awaiting_decision", _("Awaiting decision")
    AWAITING_PRESIDENT = "awaiting_president", _("Proposed to the President")
    DECIDED = "decided", _("Decided")
    NOT_APPROVED = "not_approved", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")


STATE_LABELS: dict[str, str] = dict(DossierState.choices)


class Dossier(models.Model):
    """A proposal (hồ sơ đề nghị): one proposing organisation, one award form, many nominees."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("proposing organisation"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    award_form = models.ForeignKey(
        AwardForm, verbose_name=_("award form"), on_delete=models.PROTECT, related_name="dossiers"
    )
    year = models.PositiveSmallIntegerField(_("achievement year"))
    title = models.CharField(_("title"), max_length=255)
    state = models.CharField(
        _("state"), max_length=24, choices=DossierState.choices, default=DossierState.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    bloc = models.ForeignKey(
        Bloc,
        verbose_name=_("voting bloc"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    held_from = models.CharField(_("held from state"), max_length=24, blank=True)
    holder = models.ForeignKey(
        Organization,
        verbose_name=_("level now holding it"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The ministry, province or central level whose board, council or head acts now."
        ),
    )
    route_step = models.PositiveSmallIntegerField(_("step of the route"), null=True, blank=True)
    stage_started_on = models.DateField(_("stage clock started"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The officer of the holding level's board who works on the dossier now."),
    )
    history = History()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "year"]),
            models.Index(fields=["organization", "state"]),
            models.Index(fields=["award_form", "year"]),
            models.Index(fields=["due_date"]),
            models.Index(fields=["holder", "state"]),
            models.Index(fields=["assignee", "state"]),
            # A level's inbox in due order (workflows.selectors.dossier_inbox) and the year
            # filter's count read an index, not every dossier (`make load`).
            models.Index(fields=["holder", "due_date", "id"]),
            models.Index(fields=["year", "id"]),
            # A state's dossiers in id order, read from the index alone: the lists' and their
            # counts' `?state=`, merged with the user's grants (workflows.policy); and in due
            # order: a voter's inbox, the dossiers at the vote, soonest due first.
            models.Index(fields=["state", "id"]),
            models.Index(fields=["state", "due_date", "id"]),
            # The board's queue of a state's unassigned dossiers (`?state=…&assignee=none`) and
            # its count, in id order from the index alone (at 100,000 dossiers the count read
            # every intake row from the table: 29 → 10 ms).
            models.Index(fields=["state", "assignee", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def get_state_display(self) -> str:
        """The state's label, in the active language. Django's own translates every state's
        label to look one up, for each row of a list."""
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def is_overdue(self) -> bool:
        from dossiers.calendar import today

        return self.overdue_on(today())

    def overdue_on(self, day: datetime.date) -> bool:
        """Past its due date on `day` (a list reads today once for all its rows)."""
        return self.due_date is not None and self.due_date < day


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class TitleCategory(models.TextChoices):
    RATING = "rating", _("Annual rating")
    TITLE = "title", _("Emulation title")
    CERTIFICATE = "certificate", _("Certificate of merit")
    ORDER = "order", _("Order")
    HONOUR = "honour", _("State honorary title")
    INITIATIVE = "initiative", _("Recognised initiative")


class TitleKind(models.Model):
    """What a history entry records: a rating, a title, a certificate, an order or an initiative
    recognised at some reach (catalogue data). An award form records itself under its own code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    category = models.CharField(_("category"), max_length=16, choices=TitleCategory.choices)
    for_individual = models.BooleanField(_("individuals"), default=True)
    for_collective = models.BooleanField(_("collectives"), default=False)
    legal_basis = models.TextField(_("legal citation"), blank=True)
    history = History()

    class Meta:
        verbose_name = _("title kind")
        verbose_name_plural = _("title kinds")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """An individual of the registry, known by the 12-digit citizen identity number (CCCD)."""

    identity = models.CharField(_("identity number (CCCD)"), max_length=12, unique=True)
    full_name = models.CharField(_("full name"), max_length=255)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True)
    position = models.CharField(_("position"), max_length=255, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = History()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "id"]
        indexes = [models.Index(fields=["organization", "full_name"])]

    def __str__(self) -> str:
        return self.full_name


class Collective(models.Model):
    """A collective of the registry: a named unit of an organisation (or the organisation)."""

    name = models.CharField(_("name"), max_length=255)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    female_percent = models.PositiveSmallIntegerField(
        _("women (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    history = History()

    class Meta:
        verbose_name = _("collective")
        verbose_name_plural = _("collectives")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="collective_unique")
        ]

    def __str__(self) -> str:
        return self.name


class EntrySource(models.TextChoices):
    AWARDED_HERE = "awarded_here", _("Awarded by a decision signed here")
    RECORDED = "recorded", _("Recorded from an earlier decision")
    IMPORTED = "imported", _("Imported from a spreadsheet")


class HistoryEntry(models.Model):
    """One title or award of a person or a collective, for one year (its period's last year)."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    collective = models.ForeignKey(
        Collective, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.ForeignKey(
        TitleKind, verbose_name=_("title"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    awarded_on = models.DateField(_("decision date"), null=True, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=40, blank=True)
    sudden = models.BooleanField(
        _("sudden or thematic"),
        default=False,
        help_text=_("Not counted toward merit-based prerequisites (Decree 98 Art. 4)."),
    )
    source = models.CharField(_("source"), max_length=16, choices=EntrySource.choices)
    nominee = models.OneToOneField(
        "Nominee", null=True, blank=True, on_delete=models.PROTECT, related_name="history_entry"
    )
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_reason = models.TextField(_("revocation reason"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = History()

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history entries")
        ordering = ["year", "id"]
        indexes = [
            models.Index(fields=["person", "year"]),
            models.Index(fields=["collective", "year"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, collective__isnull=True)
                | models.Q(person__isnull=True, collective__isnull=False),
                name="entry_has_one_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind_id} {self.year}"


class RestrictionKind(models.TextChoices):
    DISCIPLINE = "discipline", _("Discipline under consideration or in force")
    INSPECTION = "inspection", _("Investigation or inspection with signs of violation")
    COMPLAINT = "complaint", _("Complaint or denunciation being verified")
    PRESS = "press", _("Press-reported allegation being verified")


class Restriction(models.Model):
    """The board's register of matters that stop an award (Decree 98 Art. 4): while open, no
    award; after a discipline, achievements count only from its end."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="restrictions"
    )
    collective = models.ForeignKey(
        Collective, null=True, blank=True, on_delete=models.PROTECT, related_name="restrictions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RestrictionKind.choices)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = History()

    class Meta:
        verbose_name = _("restriction")
        verbose_name_plural = _("restrictions")
        ordering = ["-opened_on", "id"]


class NomineeOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    AWARDED = "awarded", _("Awarded")
    DECLINED = "declined", _("Declined")
    NOT_APPROVED = "not_approved", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")
    ON_HOLD = "on_hold", _("On hold")


class Nominee(models.Model):
    """A person, collective or household proposed in a dossier, with its own outcome."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="nominees")
    kind = models.CharField(_("kind"), max_length=16, choices=NomineeKind.choices)
    name = models.CharField(_("name"), max_length=255)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    achievements = models.TextField(_("achievements"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=NomineeOutcome.choices, default=NomineeOutcome.PENDING
    )
    outcome_reason = models.TextField(_("outcome reason"), blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="nominations"
    )
    collective = models.ForeignKey(
        Collective, null=True, blank=True, on_delete=models.PROTECT, related_name="nominations"
    )
    criterion = models.CharField(
        _("criterion claimed"),
        max_length=40,
        blank=True,
        help_text=_("Where the law gives alternative criteria, the one the proposer claims."),
    )
    # What the proposer gave for an individual named by CCCD, kept to compare with the registry's
    # entry, which it never rewrites: a contradiction is a failed `identity` check. Never shown
    # (not in the dossier's JSON) and kept out of the history rows.
    stated_birth_date = models.DateField(_("birth date given"), null=True, blank=True)
    stated_sex = models.CharField(_("sex given"), max_length=8, choices=Sex.choices, blank=True)
    # The last eligibility run: [{"rule", "outcome", "message", "citation", ...}] (dossiers.checks)
    checks = models.JSONField(_("eligibility checks"), default=list, blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    history = History(excluded_fields=["checks", "checked_at", "stated_birth_date", "stated_sex"])

    class Meta:
        verbose_name = _("nominee")
        verbose_name_plural = _("nominees")
        ordering = ["id"]
        # A person's or a collective's live nominees (the claims `checks.live_nominees` reads).
        indexes = [
            models.Index(fields=["person", "outcome"]),
            models.Index(fields=["collective", "outcome"]),
        ]

    def __str__(self) -> str:
        return self.name


class CheckOverride(models.Model):
    """An appraiser's override of one overridable check on one nominee, with its reason; it
    counts once the board head confirms it. Never edited: a new override replaces the old."""

    nominee = models.ForeignKey(Nominee, on_delete=models.CASCADE, related_name="overrides")
    rule = models.CharField(_("rule"), max_length=40)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    history = History()

    class Meta:
        verbose_name = _("check override")
        verbose_name_plural = _("check overrides")
        ordering = ["id"]


def attachment_path(instance: Attachment, filename: str) -> str:
    """Under 255 bytes on disk whatever the name's script: shortened by UTF-8 bytes (uploads)."""
    from dossiers.uploads import safe_name

    name = safe_name(filename)
    return f"dossiers/{instance.dossier_id}/v{instance.version}/{instance.sha256[:16]}-{name}"


class Attachment(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    kind = models.ForeignKey(
        DocumentKind, verbose_name=_("document kind"), on_delete=models.PROTECT
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    version = models.PositiveIntegerField(_("dossier version"))
    uploaded_by = models.ForeignKey(  # null: generated by the system (e.g. ballot minutes)
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    history = History()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class Role(models.TextChoices):
    UNIT_OFFICER = "unit_officer", _("Unit emulation officer")
    UNIT_HEAD = "unit_head", _("Unit head")
    BLOC_VOTER = "bloc_voter", _("Bloc voter")
    BOARD_OFFICER = "board_officer", _("Board officer")
    BOARD_HEAD = "board_head", _("Board head")
    COUNCIL_SECRETARY = "council_secretary", _("Council secretary")
    COUNCIL_MEMBER = "council_member", _("Council member")
    DECIDER = "decider", _("Decider")
    CONSULTED = "consulted", _("Consulted body (hiệp y)")
    INSPECTOR = "inspector", _("Inspector")


class RoleGrant(models.Model):
    """A role held by a user, for an organisation (unit, board, council or decider)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_grants",
    )
    history = History()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organization"], name="uniq_role_grant")
        ]

    def __str__(self) -> str:
        """In words, as the admin's messages name it: "proposer-VHNT: Cán bộ thi đua đơn vị,
        Liên hiệp các Hội Văn học nghệ thuật Việt Nam"."""
        role = self.get_role_display()
        if self.organization_id is None:
            return f"{self.user}: {role}"
        return f"{self.user}: {role}, {self.organization.name}"


class ActionRequest(models.Model):
    """A client's idempotency key: a retried request returns the first result, acts once.

    `fingerprint` binds the key to its first request (method, path, body hash): the same key on
    another request is refused (workflows/idempotency.py)."""

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=40)
    dossier = models.ForeignKey(Dossier, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_action_request")]


class DossierUserObjectPermission(UserObjectPermissionBase):
    """guardian's per-dossier permissions with a real foreign key (guardian's advice at scale)."""

    content_object = models.ForeignKey(Dossier, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class DossierGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Dossier, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
