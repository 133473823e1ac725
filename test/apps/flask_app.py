"""A small Flask application for test/server/flask.test.ts.

Routes: a page, a form echo, a multipart upload that returns the SHA-256 of
the file, a streamed response (stream_with_context), a view that raises, and
a pid probe. Flask's own 404 and 500 handlers answer the errors.
"""
import hashlib
import os
import time

from flask import Flask, Response, jsonify, request, stream_with_context

app = Flask(__name__)


@app.get("/")
def index():
    return "<h1>Hello from Flask</h1>"


@app.get("/hello/<name>")
def hello(name):
    return "hello %s" % name


@app.post("/form")
def form():
    return jsonify(form=request.form.to_dict(flat=False), content_type=request.content_type)


@app.post("/upload")
def upload():
    f = request.files["file"]
    digest = hashlib.sha256()
    size = 0
    while True:
        block = f.stream.read(65536)
        if not block:
            break
        digest.update(block)
        size += len(block)
    return jsonify(
        filename=f.filename,
        size=size,
        sha256=digest.hexdigest(),
        fields=request.form.to_dict(),
        chunked=request.environ.get("CONTENT_LENGTH") is None,
    )


@app.get("/stream")
def stream():
    n = int(request.args.get("n", "5"))
    delay = float(request.args.get("delay", "0.05"))

    @stream_with_context
    def generate():
        # request is usable inside the generator thanks to stream_with_context
        tag = request.args.get("tag", "")
        for i in range(n):
            yield "chunk %d of %d %s\n" % (i, n, tag)
            time.sleep(delay)

    return Response(generate(), mimetype="text/plain")


@app.get("/boom")
def boom():
    raise RuntimeError("flask-view-secret-%d" % os.getpid())


@app.get("/pid")
def pid():
    return str(os.getpid())


@app.get("/whoami")
def whoami():
    # For test/server/nginx-unix.test.ts: what Flask believes about the request.
    return jsonify(
        remote_addr=request.remote_addr,
        url=request.url,
        is_secure=request.is_secure,
        server_name=request.environ.get("SERVER_NAME"),
        remote_port=request.environ.get("REMOTE_PORT"),
    )
