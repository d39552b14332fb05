"""The notices' REST endpoints (routed from config/urls.py under /api/v1/): the public list and
comment form (no sign-in), the board's queue of a dossier's comments and their handling."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from notices import serializers as s
from notices import services
from workflows.selectors import dossier_get_for_user

ERROR = {"$ref": "#/components/schemas/Error"}
PUBLIC_403 = OpenApiResponse(
    ERROR, description=_("A signed-in browser session sent the form without its CSRF token.")
)
PUBLIC_409 = OpenApiResponse(
    ERROR, description=_("The dossier left the public notice while the comment was sent.")
)


class NoticePagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most API_MAX_PAGE_SIZE), like the other lists."""

    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE


class PublicNoticeList(generics.ListAPIView):
    """The nominees under public notice at every level, for anyone: name, kind, organisation,
    award form, the level holding the notice, its period and a summary of the achievements."""

    permission_classes = [AllowAny]
    serializer_class = s.NoticeSerializer
    pagination_class = NoticePagination

    def get_queryset(self):
        return services.notice_nominees()

    @extend_schema(responses={200: s.NoticeSerializer(many=True), 403: PUBLIC_403})
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        entries = [services.notice_entry(n) for n in page]
        return self.get_paginated_response(self.get_serializer(entries, many=True).data)


class PublicCommentCreate(APIView):
    """A comment on a nominee under public notice, for anyone: `text` (1–2000 characters),
    `contact` (optional, at most 200). At most a few per address per hour (429)."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=s.CommentInputSerializer,
        responses={201: s.ReceiptSerializer, 403: PUBLIC_403, 409: PUBLIC_409},
    )
    def post(self, request, nominee_id: int):
        data = s.CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        receipt = services.comment_post(
            nominee_id=nominee_id,
            text=values["text"],
            contact=values.get("contact", ""),
            client_ip=get_client_ip_address(request._request) or "",
            honeypot=values.get("website", ""),
        )
        body = s.ReceiptSerializer(receipt).data
        return Response(body, status=status.HTTP_201_CREATED)


class DossierComments(generics.ListAPIView):
    """The public comments on a dossier, for whoever may see the dossier (404 otherwise)."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.CommentSerializer
    pagination_class = None

    def get_queryset(self):
        dossier = dossier_get_for_user(self.request.user, self.kwargs["pk"])
        return services.dossier_comments(dossier)


class CommentHandle(APIView):
    """Mark a comment handled with a `note`: an officer or the head of the board of the level
    holding the dossier (403 otherwise); 409 `already_handled` the second time."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.HandleSerializer, responses={200: s.CommentSerializer})
    def post(self, request, pk: int):
        data = s.HandleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_handle(
            actor=request.user, comment_id=pk, note=data.validated_data["note"]
        )
        comment = services.dossier_comments(comment.dossier).get(pk=comment.pk)
        return Response(s.CommentSerializer(comment).data)
