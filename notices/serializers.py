"""The notices' API bodies: inputs (checked again by the services) and outputs."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dossiers.models import NomineeKind
from notices.models import CONTACT_MAX, NOTE_MAX, TEXT_MAX, Comment


class NoticeSerializer(serializers.Serializer):
    """A nominee under public notice: never an identification number, a birth date or a user."""

    nominee = serializers.IntegerField(source="nominee_id")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=NomineeKind.choices)
    organization = serializers.CharField(help_text=_("The nominee's organisation, if any."))
    award_form = serializers.CharField()
    level = serializers.CharField(help_text=_("The level holding the dossier and its notice."))
    notice_from = serializers.DateField(allow_null=True)
    notice_until = serializers.DateField(allow_null=True)
    achievements = serializers.CharField(help_text=_("A summary of the achievements."))

    class Meta:
        ref_name = "PublicNotice"


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX, trim_whitespace=True)
    contact = serializers.CharField(
        max_length=CONTACT_MAX, required=False, allow_blank=True, default=""
    )
    website = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=CONTACT_MAX,
        help_text=_("Leave empty."),
    )

    class Meta:
        ref_name = "PublicCommentInput"


class ReceiptSerializer(serializers.Serializer):
    nominee = serializers.IntegerField()
    received_at = serializers.DateTimeField()

    class Meta:
        ref_name = "PublicCommentReceipt"


class HandleSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX)

    class Meta:
        ref_name = "CommentHandle"


class CommentSerializer(serializers.ModelSerializer):
    nominee_name = serializers.CharField(source="nominee.name", read_only=True)
    handled_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Comment
        ref_name = "PublicComment"
        fields = [
            "id",
            "nominee",
            "nominee_name",
            "dossier",
            "text",
            "contact",
            "created_at",
            "handled_at",
            "handled_by",
            "note",
        ]
        read_only_fields = fields
