"""bench/pages.py's bare Django: `startproject`'s settings and one login-like view.

This module is the settings module and the URLconf at once (ROOT_URLCONF is itself); it
imports nothing of Hygate's. bench/pages_urls.py serves the same form through Hygate.
"""

import os
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.urls import path

# A minimal Django sign-in page: one template, no base, no includes, no form classes;
# the CSRF token and two labelled inputs.
FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main><h1>Sign in</h1>
<form method="post" action="/accounts/login/">{% csrf_token %}
<label for="email">E-mail address</label>
<input type="email" name="email" id="email" autocomplete="username" required>
<label for="password">Password</label>
<input type="password" name="password" id="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></main></body></html>"""

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = __name__
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


@cache
def _form():
    from django.template import engines

    return engines["django"].from_string(FORM)


def bare_login(request: HttpRequest) -> HttpResponse:
    """Render the bare sign-in form."""
    return HttpResponse(_form().render({}, request))


urlpatterns = [path("bench/bare/", bare_login)]
