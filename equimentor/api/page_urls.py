"""The token pages (outside /api/: they are pages, not API endpoints)."""

from django.urls import path

from equimentor.api import pages

app_name = "tokens"
urlpatterns = [
    path("accounts/account/api-tokens/", pages.my_tokens, name="mine"),
    path("manage/<slug:slug>/api-tokens/", pages.scheme_tokens, name="scheme"),
    path("manage/<slug:slug>/webhooks/", pages.scheme_webhooks, name="webhooks"),
    path("manage/<slug:slug>/webhooks/<int:pk>/", pages.scheme_webhook, name="webhook"),
]
