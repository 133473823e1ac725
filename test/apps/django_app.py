"""A minimal single-file Django project for test/server/django.test.ts.

settings.configure() with DEBUG=False, the URLconf in this module, and the
WSGI handler from get_wsgi_application(). CsrfViewMiddleware is on, so the
POST views are csrf_exempt on purpose; CommonMiddleware sets Content-Length.
"""
import hashlib
import os
import time

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="yimmo-wsgi-test-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
    USE_TZ=True,
    # Keep a 1 MiB upload in memory (the default threshold is 2.5 MiB anyway).
    FILE_UPLOAD_MAX_MEMORY_SIZE=4 * 1024 * 1024,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


def index(request):
    return HttpResponse("<h1>Hello from Django</h1>")


def hello(request, name):
    return HttpResponse("hello %s" % name, content_type="text/plain")


@csrf_exempt
def form(request):
    return JsonResponse({"form": {k: request.POST.getlist(k) for k in request.POST}, "method": request.method})


def protected(request):
    # Not csrf_exempt: a POST without a token is refused by CsrfViewMiddleware.
    return HttpResponse("should not get here")


@csrf_exempt
def upload(request):
    f = request.FILES["file"]
    digest = hashlib.sha256()
    size = 0
    for block in f.chunks(65536):
        digest.update(block)
        size += len(block)
    return JsonResponse({"filename": f.name, "size": size, "sha256": digest.hexdigest(), "fields": request.POST.dict()})


def stream(request):
    n = int(request.GET.get("n", "5"))
    delay = float(request.GET.get("delay", "0.05"))

    def generate():
        for i in range(n):
            yield "chunk %d of %d\n" % (i, n)
            time.sleep(delay)

    return StreamingHttpResponse(generate(), content_type="text/plain")


def whoami(request):
    # Behind a TLS proxy: what Django concludes with no proxy setting at all.
    return JsonResponse({"is_secure": request.is_secure(), "absolute_uri": request.build_absolute_uri(),
                         "remote_addr": request.META.get("REMOTE_ADDR")})


def pid(request):
    return HttpResponse(str(os.getpid()), content_type="text/plain")


urlpatterns = [
    path("", index),
    path("hello/<str:name>", hello),
    path("form", form),
    path("protected", protected),
    path("upload", upload),
    path("stream", stream),
    path("pid", pid),
    path("whoami", whoami),
]

application = get_wsgi_application()
