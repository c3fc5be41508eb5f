"""The OpenAPI schema's account of API tokens: the bearer scheme, and each operation's scope.

OpenAPI 3.0 lets only OAuth 2 and OpenID Connect name scopes in a security requirement, so each
operation carries the scope a token needs as ``x-token-scope`` (and in words in its description),
with ``x-service-token`` saying whether a scheme's service token may call it.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import build_parameter_type

from equimentor.api.idempotency import IDEMPOTENCY_KEY
from equimentor.api.problems import PROBLEM_JSON, ProblemSerializer
from equimentor.api.scopes import PERSONAL, SCOPES, endpoint_of

# The errors every operation may answer (problem documents, docs/api.md "Conventions").
ERRORS = {
    "401": "The bearer token does not work (the reason in detail; WWW-Authenticate).",
    "403": "No credentials, a token without the scope, or not allowed to use this.",
    "429": "Too many requests with this token (Retry-After).",
}


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
        if operation is not None:
            self._document_problems(operation)
        return operation

    def _problem(self, description: str) -> dict:
        ref = self.resolve_serializer(ProblemSerializer, "response").ref
        return {"description": description, "content": {PROBLEM_JSON: {"schema": ref}}}

    def _document_problems(self, operation: dict) -> None:
        """Each error an operation answers, as a problem document: those the view documents
        (409 ...), those every operation may answer, 404 where the path names something, 400
        where there is a body or a query to get wrong."""
        responses = operation.setdefault("responses", {})
        for code, answer in list(responses.items()):
            if code.isdigit() and int(code) >= 400:
                responses[code] = self._problem(answer.get("description") or "Refused.")
        wanted = dict(ERRORS)
        if "{" in self.path:
            wanted["404"] = "Not found, or not yours to see."
        if self.method in ("POST", "PUT", "PATCH") or any(
            p.get("in") == "query" for p in operation.get("parameters", [])
        ):
            wanted["400"] = "Invalid input: each field's or query parameter's messages in errors."
        if any(
            p.get("in") == "header" and p.get("name") == "If-Match"
            for p in operation.get("parameters", [])
        ):
            wanted["412"] = "Changed since it was read: the If-Match ETag is not its current one."
            wanted["428"] = "If-Match is missing: read it first (GET) and send its ETag."
        handler = getattr(self.view, self.method.lower(), None)
        if getattr(handler, "idempotent", False):
            operation.setdefault("parameters", []).append(
                build_parameter_type(
                    name=IDEMPOTENCY_KEY.name,
                    schema={"type": "string", "maxLength": 200},
                    location="header",
                    description=IDEMPOTENCY_KEY.description,
                )
            )
            wanted["400"] = "Invalid input (or an Idempotency-Key that is not 1 to 200 characters)."
            wanted["409"] = (
                "Refused, or a request with this Idempotency-Key is still being answered."
            )
            wanted["422"] = "This Idempotency-Key was sent before with another request."
        for code, description in wanted.items():
            responses.setdefault(code, self._problem(description))
