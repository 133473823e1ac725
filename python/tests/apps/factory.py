"""An application factory: `factory:create_app("x")` must work."""


def create_app(name):
    def app(environ, start_response):
        body = ("made by create_app(%r)" % name).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    return app


class Holder(object):
    @staticmethod
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"attribute"]


holder = Holder()
