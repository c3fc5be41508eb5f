"""Sign in by emailed link (or optional password), sign out, account settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.accounts import services, signout
from equimentor.accounts.forms import AccountForm, EmailForm, PasswordSignInForm, SetPasswordForm
from equimentor.accounts.models import same_site_path
from equimentor.core import limits
from equimentor.core.access import public, signed_in


def _next_url(request) -> str:
    """Where to go after signing in: a path on this site only (``same_site_path``)."""
    return same_site_path(request.POST.get("next") or request.GET.get("next"))


WAIT = "Too many attempts from your network. Please wait a while and try again."


@public
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Ask for a sign-in link, or sign in with a password if one was set.

    Limits (``core.limits``): sign-in links per client address (generous: a university shares
    one) and per email address (tight); failed password sign-ins per address (generous) here,
    and per account by django-axes. A right password is never refused for the traffic of others
    on the same network."""
    link_form = EmailForm(prefix="link")
    password_form = PasswordSignInForm(prefix="pw")
    if request.method == "POST" and "link-email" in request.POST:
        link_form = EmailForm(request.POST, prefix="link")
        if link_form.is_valid():
            email = link_form.cleaned_data["email"]
            if limits.exceeded(request, "sign_in_links_per_address") or limits.exceeded(
                request, "sign_in_links_per_email", key=email
            ):
                messages.error(request, WAIT)
            else:
                services.send_sign_in_link(email, next_path=_next_url(request))
                return render(request, "accounts/link_sent.html", {"email": email})
    elif request.method == "POST":
        password_form = PasswordSignInForm(request.POST, prefix="pw")
        if limits.exceeded(request, "sign_in_failures_per_address", count=False):
            messages.error(request, WAIT)
        elif password_form.is_valid():
            user = authenticate(
                request,
                username=password_form.cleaned_data["email"],
                password=password_form.cleaned_data["password"],
            )
            if user is None:
                limits.exceeded(request, "sign_in_failures_per_address")  # counts this failure
                password_form.add_error(
                    None,
                    "That email and password do not match an account. "
                    "You can ask for a sign-in link instead.",
                )
            else:
                login(request, user)
                return redirect(_next_url(request) or "portal:home")
    return render(
        request,
        "accounts/login.html",
        {
            "link_form": link_form,
            "password_form": password_form,
            "next": _next_url(request),
        },
    )


@public
@require_http_methods(["GET", "POST"])
def use_link(request, token: str):
    """Confirm, then consume, a sign-in link (a GET never consumes it: mail scanners follow links)."""
    if request.method == "POST":
        try:
            user, next_path = services.use_sign_in_link(request, token)
        except services.LinkError as exc:
            return render(request, "accounts/link_problem.html", {"problem": str(exc)}, status=400)
        messages.success(request, "You are signed in.")
        return redirect(same_site_path(next_path) or "portal:home")
    return render(request, "accounts/use_link.html", {"token": token})


@public
@require_POST
def logout_view(request):
    carried = signout.read_all(request)  # e.g. a session from an institution's provider (sso)
    logout(request)
    messages.info(request, "You have signed out.")
    if carried:
        then, data = carried[0]
        return then(request, data)
    return redirect("portal:home")


@signed_in
@require_http_methods(["GET", "POST"])
def account(request):
    """A person's own name, time zone and optional password."""
    user = request.user
    form = AccountForm(
        initial={"full_name": user.full_name, "time_zone": user.time_zone},
        current=user.time_zone,
    )
    password_form = SetPasswordForm(user)
    if request.method == "POST" and "save-account" in request.POST:
        form = AccountForm(request.POST, current=user.time_zone)
        if form.is_valid():
            services.update_account(user, **form.cleaned_data)
            messages.success(request, "Your account details are saved.")
            return redirect("accounts:account")
    elif request.method == "POST" and "set-password" in request.POST:
        password_form = SetPasswordForm(user, request.POST)
        if password_form.is_valid():
            services.set_password(user, password_form.cleaned_data["password1"])
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your password is set.")
            return redirect("accounts:account")
    return render(request, "accounts/account.html", {"form": form, "password_form": password_form})
