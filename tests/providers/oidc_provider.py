"""A real OpenID Connect provider for the tests, run as its own process on loopback.

Built from Authlib's authorisation-server components (the authorisation code grant with the PKCE
extension required, and the OpenID Connect code extension) in a small Flask app: discovery, JWKS,
an HTML sign-in form, token, userinfo and end-session endpoints, with RS256-signed ID tokens.

Tests steer it through ``/_test/...`` endpoints: the people it knows (their claims), and how the
next ID token should misbehave (claims overridden, or signed with a key it does not publish).

    python -m tests.providers.oidc_provider [--port 0]   # prints "listening <url>" when ready
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.models import ClientMixin, TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, redirect, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
# Same key id, different key: a token signed with it fails signature verification.
ROGUE_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})

LOCK = threading.Lock()
USERS: dict[str, dict] = {}  # sub -> claims
CLIENTS: dict[str, dict] = {}  # client_id -> {"secret": ..., "redirect_uris": [...]}
CODES: dict[str, dict] = {}
TOKENS: dict[str, dict] = {}
NEXT: dict = {"claims": {}, "rogue_key": False}  # how the next ID token misbehaves
SEEN: list[dict] = []  # what authorisation requests carried (for assertions on PKCE)


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris  # exact match, as real providers do

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return None

    def get_acr(self):
        return None

    def get_amr(self):
        return None


@dataclass
class Token(TokenMixin):
    access_token: str
    user: str
    scope: str
    expires_at: float

    def check_client(self, client):
        return True

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() >= self.expires_at

    def is_revoked(self):
        return False


def query_client(client_id):
    found = CLIENTS.get(client_id)
    return Client(client_id, found["secret"], found["redirect_uris"]) if found else None


def save_token(token, req):
    TOKENS[token["access_token"]] = Token(
        token["access_token"], req.user, token.get("scope", ""), time.time() + 3600
    )


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, req):
        payload = req.payload
        CODES[code] = Code(
            code=code,
            client_id=req.client.get_client_id(),
            redirect_uri=payload.redirect_uri,
            scope=payload.scope,
            user=req.user,
            nonce=payload.data.get("nonce"),
            code_challenge=payload.data.get("code_challenge"),
            code_challenge_method=payload.data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code, client):
        item = CODES.get(code)
        if item and item.client_id == client.get_client_id():
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class Pkce(CodeChallenge):
    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method


class OpenID(OpenIDCode):
    def exists_nonce(self, nonce, req):
        return any(c.nonce == nonce for c in CODES.values())

    def resolve_client_private_key(self, client):
        return ROGUE_KEY if NEXT.get("rogue_key_used") else KEY

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": "k1"}

    def get_client_claims(self, client):
        now = int(time.time())
        return {
            "iss": request.host_url.rstrip("/"),
            "aud": [client.get_client_id()],
            "iat": now,
            "exp": now + 300,
        }

    def generate_user_info(self, user, scope):
        claims = dict(USERS.get(user, {}))
        claims["sub"] = user
        with LOCK:
            claims.update(NEXT["claims"])  # a test's misbehaviour, once
            NEXT["claims"] = {}
            NEXT["rogue_key_used"] = NEXT.pop("rogue_key", False)
        return UserInfo(claims)


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return TOKENS.get(token_string)


def create_app() -> Flask:
    app = Flask(__name__)
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(CodeGrant, [OpenID(require_nonce=True), Pkce(required=True)])
    protect = ResourceProtector()
    protect.register_token_validator(Validator())

    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = request.host_url.rstrip("/")
        return jsonify(
            issuer=NEXT.get("discovery_issuer") or base,
            authorization_endpoint=base + "/authorize",
            token_endpoint=base + "/token",
            userinfo_endpoint=base + "/userinfo",
            jwks_uri=base + "/jwks",
            end_session_endpoint=base + "/logout",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            scopes_supported=["openid", "email", "profile"],
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(keys=[KEY.as_dict(private=False)])

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        if request.method == "GET":
            SEEN.append(dict(request.args))
            try:
                server.get_consent_grant(end_user=None)
            except Exception as exc:  # shown as the provider's own error page
                return f"<p>Bad request: {escape(str(exc))}</p>", 400
            hidden = "".join(
                f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                for k, v in request.args.items()
            )
            options = "".join(
                f'<option value="{escape(sub)}">{escape(sub)}</option>' for sub in USERS
            )
            return (
                "<!doctype html><html lang='en'><head><title>Test provider sign-in</title></head>"
                "<body><main><h1>Test provider sign-in</h1>"
                f"<form method='post' action='/authorize'>{hidden}<label for='sub'>Account</label>"
                f"<select id='sub' name='sub'>{options}</select>"
                "<button type='submit' name='go' value='yes'>Sign in</button>"
                "<button type='submit' name='go' value='no'>Cancel</button>"
                "</form></main></body></html>"
            )
        sub = request.form.get("sub", "")
        if request.form.get("go") != "yes" or sub not in USERS:
            return server.create_authorization_response(grant_user=None)
        return server.create_authorization_response(grant_user=sub)

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.get("/userinfo")
    @protect("openid")
    def userinfo():
        claims = dict(USERS.get(current_token.user, {}))
        claims["sub"] = current_token.user
        return jsonify(claims)

    @app.get("/logout")
    def logout():
        target = request.args.get("post_logout_redirect_uri")
        SEEN.append({"logout": "1", **request.args})
        if target:
            query = urlencode({"state": request.args["state"]}) if request.args.get("state") else ""
            return redirect(target + ("?" + query if query else ""))
        return "<p>Signed out</p>"

    @app.put("/_test/users/<sub>")
    def put_user(sub):
        USERS[sub] = request.get_json()
        return "", 204

    @app.put("/_test/clients/<client_id>")
    def put_client(client_id):
        CLIENTS[client_id] = request.get_json()
        return "", 204

    @app.post("/_test/next")
    def set_next():
        body = request.get_json()
        with LOCK:
            NEXT["claims"] = body.get("claims", {})
            NEXT["rogue_key"] = bool(body.get("rogue_key"))
            if "discovery_issuer" in body:
                NEXT["discovery_issuer"] = body["discovery_issuer"]
        return "", 204

    @app.get("/_test/seen")
    def seen():
        return jsonify(SEEN)

    return app


def main(argv=None):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    httpd = make_server(args.host, args.port, create_app(), threaded=True)
    print(f"listening http://{args.host}:{httpd.server_port}", flush=True)  # noqa: T201
    httpd.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
