"""REST API v1 (Django REST framework): the contract other systems integrate with."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Prefetch
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import auth
from api import schema as doc
from api import serializers as s
from api.pagination import DossierPagination
from approvals import ballots
from approvals import services as approval_services
from approvals.policy import ballot_abilities
from approvals.selectors import (
    ballot_get_for_user,
    ballot_list_visible_to,
    ballot_summary,
    decision_get_for_user,
    decision_list_visible_to,
)
from audit.filters import LedgerEventFilter
from audit.selectors import ledger_events
from audit.verify import verify
from dossiers.errors import ProofRequired
from dossiers.lifecycle import DOSSIER_ACTIONS
from dossiers.models import AwardForm, Bloc, BlocLeadership, BlocMembership, Organization
from dossiers.permissions import is_inspector
from workflows import inputs, policy, selectors
from workflows import services as wf
from workflows.filters import BlocFilter, DossierFilter
from workflows.idempotency import RequestKey, api_request_key, check_key


def _key(request) -> RequestKey | None:
    """The Idempotency-Key, bound to user, method, path and body (400 if too long, never cut)."""
    return api_request_key(request)


class TokenView(APIView):
    """POST {"username", "password"} → {"token", "expires_at"}; users with a second factor add
    {"otp"}. Each call mints a new token (one per client; only its digest is stored), valid for
    API_TOKEN_SECONDS. DELETE revokes the token the request is made with.

    Wrong credentials → 400; a missing or wrong code → 401 `otp_required` / `otp_invalid`;
    too many failures from this address → 429 `locked_out`. Every attempt for a username that
    is being sprayed from many addresses waits first (`auth.slow_down`)."""

    authentication_classes = [auth.ExpiringTokenAuthentication]

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    def perform_authentication(self, request):
        if request.method == "DELETE":  # asking for a new token ignores an old (expired) one
            super().perform_authentication(request)

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenSerializer})
    def post(self, request, *args, **kwargs):
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        auth.slow_down(username)
        user = authenticate(
            request=request._request, username=username, password=data.validated_data["password"]
        )
        if getattr(request._request, "axes_locked_out", False):
            return auth.locked_out(request._request, {"username": username})
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": [str(auth.WRONG_PASSWORD)]})
        if auth.second_factor_required(user):
            code = data.validated_data.get("otp", "")
            if not code:
                return Response(
                    {"detail": str(auth.CODE_NEEDED), "code": "otp_required"}, status=401
                )
            if auth.verify_code(user, code) is None:
                auth._failed(request._request, username)
                return Response({"detail": str(auth.CODE_WRONG), "code": "otp_invalid"}, status=401)
        instance, token = auth.token_issue(user)
        return Response(s.TokenSerializer({"token": token, "expires_at": instance.expiry}).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        auth.token_revoke(actor=request.user, token=request.auth, how="self")
        return Response(status=status.HTTP_204_NO_CONTENT)


def _with_fresh_code(request, serializer_class) -> tuple[dict, RequestKey | None]:
    """A signature-like act's body, validated, then its `otp` checked and consumed.

    A missing code is 403 `otp_required` whatever else the body holds; other invalid fields are
    400 and consume nothing; a wrong or used code is 403 `otp_invalid`. The Idempotency-Key is
    bound to the body without the code, so a retry (which needs a new code) still acts once."""
    data = serializer_class(data=request.data)
    if not data.is_valid():
        errors = data.errors if isinstance(data.errors, dict) else {}
        codes = {getattr(e, "code", "") for e in errors.get("otp", [])}
        if codes & {"required", "blank", "null"}:
            raise ProofRequired(auth.CODE_TO_SIGN)
        if codes:
            raise ProofRequired(auth.CODE_USED, code="otp_invalid")
        raise ValidationError(data.errors)
    values = dict(data.validated_data)
    key = request.headers.get("Idempotency-Key")
    request_key = None
    if key:
        check_key(key)
        body = {k: v for k, v in request.data.items() if k != "otp"}
        request_key = RequestKey.of(key, request.method, request.path, body)
    auth.require_fresh_code(request._request, request.user, values.pop("otp"))
    return values, request_key


class AwardFormList(generics.ListAPIView):
    serializer_class = s.AwardFormSerializer
    queryset = AwardForm.objects.prefetch_related("required_documents").select_related(
        "reviewing_body"
    )


class OrganizationList(generics.ListAPIView):
    serializer_class = s.OrganizationSerializer
    queryset = Organization.objects.select_related("parent")


class BlocList(generics.ListAPIView):
    """Every bloc; with `?year=` its members and leaders that year (a year that is not a whole
    number in range answers 400 `invalid`)."""

    serializer_class = s.BlocSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = BlocFilter

    def _year(self) -> int | None:
        if not hasattr(self, "_parsed_year"):
            parsed = BlocFilter(self.request.query_params, queryset=Bloc.objects.none())
            if not parsed.is_valid():
                raise ValidationError(parsed.errors)
            self._parsed_year = parsed.parsed_year()
        return self._parsed_year

    def get_queryset(self):
        year = self._year()
        members = BlocMembership.objects.select_related("organization").order_by(
            "organization__code"
        )
        leads = BlocLeadership.objects.select_related("leader", "deputy")
        if year is not None:
            members, leads = members.filter(year=year), leads.filter(year=year)
        else:
            members, leads = members.none(), leads.none()
        return Bloc.objects.select_related("organizer").prefetch_related(
            Prefetch("memberships", queryset=members, to_attr="year_members"),
            Prefetch("leaderships", queryset=leads, to_attr="year_leads"),
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "year": self._year()}


class DossierListCreate(generics.ListCreateAPIView):
    """Dossiers the user may see, filtered by state, year, award form and organisation code (a
    value that is not valid answers 400 `invalid`). Each item names at most its first 20
    nominees (`DOSSIER_LIST_NOMINEES`); `nominee_count` counts them all and
    `nominees_truncated` says some were left out; the dossier's own page carries every one."""

    serializer_class = s.DossierSerializer
    pagination_class = DossierPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = DossierFilter

    def get_queryset(self):
        return selectors.dossier_list_summaries(
            self.request.user, nominees_shown=settings.DOSSIER_LIST_NOMINEES
        )

    @extend_schema(
        request=inputs.DossierCreateSerializer, responses={201: s.DossierDetailSerializer}
    )
    def post(self, request):
        data = inputs.DossierCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        dossier = wf.dossier_start(
            actor=request.user,
            organization=values["organization"],
            award_form=values["award_form"],
            year=values["year"],
            title=values["title"],
            nominees=[dict(n) for n in values["nominees"]],
        )
        dossier = selectors.dossier_get_for_user(request.user, dossier.pk, detail=True)
        body = s.DossierDetailSerializer(dossier, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class DossierDetail(APIView):
    serializer_class = s.DossierDetailSerializer

    def _render(self, request, pk):
        dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
        return Response(s.DossierDetailSerializer(dossier, context={"request": request}).data)

    def get(self, request, pk: int):
        return self._render(request, pk)

    @extend_schema(request=s.DossierPatchSerializer, responses=s.DossierDetailSerializer)
    def patch(self, request, pk: int):
        dossier = selectors.dossier_get_for_user(request.user, pk)
        data = s.DossierPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        nominees = data.validated_data.get("nominees")
        wf.dossier_edit(
            actor=request.user,
            dossier=dossier,
            title=data.validated_data.get("title"),
            nominees=[dict(n) for n in nominees] if nominees is not None else None,
        )
        return self._render(request, pk)


class AttachmentCreate(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "required": ["file", "kind"],
            "properties": {"file": {"type": "string", "format": "binary"},
                           "kind": {"type": "string", "minLength": 1}}}},
        responses={201: s.AttachmentSerializer},
    )  # fmt: skip
    def post(self, request, pk: int):
        dossier = selectors.dossier_get_for_user(request.user, pk)
        data = inputs.AttachmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = wf.attachment_add(
            actor=request.user,
            dossier=dossier,
            kind_code=data.validated_data["kind"],
            upload=data.validated_data["file"],
        )
        return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class DossierAction(APIView):
    @extend_schema(
        request=inputs.ActionSerializer,
        responses=s.DossierDetailSerializer,
        parameters=[doc.ACTION, doc.IDEMPOTENCY_KEY],
    )
    def post(self, request, pk: int, action: str):
        if action not in DOSSIER_ACTIONS and action not in policy.ASSIGNMENT_ACTIONS:
            raise NotFound(f"Unknown action: {action}.")
        seen = selectors.dossier_get_for_user(request.user, pk)
        data = inputs.ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        wf.dossier_perform(
            actor=request.user,
            dossier=seen,
            action=action,
            payload=payload,
            request_key=_key(request),
        )
        dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
        return Response(s.DossierDetailSerializer(dossier, context={"request": request}).data)


class NomineeAction(APIView):
    """Hold one nominee of a dossier (`hold`, with `reason_code` and `reason`) or release them
    (`release`, with `reason`): the board of the level holding the dossier."""

    @extend_schema(
        request=inputs.ActionSerializer,
        responses=s.DossierDetailSerializer,
        parameters=[doc.NOMINEE_ACTION, doc.IDEMPOTENCY_KEY],
    )
    def post(self, request, pk: int, nominee: int, action: str):
        if action not in wf.NOMINEE_ACTIONS:
            raise NotFound(f"Unknown action: {action}.")
        selectors.dossier_get_for_user(request.user, pk)
        data = inputs.ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wf.nominee_act(
            actor=request.user,
            dossier=pk,
            nominee=nominee,
            action=action,
            payload=dict(data.validated_data),
            request_key=_key(request),
        )
        dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
        return Response(s.DossierDetailSerializer(dossier, context={"request": request}).data)


class CheckOverrideAction(APIView):
    """An eligibility check of one nominee: `override` it (an officer of the board holding the
    dossier, with `reason`; the check must have failed and be overridable), or `confirm` the
    override (the board's head, not the officer who made it). Both are audited; the dossier's
    nominees then show the check as `overridden`."""

    @extend_schema(
        request=inputs.ActionSerializer,
        responses=s.DossierDetailSerializer,
        parameters=[doc.OVERRIDE_ACTION, doc.IDEMPOTENCY_KEY],
    )
    def post(self, request, pk: int, nominee: int, rule: str, action: str):
        if action not in ("override", "confirm"):
            raise NotFound(f"Unknown action: {action}.")
        selectors.dossier_get_for_user(request.user, pk)
        data = inputs.ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wf.check_override(
            actor=request.user,
            dossier=pk,
            nominee=nominee,
            rule=rule,
            action=action,
            reason=data.validated_data["reason"],
            request_key=_key(request),
        )
        dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
        return Response(s.DossierDetailSerializer(dossier, context={"request": request}).data)


class DossierHistory(generics.ListAPIView):
    serializer_class = s.EventSerializer
    pagination_class = None

    def get_queryset(self):
        dossier = selectors.dossier_get_for_user(self.request.user, self.kwargs["pk"])
        return selectors.dossier_events(dossier)


class DecisionCreate(generics.ListAPIView):
    serializer_class = s.DecisionSerializer

    def get_queryset(self):
        return decision_list_visible_to(self.request.user)

    @extend_schema(request=s.DecisionCreateSerializer, responses={201: s.DecisionSerializer})
    def post(self, request):
        data = s.DecisionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = approval_services.decision_create(
            actor=request.user,
            decider=data.validated_data["decider"],
            dossier_ids=data.validated_data["dossiers"],
        )
        body = s.DecisionSerializer(decision_get_for_user(request.user, decision.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class DecisionDetail(generics.RetrieveAPIView):
    serializer_class = s.DecisionSerializer

    def get_object(self):
        return decision_get_for_user(self.request.user, self.kwargs["pk"])


class DecisionSign(APIView):
    @extend_schema(
        request=inputs.DecisionSignSerializer,
        responses=s.DecisionSerializer,
        parameters=[doc.IDEMPOTENCY_KEY],
    )
    def post(self, request, pk: int):
        decision = decision_get_for_user(request.user, pk)
        values, request_key = _with_fresh_code(request, inputs.DecisionSignSerializer)
        approval_services.decision_sign(
            actor=request.user,
            decision=decision,
            number=values["number"],
            signed_on=values["signed_on"],
            declined=[dict(d) for d in values["declined"]],
            request_key=request_key,
        )
        return Response(s.DecisionSerializer(decision_get_for_user(request.user, pk)).data)


class DecisionPropose(APIView):
    @extend_schema(request=inputs.DecisionProposeSerializer, responses=s.DecisionSerializer)
    def post(self, request, pk: int):
        decision = decision_get_for_user(request.user, pk)
        values, _request_key = _with_fresh_code(request, inputs.DecisionProposeSerializer)
        approval_services.decision_propose(
            actor=request.user, decision=decision, number=values["number"]
        )
        return Response(s.DecisionSerializer(decision_get_for_user(request.user, pk)).data)


class BallotListCreate(APIView):
    @extend_schema(
        responses=doc.BallotPageSerializer, parameters=[doc.PAGE], operation_id="v1_ballots_list"
    )
    def get(self, request):
        sessions = ballot_list_visible_to(request.user).order_by("-id")
        page = self.paginator.paginate_queryset(sessions, request, view=self)
        rows = [
            {"id": b.pk, "body": b.body, "bloc": b.bloc.code if b.bloc_id else None,
             "council": b.council.code if b.council_id else None, "year": b.year,
             "state": b.state, "opened_at": b.opened_at, "closed_at": b.closed_at}
            for b in page
        ]  # fmt: skip
        return self.paginator.get_paginated_response(rows)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            from rest_framework.pagination import PageNumberPagination

            self._paginator = PageNumberPagination()
        return self._paginator

    @extend_schema(request=s.BallotOpenSerializer, responses={201: doc.BallotSessionSerializer})
    def post(self, request):
        data = s.BallotOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = ballots.ballot_open(
            actor=request.user,
            year=values["year"],
            nominee_ids=values["nominees"],
            bloc_code=values.get("bloc"),
            council_code=values.get("council"),
            deadline=values.get("deadline"),
        )
        return Response(_ballot_body(request, session.pk), status=status.HTTP_201_CREATED)


def _ballot_body(request, pk: int) -> dict:
    session = ballot_get_for_user(request.user, pk)
    return ballot_summary(session, **ballot_abilities(request.user, session))


class BallotDetail(APIView):
    @extend_schema(responses=doc.BallotSessionSerializer)
    def get(self, request, pk: int):
        return Response(_ballot_body(request, pk))


class BallotVote(APIView):
    @extend_schema(request=s.BallotVoteSerializer, responses={201: doc.BallotReceiptSerializer})
    def post(self, request, pk: int):
        ballot_get_for_user(request.user, pk, detail=False)
        data = s.BallotVoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = ballots.ballot_cast(
            actor=request.user,
            session=pk,
            choices=data.validated_data["choices"],
            conflicts=data.validated_data["conflicts"],
            in_writing=data.validated_data["in_writing"],
        )
        return Response({"receipt": receipt}, status=status.HTTP_201_CREATED)


class BallotAttendance(APIView):
    @extend_schema(request=s.BallotAttendanceSerializer, responses=doc.BallotSessionSerializer)
    def post(self, request, pk: int):
        ballot_get_for_user(request.user, pk, detail=False)
        data = s.BallotAttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ballots.ballot_attendance(
            actor=request.user, session=pk, present=data.validated_data["present"]
        )
        return Response(_ballot_body(request, pk))


class BallotClose(APIView):
    @extend_schema(request=None, responses=doc.BallotSessionSerializer)
    def post(self, request, pk: int):
        ballot_get_for_user(request.user, pk, detail=False)
        ballots.ballot_close(actor=request.user, session=pk)
        return Response(_ballot_body(request, pk))


class BallotMinutes(APIView):
    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request, pk: int):
        session = ballot_get_for_user(request.user, pk, detail=False)
        if not session.minutes:
            raise NotFound("The minutes exist once the ballot is closed.")
        return FileResponse(
            session.minutes.open("rb"),
            content_type="application/pdf",
            filename=f"bien-ban-kiem-phieu-{session.pk}.pdf",
        )


class InspectorsOnly(BasePermission):
    message = "Only inspectors read the audit ledger."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and is_inspector(request.user))


class AuditVerify(APIView):
    permission_classes = [InspectorsOnly]

    @extend_schema(responses=doc.AuditVerifySerializer)
    def get(self, request):
        return Response(verify().as_dict())


class AuditEvents(generics.ListAPIView):
    """The ledger searched with the inspector page's own filters (`audit.filters`): a filter that
    is not valid (an impossible date, a NUL byte) answers 400 `invalid`."""

    permission_classes = [InspectorsOnly]
    serializer_class = s.LedgerEventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LedgerEventFilter

    def get_queryset(self):
        return ledger_events()
