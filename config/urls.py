from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from core.views import DocsView, SchemaView

api_v1 = [
    path("", include("messaging.api_urls")),
    path("", include("clubos.api_urls")),
    path("", include("ai_agent.api_urls")),
    path("", include("inbox.api_urls")),
]

urlpatterns = [
    path("", include("core.urls")),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin): not a 404 in the log each time.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("messages/", include("messaging.urls")),
    # The safety queue lives in the staff area but belongs to messaging (inbox never imports messaging).
    path("inbox/reports/", include("messaging.moderation_urls")),
    path("inbox/", include("inbox.urls")),
    path("clubos/", include("clubos.urls")),
    path("ai/", include("ai_agent.urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "core.views.bad_request"
handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
