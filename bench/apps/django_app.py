"""A real Django page (Debian's python3-django), the same shape as ../shared/bench/apps/django_app.py:
URL routing, three middlewares, a template with a loop and a filter, and an ORM query on SQLite.
GET / -> an HTML page listing 20 of 50 users.

The SQLite file is built once per process at import (migrate + 50 rows) and only read after.
It lives in $BENCH_DJANGO_DIR when set: the harness makes that directory per run and removes
it after stopping the server, because yimmo's host leaves with os._exit() and never runs
atexit hooks. The import-time connection is closed before the app is returned, so servers
that fork after loading the app (uWSGI without --lazy-apps) do not share one SQLite handle
across processes: each process and thread opens its own on its first request."""
import atexit
import os
import tempfile

import django
from django.conf import settings

DB = os.path.join(os.environ.get("BENCH_DJANGO_DIR") or tempfile.gettempdir(), "bench_django_%d.sqlite3" % os.getpid())
atexit.register(lambda: os.path.exists(DB) and os.unlink(DB))

PAGE = ("<!doctype html><html><head><title>{{ title }}</title></head><body><h1>{{ title }}</h1><ul>"
        "{% for u in users %}<li>{{ u.username }} &lt;{{ u.email }}&gt; joined "
        "{{ u.date_joined|date:'Y-m-d' }}</li>{% endfor %}</ul></body></html>")

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-not-secret",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ],
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    # CONN_MAX_AGE None: each thread keeps its connection, as a production site with a pool would
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB, "CONN_MAX_AGE": None}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False,
                "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {"page.html": PAGE})]}}],
    USE_TZ=True,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
if not User.objects.exists():
    User.objects.bulk_create([User(username="user%02d" % i, email="user%02d@example.org" % i) for i in range(50)])
connections.close_all()


def index(request):
    users = list(User.objects.order_by("username")[:20])
    return render(request, "page.html", {"title": "Members", "users": users})


urlpatterns = [path("", index)]

app = get_wsgi_application()
application = app
