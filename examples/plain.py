# The smallest WSGI application (PEP 3333): no framework needed.
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]
