from django.conf import settings


def site(request):
    """Site name and demo flag for every template."""
    return {"site_name": settings.SITE_NAME, "demo_mode": settings.DEMO}
