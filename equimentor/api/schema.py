"""The OpenAPI schema's account of API tokens: the bearer scheme, and each operation's scope.

OpenAPI 3.0 lets only OAuth 2 and OpenID Connect name scopes in a security requirement, so each
operation carries the scope a token needs as ``x-token-scope`` (and in words in its description),
with ``x-service-token`` saying whether a scheme's service token may call it.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from equimentor.api.scopes import PERSONAL, SCOPES, endpoint_of


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "equimentor.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        scopes = "; ".join(f"`{code}`: {what}" for code, what in SCOPES.items())
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "eqm_<prefix>_<secret>",
            "description": (
                "A personal or scheme service token, made on the person's account page, the "
                "scheme's service tokens page or with `equimentor token create`. No CSRF token is "
                "needed. A token that does not work is a 401 with the reason; a scope it lacks "
                "(see each operation's `x-token-scope`) is a 403; too many requests a 429 with "
                f"Retry-After. Scopes: {scopes}."
            ),
        }


class AutoSchema(SpectacularAutoSchema):
    def _endpoint(self):
        return endpoint_of(type(self.view))

    def _service_tokens_allowed(self) -> bool:
        """A service token reaches one scheme's records: a path with its ``slug``, not ``me``."""
        endpoint = self._endpoint()
        return endpoint is not None and endpoint.serves != PERSONAL and "{slug}" in self.path

    def get_description(self):
        text = super().get_description() or ""
        endpoint = self._endpoint()
        if endpoint is None:
            note = "API tokens: not accepted here."
        else:
            who = (
                "a personal token, or the scheme's service token"
                if self._service_tokens_allowed()
                else "a personal token only"
            )
            note = f"Token scope: `{endpoint.scope(self.method)}` ({who})."
        return f"{text}\n\n{note}" if text else note

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        endpoint = self._endpoint()
        if operation is not None and endpoint is not None:
            operation["x-token-scope"] = endpoint.scope(method.upper())
            operation["x-service-token"] = self._service_tokens_allowed()
        return operation
