"""start_response validation: the status line and header fields an
application passes must be safe to put on the wire as they are.

PEP 3333 "The start_response() Callable": status is a str "999 Message
here", headers a list of (name, value) tuples of str; "Servers should check
for errors in the headers at the time start_response is called". RFC 9110
5.1 / 5.5: names are tokens; values are field-content (no CR, LF, NUL or
other controls except HTAB, which also keeps out response splitting); RFC
9112 4: status-code is 3 digits and reason-phrase excludes controls but HTAB.
1xx cannot be a final status (RFC 9110 15.2), so the code must be 200..599.

Fast path (measured, python/bench_host.py): names and status lines seen
before are cached as valid; a value passes when str.isprintable() (one C
pass), else a regex allows only HTAB and obs-text among the rest; the
latin-1 encode of the joined head catches code points above U+00FF.
"""

import re

_CTL = re.compile("[\x01-\x08\x0a-\x1f\x7f]").search
_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_CACHE_MAX = 1024

_name_kind = {}   # valid header name -> 1 for Content-Length, else 0
_good_status = set()


def _learn_name(name):
    if not isinstance(name, str):
        raise TypeError("header name must be str, not %s (PEP 3333)" % type(name).__name__)
    # str.strip(chars) removes tchars from both ends; anything left over
    # holds a character that is not a tchar (RFC 9110 5.6.2 token).
    if not name or name.strip(_TCHARS):
        raise ValueError("header name %r is not a token (RFC 9110 5.1)" % (name,))
    kind = 1 if name.lower() == "content-length" else 0
    if len(_name_kind) < _CACHE_MAX:
        _name_kind[str(name)] = kind
    return kind


def _check_status(status):
    if not isinstance(status, str):
        raise TypeError("status must be str, not %s (PEP 3333)" % type(status).__name__)
    if (len(status) < 4 or status[3] != " " or status[0] not in "2345"
            or status[1] not in _DIGITS or status[2] not in _DIGITS):
        raise ValueError("status %r is not 'NNN reason' with NNN in 200..599" % (status[:40],))


def _bad_field(parts):
    """Slow path: name the field that failed the joined check."""
    for i, text in enumerate(parts):
        if i % 2:
            continue  # a name: already validated as a token
        what = "value of header %r" % (parts[i - 1],) if i else "status"
        if _CTL(text) or "\0" in text:
            raise ValueError("%s contains a control character (CR, LF, NUL, ...)" % what)
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError("%s is not latin-1 (PEP 3333: encode non-latin-1 text first)" % what)
    raise ValueError("invalid response head")


def _slow_value(name, value):
    if not isinstance(value, str):
        raise TypeError("value of header %r must be str, not %s (PEP 3333)" % (name, type(value).__name__))
    value = str(value)
    # Not printable: allowed only for HTAB and obs-text (0x80-0xFF), which
    # str.isprintable() also refuses; anything else is a control character.
    if _CTL(value) or "\0" in value:
        raise ValueError("value of header %r contains a control character (CR, LF, NUL, ...)" % (name,))
    return value


def check_headers(status, headers):
    """Validate; return (head bytes for the HEAD frame, Content-Length or None)."""
    if type(status) is not str or status not in _good_status:
        _check_status(status)
    if type(headers) is not list and not isinstance(headers, (list, tuple)):
        raise TypeError("response headers must be a list, not %s (PEP 3333)" % type(headers).__name__)
    parts = [status]
    cl = None
    get = _name_kind.get
    for item in headers:
        if type(item) is not tuple and not isinstance(item, (tuple, list)):
            # A str of length 2 would unpack into a name and a value.
            raise TypeError("each header must be a (name, value) tuple, not %s" % type(item).__name__)
        name, value = item
        kind = get(name) if type(name) is str else None
        if kind is None:
            kind = _learn_name(name)
        # str.isprintable() is one C pass and true for nearly every real
        # value; the rare rest (HTAB, obs-text, or a real error) is sorted
        # out by the slow path.
        if type(value) is not str or not value.isprintable():
            value = _slow_value(name, value)
        if kind:
            # RFC 9110 8.6: Content-Length = 1*DIGIT (isdigit alone would
            # take other scripts' digits).
            if not (value.isdigit() and value.isascii()):
                raise ValueError("Content-Length %r is not a decimal number" % (value[:40],))
            n = int(value)
            if cl is not None and cl != n:
                raise ValueError("conflicting Content-Length values")
            cl = n
        parts += (name, value)
    try:
        head = "\0".join(parts).encode("latin-1")
    except UnicodeEncodeError:
        _bad_field(parts)
    if status not in _good_status:
        if _CTL(status) or "\0" in status:
            raise ValueError("status contains a control character")
        if len(_good_status) < _CACHE_MAX:
            _good_status.add(status)
    return head, cl
