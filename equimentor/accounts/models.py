"""People who sign in. Identity data never lives here (see the identity app)."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone

from equimentor.lib.tokens import digest, new_token


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person, known by email address. A password is optional: links sign people in."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="Europe/London")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]
    objects = UserManager()

    def __str__(self) -> str:
        return self.full_name or f"User {self.pk}"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else ""


NEXT_MAX = 500


def same_site_path(candidate: str | None) -> str:
    """``candidate`` if it is a path on this site ("/me/schemes/x/"), else "" — never another
    site, scheme-relative address ("//evil.example"), backslash trick or control character."""
    from django.utils.http import url_has_allowed_host_and_scheme

    candidate = (candidate or "").strip()
    if (
        not candidate.startswith("/")
        or candidate.startswith(("//", "/\\"))
        or "\\" in candidate
        or len(candidate) > NEXT_MAX
        or any(ord(c) < 32 or ord(c) == 127 for c in candidate)
        or not url_has_allowed_host_and_scheme(candidate, allowed_hosts=set())
    ):
        return ""
    return candidate


class SignInLink(models.Model):
    """A single-use, expiring sign-in link sent by email."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    next_path = models.CharField(
        max_length=NEXT_MAX,
        blank=True,
        help_text="The page on this site the person was trying to reach (a path, never a site).",
    )

    def __str__(self) -> str:
        return f"Sign-in link {self.pk}"

    @classmethod
    def issue(cls, user: User, next_path: str = "") -> tuple[SignInLink, str]:
        raw, hashed = new_token()
        link = cls.objects.create(
            user=user,
            token_hash=hashed,
            expires_at=timezone.now() + timedelta(minutes=settings.SIGN_IN_LINK_MINUTES),
            next_path=same_site_path(next_path),
        )
        return link, raw

    @classmethod
    def find(cls, raw: str) -> SignInLink | None:
        return cls.objects.select_related("user").filter(token_hash=digest(raw)).first()

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class APIToken(models.Model):
    """A credential for the REST API, sent as ``Authorization: Bearer eqm_<prefix>_<secret>``.

    A personal token acts as its owner; a scheme's service token (``scheme`` set) acts as the
    coordinator who made it, within that scheme only. Only the secret's SHA-256 is kept: the
    token is shown once, when it is made. ``prefix`` (random, not secret) finds the row and
    names the token in lists. What a token may do: ``equimentor.api.scopes`` and docs/api.md.
    """

    PREFIX_TAG = "eqm"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    scheme = models.ForeignKey(
        "schemes.Scheme",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_tokens",
        help_text="Set for a scheme's service token; empty for a personal token.",
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API token {self.prefix}"

    @property
    def is_service(self) -> bool:
        return self.scheme_id is not None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @classmethod
    def new_secret(cls) -> tuple[str, str, str]:
        """``(raw token, prefix, secret hash)``: keep the prefix and hash, show the raw once."""
        prefix = secrets.token_hex(6)
        secret, hashed = new_token()
        return f"{cls.PREFIX_TAG}_{prefix}_{secret}", prefix, hashed

    @classmethod
    def find(cls, raw: str) -> APIToken | None:
        """The token ``raw`` names if its secret matches (compared in constant time), else None.
        Whether it still works (revoked, expired, its owner) is the caller's question."""
        tag, _, rest = raw.partition("_")
        prefix, _, secret = rest.partition("_")
        if tag != cls.PREFIX_TAG or not prefix or not secret or len(prefix) > 16:
            return None
        token = cls.objects.select_related("user", "scheme").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.secret_hash, digest(secret)):
            return None
        return token
