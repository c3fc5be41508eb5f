from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "equimentor.sso"
    label = "sso"
    verbose_name = "Institutional single sign-on"

    def ready(self) -> None:
        from equimentor.accounts import signout
        from equimentor.core import erasure
        from equimentor.core.csp import allow_forms_to_leave
        from equimentor.sso import logout, shredders
        from equimentor.sso.csp import provider_origins

        allow_forms_to_leave(("sso:choose", "sso:single_logout"), provider_origins)
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
        # signing out offers the institution's single logout (accounts.signout)
        signout.carry(logout.offer, logout.remember)
