import json
def app(environ, start_response):
    out = {k: environ.get(k) for k in ("REMOTE_ADDR","REMOTE_PORT","wsgi.url_scheme","SCRIPT_NAME","PATH_INFO","RAW_URI","SERVER_PORT","HTTP_X_FORWARDED_PROTO","HTTP_X_FORWARDED_FOR","HTTP_FORWARDED")}
    data = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type","application/json"),("Content-Length",str(len(data)))])
    return [data]
