from __future__ import annotations

from django.contrib import admin

from annotation.models import Response, ResponseRevision


class ResponseRevisionInline(admin.TabularInline):
    model = ResponseRevision
    extra = 0
    readonly_fields = ("number", "values", "status", "origin", "created_at")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("record", "user", "status", "origin", "revision", "updated_at")
    list_filter = ("status", "origin")
    raw_id_fields = ("record", "campaign", "user")
    inlines = [ResponseRevisionInline]
