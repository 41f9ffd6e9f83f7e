from django.contrib.admin.apps import AdminConfig


class HygateAdminConfig(AdminConfig):
    """django.contrib.admin with Hygate's admin site (hygate.admin_site) as `admin.site`."""

    default_site = "hygate.admin_site.HygateAdminSite"
