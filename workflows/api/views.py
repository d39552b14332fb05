"""REST API v1 (Django REST framework): the contract other systems integrate with."""

from django.contrib.auth import authenticate
from django.db.models import Prefetch
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.ballots import ballot_abilities
from approvals.selectors import (
    ballot_get_for_user,
    ballot_list_visible_to,
    decision_get_for_user,
    decision_list_visible_to,
)
from audit.selectors import BadFilter, ledger_search
from audit.verify import verify
from dossiers import selectors
from dossiers.lifecycle import DOSSIER_ACTIONS
from dossiers.models import AwardForm, Bloc, BlocLeadership, BlocMembership, Organization
from dossiers.permissions import is_inspector, user_roles
from dossiers.services import attachment_add, dossier_update
from workflows import auth
from workflows import services as wf
from workflows.api import serializers as s


def _key(request) -> str | None:
    return request.headers.get("Idempotency-Key") or None


class TokenView(ObtainAuthToken):
    """POST {"username", "password"} → {"token"}; users with a second factor add {"otp"}.

    Wrong credentials → 400; a missing or wrong code → 401 `otp_required` / `otp_invalid`;
    too many failures → 429 `locked_out`."""

    serializer_class = s.TokenRequestSerializer

    @extend_schema(request=s.TokenRequestSerializer, responses={200: dict})
    def post(self, request, *args, **kwargs):
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
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
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class AwardFormList(generics.ListAPIView):
    serializer_class = s.AwardFormSerializer
    queryset = AwardForm.objects.prefetch_related("required_documents").select_related(
        "reviewing_body"
    )


class OrganizationList(generics.ListAPIView):
    serializer_class = s.OrganizationSerializer
    queryset = Organization.objects.select_related("parent")


class BlocList(generics.ListAPIView):
    serializer_class = s.BlocSerializer

    def _year(self) -> int | None:
        raw = self.request.query_params.get("year")
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError as exc:
            raise ValidationError({"year": ["A year is a number, e.g. 2023."]}) from exc

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
    serializer_class = s.DossierSerializer
    FILTERS = {
        "state": "state",
        "year": "year",
        "award_form": "award_form__code",
        "organization": "organization__code",
    }

    def get_queryset(self):
        queryset = selectors.dossier_list_visible_to(self.request.user)
        for param, field in self.FILTERS.items():
            value = self.request.query_params.get(param)
            if value:
                if param == "year" and not value.isdigit():
                    raise ValidationError({"year": ["A year is a number, e.g. 2023."]})
                queryset = queryset.filter(**{field: value})
        return queryset

    @extend_schema(request=s.DossierCreateSerializer, responses={201: s.DossierDetailSerializer})
    def post(self, request):
        data = s.DossierCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        form = AwardForm.objects.filter(code=values["award_form"]).first()
        if form is None:
            raise ValidationError({"award_form": [f"Unknown award form: {values['award_form']}."]})
        org_code = values.get("organization") or self._own_unit(request.user)
        organization = Organization.objects.filter(code=org_code).first()
        if organization is None:
            raise ValidationError({"organization": [f"Unknown organisation: {org_code}."]})
        dossier = wf.dossier_start(
            actor=request.user,
            organization=organization,
            award_form=form,
            year=values["year"],
            title=values["title"],
            nominees=[dict(n) for n in values["nominees"]],
        )
        dossier = selectors.dossier_get_for_user(request.user, dossier.pk, detail=True)
        body = s.DossierDetailSerializer(dossier, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @staticmethod
    def _own_unit(user) -> str:
        units = sorted({o for r, o in user_roles(user) if r in ("unit_officer", "unit_head") and o})
        if len(units) != 1:
            raise ValidationError({"organization": ["Name the proposing organisation's code."]})
        return units[0]


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
        dossier_update(
            actor=request.user,
            dossier=dossier,
            title=data.validated_data.get("title"),
            nominees=[dict(n) for n in nominees] if nominees is not None else None,
        )
        return self._render(request, pk)


class AttachmentCreate(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}, "kind": {"type": "string"}}}},
        responses={201: s.AttachmentSerializer},
    )  # fmt: skip
    def post(self, request, pk: int):
        dossier = selectors.dossier_get_for_user(request.user, pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Attach a file in the field “file”."]})
        kind = request.data.get("kind") or ""
        attachment = attachment_add(
            actor=request.user, dossier=dossier, kind_code=kind, upload=upload
        )
        return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class DossierAction(APIView):
    @extend_schema(request=s.ActionSerializer, responses=s.DossierDetailSerializer)
    def post(self, request, pk: int, action: str):
        if action not in DOSSIER_ACTIONS:
            raise NotFound(f"Unknown action: {action}.")
        selectors.dossier_get_for_user(request.user, pk)
        data = s.ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        wf.dossier_act(
            actor=request.user,
            dossier=pk,
            action=action,
            payload=payload,
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
        decision = wf.decision_prepare(
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
    @extend_schema(request=s.DecisionSignSerializer, responses=s.DecisionSerializer)
    def post(self, request, pk: int):
        decision = decision_get_for_user(request.user, pk)
        data = s.DecisionSignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        wf.decision_sign(
            actor=request.user,
            decision=decision,
            number=values["number"],
            signed_on=values["signed_on"],
            declined=[dict(d) for d in values["declined"]],
            request_key=_key(request),
        )
        return Response(s.DecisionSerializer(decision_get_for_user(request.user, pk)).data)


class DecisionPropose(APIView):
    @extend_schema(request=s.DecisionProposeSerializer, responses=s.DecisionSerializer)
    def post(self, request, pk: int):
        decision = decision_get_for_user(request.user, pk)
        data = s.DecisionProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wf.decision_propose(
            actor=request.user, decision=decision, number=data.validated_data["number"]
        )
        return Response(s.DecisionSerializer(decision_get_for_user(request.user, pk)).data)


class BallotListCreate(APIView):
    @extend_schema(responses=dict, operation_id="v1_ballots_list")
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

    @extend_schema(request=s.BallotOpenSerializer, responses={201: dict})
    def post(self, request):
        data = s.BallotOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = wf.ballot_open(
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
    context = {"request": request, **ballot_abilities(request.user, session)}
    return s.BallotSerializer(session, context=context).data


class BallotDetail(APIView):
    @extend_schema(responses=dict)
    def get(self, request, pk: int):
        return Response(_ballot_body(request, pk))


class BallotVote(APIView):
    @extend_schema(request=s.BallotVoteSerializer, responses={201: dict})
    def post(self, request, pk: int):
        ballot_get_for_user(request.user, pk, detail=False)
        data = s.BallotVoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = wf.ballot_cast(
            actor=request.user,
            session=pk,
            choices=data.validated_data["choices"],
            conflicts=data.validated_data["conflicts"],
        )
        return Response({"receipt": receipt}, status=status.HTTP_201_CREATED)


class BallotClose(APIView):
    @extend_schema(request=None, responses=dict)
    def post(self, request, pk: int):
        ballot_get_for_user(request.user, pk, detail=False)
        wf.ballot_close(actor=request.user, session=pk)
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

    @extend_schema(responses=dict)
    def get(self, request):
        return Response(verify().as_dict())


class AuditEvents(generics.ListAPIView):
    permission_classes = [InspectorsOnly]
    serializer_class = s.LedgerEventSerializer

    def get_queryset(self):
        try:
            return ledger_search(self.request.query_params)
        except BadFilter as exc:
            raise ValidationError({"since/until": [str(exc)]}) from exc
