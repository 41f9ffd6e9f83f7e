"""The provider's endpoints, under DOT's URL names (its discovery document reverses them)."""

from django.urls import path

from oidc import provider_views

app_name = "oauth2_provider"

urlpatterns = [
    path(
        ".well-known/openid-configuration",
        provider_views.DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("o/authorize/", provider_views.AuthorizeView.as_view(), name="authorize"),
    path("o/token/", provider_views.TokenView.as_view(), name="token"),
    path("o/revoke/", provider_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("o/userinfo/", provider_views.UserInfoView.as_view(), name="user-info"),
    path("o/jwks/", provider_views.JwksView.as_view(), name="jwks-info"),
    path("o/logout/", provider_views.LogoutView.as_view(), name="rp-initiated-logout"),
]
