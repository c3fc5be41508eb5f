"""People who sign in. Identity data never lives here (see the identity app)."""

from __future__ import annotations

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
