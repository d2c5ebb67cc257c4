from __future__ import annotations

from django.contrib import admin

from guides.models import Acknowledgement, Guide, GuideQuestion, GuideVersion


class GuideVersionInline(admin.StackedInline):
    model = GuideVersion
    extra = 0


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ("campaign", "created_at")
    inlines = [GuideVersionInline]


@admin.register(GuideVersion)
class GuideVersionAdmin(admin.ModelAdmin):
    list_display = ("guide", "number", "important", "published_at")


@admin.register(Acknowledgement)
class AcknowledgementAdmin(admin.ModelAdmin):
    list_display = ("user", "version", "acknowledged_at")
    raw_id_fields = ("user", "version")


@admin.register(GuideQuestion)
class GuideQuestionAdmin(admin.ModelAdmin):
    list_display = ("guide", "asked_by", "status", "in_faq", "created_at")
    list_filter = ("status", "in_faq")
    raw_id_fields = ("asked_by", "answered_by", "record", "version")
