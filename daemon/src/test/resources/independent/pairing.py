#!/usr/bin/python3
"""A second implementation of paird's pairing protocol, version 1, for interoperability tests.

It is written from docs/PROTOCOL.md alone (with RFC 9382 for SPAKE2 and the RFC's P-256 test
vectors), without reading paird's code, so that it shows whether the document is enough to talk
to paird. It uses Python's standard library only; the P-256 arithmetic is plain Python. It is a
test tool: nothing in it is constant-time except the comparisons of MACs.

Commands (each prints JSON objects, one a line, on stdout; the last says how it ended):

  pairing.py selftest PROTOCOL_MD RFC9382_JSON
      Reproduces the RFC 9382 vectors and the worked examples of PROTOCOL.md byte for byte.
  pairing.py client --cert PEM --key PEM --connect HOST:PORT --code KEY [--tamper WHAT]
      Pairs as device B, the client: the key was typed here.
  pairing.py ping --cert PEM --key PEM --connect HOST:PORT
      Asks a server whether it trusts this certificate.
  pairing.py server --cert PEM --key PEM --suite spake2|hmac
                    [--tamper WHAT] [--trust FINGERPRINT]... [--code KEY]
      Pairs as device A, the server: makes a key, prints it, serves one connection.
  pairing.py new-key --suite spake2|hmac [--slot SLOT]
  pairing.py parse-key KEY
  pairing.py key-cases
      Prints typed keys, each with whether section 8 makes it well-formed.
"""

import argparse
import hashlib
import hmac
import json
import secrets
import socket
import ssl
import struct
import sys

# ---------------------------------------------------------------------------------------------
# P-256 (SEC 2, FIPS 186-4), affine coordinates; None is the point at infinity.

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def on_curve(point):
    x, y = point
    return (y * y - (x * x * x + A * x + B)) % P == 0


def add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    x1, y1 = p1
    x2, y2 = p2
    if x1 == x2:
        if (y1 + y2) % P == 0:
            return None
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return (x3, (slope * (x1 - x3) - y1) % P)


def negate(point):
    return None if point is None else (point[0], (-point[1]) % P)


def multiply(k, point):
    result = None
    for bit in bin(k % N)[2:]:
        result = add(result, result)
        if bit == "1":
            result = add(result, point)
    return result


def encode(point):
    """SEC1 uncompressed: 04 || X || Y, 65 bytes."""
    if point is None:
        raise ValueError("the point at infinity has no uncompressed encoding")
    return b"\x04" + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def decode(data):
    """A received share, refused as PROTOCOL.md section 4 says; None if it is not valid."""
    if len(data) != 65 or data[0] != 0x04:
        return None
    x = int.from_bytes(data[1:33], "big")
    y = int.from_bytes(data[33:], "big")
    if x >= P or y >= P or not on_curve((x, y)):
        return None
    return (x, y)  # the identity has no 65-byte encoding, so a point on the curve is not it


def decompress(data):
    """SEC1 compressed (02/03 || X), as RFC 9382 gives M and N."""
    x = int.from_bytes(data[1:], "big")
    y = pow((x * x * x + A * x + B) % P, (P + 1) // 4, P)  # P = 3 (mod 4)
    if y % 2 != data[0] - 2:
        y = P - y
    point = (x, y)
    assert on_curve(point)
    return point


M = decompress(bytes.fromhex("02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f"))
N_POINT = decompress(
    bytes.fromhex("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49")
)


def random_scalar():
    """Uniform in [1, n-1]."""
    return 1 + secrets.randbelow(N - 1)


# ---------------------------------------------------------------------------------------------
# SPAKE2-P256-SHA256-HKDF-HMAC (RFC 9382) with paird's choices (PROTOCOL.md section 4).

AAD = b"paird/1"


def length_prefixed(data):
    return struct.pack("<Q", len(data)) + data


def hkdf_sha256(ikm, salt, info, length):
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def spake2_w(secret_digits):
    digest = hashlib.sha512(b"paird spake2 w v1\x00" + secret_digits.encode("ascii")).digest()
    return int.from_bytes(digest, "big") % N


def spake2_share(scalar, w, blind):
    return encode(add(multiply(scalar, G), multiply(w, blind)))


def spake2_shared_point(scalar, w, peer_share, peer_blind):
    """K = scalar * (peer_share - w * peer_blind); None for an invalid share or K the identity."""
    point = decode(peer_share)
    if point is None:
        return None
    return multiply(scalar, add(point, negate(multiply(w, peer_blind))))


def spake2_keys(identity_a, identity_b, p_a, p_b, k, w, aad):
    """The transcript and everything derived from it, as a dict of byte strings."""
    tt = b"".join(
        length_prefixed(part)
        for part in (identity_a, identity_b, p_a, p_b, encode(k), w.to_bytes(32, "big"))
    )
    digest = hashlib.sha256(tt).digest()
    ke, ka = digest[:16], digest[16:]
    kc = hkdf_sha256(ka, b"", b"ConfirmationKeys" + aad, 32)
    kca, kcb = kc[:16], kc[16:]
    return {
        "TT": tt,
        "Ke": ke,
        "Ka": ka,
        "KcA": kca,
        "KcB": kcb,
        "cA": hmac.new(kca, tt, hashlib.sha256).digest(),
        "cB": hmac.new(kcb, tt, hashlib.sha256).digest(),
    }


# ---------------------------------------------------------------------------------------------
# The hmac suite (PROTOCOL.md section 3).


def hmac_messages(key, client_der, server_der):
    m1 = hmac.new(key, b"request" + client_der + server_der, hashlib.sha256).digest()
    m2 = hmac.new(key, b"response" + client_der + server_der, hashlib.sha256).digest()
    return m1, m2


# ---------------------------------------------------------------------------------------------
# How keys are typed (PROTOCOL.md section 8).

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

DAMM10 = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm10(digits):
    interim = 0
    for digit in digits:
        interim = DAMM10[interim][int(digit)]
    return interim


def gf32_double(value):
    """2 * value in GF(2^5) modulo x^5 + x^2 + 1."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def damm32(symbols):
    interim = 0
    for symbol in symbols:
        interim = gf32_double(interim) ^ symbol
    return interim


class MalformedKey(ValueError):
    pass


def parse_key(typed):
    """('spake2', slot, secret digits) or ('hmac', 16 bytes, None); MalformedKey otherwise."""
    spake2_text = "".join(c for c in typed if c not in " \t-")
    if spake2_text.isdigit() and spake2_text.isascii() and 9 <= len(spake2_text) <= 13:
        if damm10(spake2_text) != 0:
            raise MalformedKey("check digit")
        return ("spake2", int(spake2_text[:2]), spake2_text[2:-1])
    text = "".join(c for c in typed if c not in " -").upper()
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(text) != 27 or any(c not in CROCKFORD for c in text):
        raise MalformedKey("neither a spake2 code nor an hmac key")
    symbols = [CROCKFORD.index(c) for c in text]
    if symbols[0] >= 8:
        raise MalformedKey("more than 128 bits")
    if damm32(symbols) != 0:
        raise MalformedKey("check symbol")
    value = 0
    for symbol in symbols[:26]:
        value = value << 5 | symbol
    return ("hmac", value.to_bytes(16, "big"), None)


def format_hmac_key(key):
    value = int.from_bytes(key, "big")
    symbols = [(value >> (5 * (25 - i))) & 31 for i in range(26)]
    symbols.append(gf32_double(damm32(symbols)))
    text = "".join(CROCKFORD[s] for s in symbols)
    return "-".join(text[i : i + 4] for i in range(0, 27, 4))


def is_trivial(secret):
    steps = {(int(b) - int(a)) % 10 for a, b in zip(secret, secret[1:])}
    return steps in ({0}, {1}, {9})


def format_spake2_code(slot, secret):
    digits = "%02d%s" % (slot, secret)
    first = (len(secret) + 1) // 2
    return "%02d-%s-%s-%d" % (slot, secret[:first], secret[first:], damm10(digits))


def new_spake2_code(digits=8):
    while True:
        secret = "".join(str(secrets.randbelow(10)) for _ in range(digits))
        if not is_trivial(secret):
            return secrets.randbelow(100), secret


def key_cases():
    """Typed keys, each with whether PROTOCOL.md section 8 makes it well-formed.

    Every check character is tried for some keys of each kind, and every entry of the order-10
    table is used, so that a client that accepts exactly the keys marked valid computes the
    check characters as this file does.
    """
    cases = []
    for count in range(6, 11):
        for _ in range(3):
            slot, secret = new_spake2_code(count)
            right = damm10("%02d%s" % (slot, secret))
            typed = format_spake2_code(slot, secret)
            for check_digit in range(10):
                cases.append((typed[:-1] + str(check_digit), check_digit == right, "check digit"))
    for slot in range(100):
        # The first slot digit takes the fold from 0 to any row, the second to any entry of it;
        # a table that differed there would lead to another check digit, rows and columns being
        # permutations.
        cases.append((format_spake2_code(slot, new_spake2_code()[1]), True, "slot %02d" % slot))
    slot, secret = new_spake2_code()
    typed = format_spake2_code(slot, secret)
    digits = typed.replace("-", "")
    cases.append((digits, True, "spake2 code without dashes"))
    cases.append((" ".join(digits), True, "spake2 code with spaces"))
    cases.append((digits[:3] + "-" + digits[3:], True, "spake2 code grouped otherwise"))
    for count in (5, 11):
        slot, secret = new_spake2_code(count)
        cases.append((format_spake2_code(slot, secret), False, "%d secret digits" % count))
    cases.append((format_spake2_code(3, "12345678"), True, "trivial secret: typed, not issued"))
    for _ in range(3):
        typed = format_hmac_key(secrets.token_bytes(16))
        right = typed[-1]
        for symbol in CROCKFORD:
            cases.append((typed[:-1] + symbol, symbol == right, "check symbol"))
    key = bytes(range(16))
    typed = format_hmac_key(key)
    cases.append((typed.lower(), True, "hmac key in lower case"))
    cases.append((typed.replace("-", ""), True, "hmac key without dashes"))
    cases.append((typed.replace("-", " "), True, "hmac key grouped by spaces"))
    cases.append((typed.replace("0", "O").replace("1", "I"), True, "hmac key with O and I"))
    cases.append((typed.replace("0", "o").replace("1", "l"), True, "hmac key with o and l"))
    symbols = [CROCKFORD.index(c) for c in typed.replace("-", "")[:26]]
    for first in (8, 31):
        over = [first] + symbols[1:]
        text = "".join(CROCKFORD[s] for s in over) + CROCKFORD[gf32_double(damm32(over))]
        cases.append((text, False, "hmac key of more than 128 bits (first symbol %d)" % first))
    cases.append((typed[:-2] + "U" + typed[-1], False, "hmac key with U"))
    for typed, valid, case in cases:
        assert (accepted(typed) != []) == valid, typed
        emit(key=typed, valid=valid, case=case)
    emit(outcome="listed", count=len(cases))
    return 0


# ---------------------------------------------------------------------------------------------
# Frames (PROTOCOL.md section 2).

HMAC_REQUEST = 0x01
HMAC_RESPONSE = 0x02
SPAKE2_CLIENT_SHARE = 0x11
SPAKE2_SERVER_SHARE = 0x12
SPAKE2_CLIENT_CONFIRM = 0x13
SPAKE2_SERVER_CONFIRM = 0x14
PING = 0x21
PONG = 0x22
ERROR = 0x7F

BODY_LENGTHS = {
    HMAC_REQUEST: 32,
    HMAC_RESPONSE: 32,
    SPAKE2_CLIENT_SHARE: 66,
    SPAKE2_SERVER_SHARE: 65,
    SPAKE2_CLIENT_CONFIRM: 32,
    SPAKE2_SERVER_CONFIRM: 32,
    PING: 0,
    PONG: 0,
    ERROR: 1,
}

REASONS = {
    1: "REJECTED",
    2: "MALFORMED",
    3: "UNEXPECTED",
    4: "BUSY",
    5: "TIMEOUT",
    6: "NOT_TRUSTED",
    7: "INTERNAL",
}
REJECTED, MALFORMED, UNEXPECTED, TIMEOUT, NOT_TRUSTED = 1, 2, 3, 5, 6


def frame(kind, body):
    return bytes([kind]) + struct.pack(">H", len(body)) + body


class Malformed(Exception):
    pass


class Closed(Exception):
    pass


def read_exactly(connection, count):
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise Closed("the peer closed the connection after %d of %d bytes" % (len(data), count))
        data += chunk
    return data


def read_frame(connection):
    """(type, body); the header is checked before any of the body is read."""
    header = read_exactly(connection, 3)
    kind, length = header[0], struct.unpack(">H", header[1:])[0]
    if length > 256 or BODY_LENGTHS.get(kind) != length:
        raise Malformed("frame type 0x%02x with a body of %d bytes" % (kind, length))
    return kind, read_exactly(connection, length)


def send(connection, kind, body, trailer=b""):
    connection.sendall(frame(kind, body) + trailer)


# What --tamper trailing-garbage sends right behind the client's last frame, in the same write:
# a header of an unknown type, which is no frame.
GARBAGE = b"\xff\xff\xff"


def send_error(connection, reason):
    try:
        send(connection, ERROR, bytes([reason]))
    except OSError:
        pass


def drain_after_error(tls):
    """Section 2: an ERROR ends the exchange without an answer. Reads what the other side still
    sends until it closes, and reports how many bytes that was."""
    received = 0
    try:
        while True:
            data = tls.recv(4096)
            if not data:
                break
            received += len(data)
    except (ssl.SSLError, OSError):
        pass
    emit(event="after error", bytes=received)


def flip(data):
    """data with one bit of its last byte changed: a MAC or share that no longer proves anything."""
    return data[:-1] + bytes([data[-1] ^ 0x01])


# ---------------------------------------------------------------------------------------------
# TLS (PROTOCOL.md section 1).

ALPN = "paird/1"


def der_of_first_certificate(pem_file):
    with open(pem_file, encoding="ascii") as f:
        text = f.read()
    end = "-----END CERTIFICATE-----"
    return ssl.PEM_cert_to_DER_cert(text[: text.index(end) + len(end)] + "\n")


def fingerprint(der):
    return hashlib.sha256(der).hexdigest()


class HandshakeMessages:
    """Which TLS handshake messages went each way, from the ssl module's message callback."""

    def __init__(self, context):
        self.seen = []
        context._msg_callback = self.record

    def record(self, connection, direction, version, content_type, message_type, data):
        if content_type == ssl._TLSContentType.HANDSHAKE:
            self.seen.append((direction, message_type))

    def received(self, message_type):
        return ("read", message_type) in self.seen

    def count_received(self, message_type):
        return self.seen.count(("read", message_type))


def base_context(purpose, cert, key):
    context = ssl.SSLContext(purpose)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.options |= ssl.OP_NO_TICKET
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols([ALPN])
    return context


def client_context(cert, key):
    context = base_context(ssl.PROTOCOL_TLS_CLIENT, cert, key)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the exchange, not TLS, decides whom to trust
    return context


def server_context(cert, key):
    """Requires a client certificate but accepts any, as PROTOCOL.md section 1 says.

    Python's ssl module verifies every certificate it requests against its trust store and has
    no verify callback, so the callback of OpenSSL itself is set, through ctypes, on the SSL_CTX
    that the SSLContext wraps; the handshake still checks CertificateVerify, which is what the
    protocol relies on TLS for.
    """
    import ctypes
    import _ssl

    context = base_context(ssl.PROTOCOL_TLS_SERVER, cert, key)
    context.num_tickets = 0
    libssl = ctypes.CDLL(_ssl.__file__)  # its dependencies include the libssl that _ssl uses
    libssl.SSL_CTX_get_verify_mode.restype = ctypes.c_int
    libssl.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
    libssl.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, callback_type]
    # The SSL_CTX pointer follows the object header in the C struct of _ssl._SSLContext; the
    # verify mode read back through it, set two ways, shows that it is the right pointer.
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    context.verify_mode = ssl.CERT_OPTIONAL
    optional = libssl.SSL_CTX_get_verify_mode(pointer)
    context.verify_mode = ssl.CERT_REQUIRED
    required = libssl.SSL_CTX_get_verify_mode(pointer)
    if (optional, required) != (1, 3):
        raise RuntimeError("cannot find the SSL_CTX of an SSLContext in this Python")
    accept_any = callback_type(lambda preverified, store: 1)
    libssl.SSL_CTX_set_verify(pointer, 3, accept_any)  # SSL_VERIFY_PEER | FAIL_IF_NO_PEER_CERT
    context._paird_keepalive = accept_any
    return context


def emit(**fields):
    print(json.dumps(fields), flush=True)


def report_error_frame(body):
    return "ERROR(%s)" % REASONS.get(body[0], "unknown 0x%02x" % body[0])


# ---------------------------------------------------------------------------------------------
# The client, device B.


def connect(args):
    host, port = args.connect.rsplit(":", 1)
    context = client_context(args.cert, args.key)
    messages = HandshakeMessages(context)
    raw = socket.create_connection((host.strip("[]"), int(port)), timeout=args.timeout)
    try:
        tls = context.wrap_socket(raw)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        emit(outcome="tls_failed", detail=str(e))
        sys.exit(1)
    if tls.selected_alpn_protocol() != ALPN:
        tls.close()
        emit(outcome="not_paird", detail="paird/1 was not agreed")
        sys.exit(1)
    if not messages.received(ssl._TLSMessageType.CERTIFICATE_REQUEST):
        tls.close()
        emit(outcome="not_paird", detail="the server did not request a client certificate")
        sys.exit(1)
    client_der = der_of_first_certificate(args.cert)
    server_der = tls.getpeercert(binary_form=True)
    emit(
        event="connected",
        server_fingerprint=fingerprint(server_der),
        client_fingerprint=fingerprint(client_der),
        certificate_requested=True,
    )
    return tls, messages, client_der, server_der


def await_frame(tls, expected):
    """The next frame, which must be `expected`; otherwise an outcome after answering."""
    try:
        kind, body = read_frame(tls)
    except Malformed as e:
        send_error(tls, MALFORMED)
        return None, "malformed frame: %s" % e
    except Closed as e:
        return None, str(e)
    except socket.timeout:
        send_error(tls, TIMEOUT)
        return None, "timeout"
    if kind == ERROR:
        return None, report_error_frame(body)
    if kind != expected:
        send_error(tls, UNEXPECTED)
        return None, "unexpected frame type 0x%02x" % kind
    return body, None


def client(args):
    suite, secret, digits = parse_key(args.code)
    tls, messages, client_der, server_der = connect(args)
    server_fingerprint = fingerprint(server_der)
    with tls:
        outcome = exchange(args, tls, suite, secret, digits, client_der, server_der)
    if outcome == 0:
        emit(
            outcome="paired",
            suite=suite,
            server_fingerprint=server_fingerprint,
            session_tickets=messages.count_received(ssl._TLSMessageType.NEWSESSION_TICKET),
        )
    return outcome


def exchange(args, tls, suite, secret, digits, client_der, server_der):
    """Runs the exchange of `suite`; 0 once the server's proof checks out, else 1."""
    if suite == "hmac":
        return hmac_exchange(args, tls, secret, client_der, server_der)
    return spake2_exchange(args, tls, secret, digits, client_der, server_der)


def hmac_exchange(args, tls, key, client_der, server_der):
    m1, m2 = hmac_messages(key, client_der, server_der)
    send(
        tls,
        HMAC_REQUEST,
        flip(m1) if args.tamper == "confirmation" else m1,
        GARBAGE if args.tamper == "trailing-garbage" else b"",
    )
    body, failure = await_frame(tls, HMAC_RESPONSE)
    if failure:
        emit(outcome="failed", detail=failure)
        return 1
    if not hmac.compare_digest(body, m2):
        send_error(tls, REJECTED)
        emit(outcome="failed", detail="the server's m2 is wrong")
        return 1
    return 0


def spake2_exchange(args, tls, slot, digits, client_der, server_der):
    w = spake2_w(digits)
    x = random_scalar()
    if args.tamper == "share-not-a-point":
        p_a = b"\x04" + bytes(64)
    elif args.tamper == "share-identity-k":
        p_a = encode(multiply(w, M))  # x * G left out: the server's K is the identity
    else:
        p_a = spake2_share(x, w, M)
    send(tls, SPAKE2_CLIENT_SHARE, bytes([slot]) + p_a)
    p_b, failure = await_frame(tls, SPAKE2_SERVER_SHARE)
    if failure:
        emit(outcome="failed", detail=failure)
        return 1
    emit(event="server share received")
    k = spake2_shared_point(x, w, p_b, N_POINT)
    if k is None:
        send_error(tls, MALFORMED)
        emit(outcome="failed", detail="the other device sent an invalid SPAKE2 share")
        return 1
    keys = spake2_keys(client_der, server_der, p_a, p_b, k, w, AAD)
    c_a = flip(keys["cA"]) if args.tamper == "confirmation" else keys["cA"]
    send(tls, SPAKE2_CLIENT_CONFIRM, c_a, GARBAGE if args.tamper == "trailing-garbage" else b"")
    c_b, failure = await_frame(tls, SPAKE2_SERVER_CONFIRM)
    if failure:
        emit(outcome="failed", detail=failure)
        return 1
    if not hmac.compare_digest(c_b, keys["cB"]):
        send_error(tls, REJECTED)
        emit(outcome="failed", detail="the server's confirmation is wrong")
        return 1
    return 0


def ping(args):
    tls, _, _, server_der = connect(args)
    with tls:
        send(tls, PING, b"")
        body, failure = await_frame(tls, PONG)
    if failure:
        emit(outcome="failed", detail=failure)
        return 1
    emit(outcome="pong", server_fingerprint=fingerprint(server_der))
    return 0


# ---------------------------------------------------------------------------------------------
# The server, device A: one key, one connection.


def listen():
    """A listener on 127.0.0.1, on a port the kernel picks, and that port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener, listener.getsockname()[1]


def server(args):
    context = server_context(args.cert, args.key)
    server_der = der_of_first_certificate(args.cert)
    key = slot = digits = None
    if args.code:
        suite, secret, code_digits = parse_key(args.code)
        if suite != args.suite:
            raise SystemExit("--code is not a %s key" % args.suite)
        if suite == "hmac":
            key = secret
        else:
            slot, digits = secret, code_digits
        typed = args.code
    elif args.suite == "hmac":
        key = secrets.token_bytes(16)
        typed = format_hmac_key(key)
    else:
        slot, digits = new_spake2_code()
        typed = format_spake2_code(slot, digits)
    listener, port = listen()
    emit(event="listening", port=port, key=typed, server_fingerprint=fingerprint(server_der))
    listener.settimeout(args.timeout)
    raw, _ = listener.accept()
    listener.close()
    raw.settimeout(args.timeout)
    try:
        tls = context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        emit(outcome="tls_failed", detail=str(e))
        return 1
    with tls:
        if tls.selected_alpn_protocol() != ALPN:
            emit(outcome="not_paird", detail="paird/1 was not agreed")
            return 1
        client_der = tls.getpeercert(binary_form=True)
        client_fingerprint = fingerprint(client_der)
        tls.settimeout(5)  # first_frame_timeout
        try:
            kind, body = read_frame(tls)
        except Malformed as e:
            send_error(tls, MALFORMED)
            emit(outcome="failed", detail="malformed frame: %s" % e)
            return 1
        except socket.timeout:
            send_error(tls, TIMEOUT)
            emit(outcome="failed", detail="no first frame in time")
            return 1
        except Closed as e:
            emit(outcome="failed", detail=str(e))
            return 1
        tls.settimeout(args.timeout)
        if kind == PING:
            return answer_ping(args, tls, client_fingerprint)
        if kind == HMAC_REQUEST and args.suite == "hmac":
            proved = serve_hmac(args, tls, key, body, client_der, server_der)
        elif kind == HMAC_REQUEST:
            send_error(tls, REJECTED)
            emit(outcome="failed", detail="an hmac request, and no hmac key")
            return 1
        elif kind == SPAKE2_CLIENT_SHARE:
            secret = (slot, digits) if args.suite == "spake2" else None
            proved = serve_spake2(args, tls, secret, body, client_der, server_der)
        else:
            send_error(tls, UNEXPECTED)
            emit(outcome="failed", detail="unexpected first frame 0x%02x" % kind)
            return 1
    if not proved:
        return 1
    emit(outcome="paired", suite=args.suite, client_fingerprint=client_fingerprint)
    return 0


def answer_ping(args, tls, client_fingerprint):
    if client_fingerprint not in args.trust:
        send_error(tls, NOT_TRUSTED)
        emit(outcome="not_trusted", client_fingerprint=client_fingerprint)
        return 1
    send(tls, PONG, b"")
    emit(outcome="pong", client_fingerprint=client_fingerprint)
    return 0


def serve_hmac(args, tls, key, m1_received, client_der, server_der):
    """Section 3, the server's side: True once the client proved the key and got m2."""
    m1, m2 = hmac_messages(key, client_der, server_der)
    if not hmac.compare_digest(m1_received, m1):
        send_error(tls, REJECTED)
        drain_after_error(tls)
        emit(outcome="failed", detail="m1 is wrong")
        return False
    emit(event="trusted", client_fingerprint=fingerprint(client_der))
    send(tls, HMAC_RESPONSE, flip(m2) if args.tamper == "confirmation" else m2)
    return True


def serve_spake2(args, tls, secret, share, client_der, server_der):
    """Section 4, the server's side; `secret` is (slot, digits), or None without a spake2 key."""
    decoy = secret is None or share[0] != secret[0]
    w = secrets.randbelow(N) if decoy else spake2_w(secret[1])  # a decoy's random password
    p_a = share[1:]
    if decode(p_a) is None:
        send_error(tls, MALFORMED)
        emit(outcome="failed", detail="the client's share is not a valid point")
        return False
    emit(event="client share", share=p_a.hex())
    y = random_scalar()
    if args.tamper == "share-not-a-point":
        p_b = b"\x04" + bytes(64)
    elif args.tamper == "share-identity-k":
        p_b = encode(multiply(w, N_POINT))  # y * G left out: the client's K is the identity
    else:
        p_b = spake2_share(y, w, N_POINT)
    send(tls, SPAKE2_SERVER_SHARE, p_b)
    k = spake2_shared_point(y, w, p_a, M)
    c_a, failure = await_frame(tls, SPAKE2_CLIENT_CONFIRM)
    if failure:
        emit(outcome="failed", detail=failure)
        return False
    if k is None:
        send_error(tls, MALFORMED)
        emit(outcome="failed", detail="K is the identity")
        return False
    keys = spake2_keys(client_der, server_der, p_a, p_b, k, w, AAD)
    if decoy or not hmac.compare_digest(c_a, keys["cA"]):
        send_error(tls, REJECTED)
        drain_after_error(tls)
        emit(outcome="failed", detail="the client's confirmation is wrong")
        return False
    emit(event="trusted", client_fingerprint=fingerprint(client_der))
    c_b = flip(keys["cB"]) if args.tamper == "confirmation" else keys["cB"]
    send(tls, SPAKE2_SERVER_CONFIRM, c_b)
    return True


# ---------------------------------------------------------------------------------------------
# Self-test: the RFC's vectors and PROTOCOL.md's worked examples, byte for byte.


def check(name, actual, expected):
    if actual != expected:
        shown = [v.hex() if isinstance(v, bytes) else str(v) for v in (actual, expected)]
        emit(check=name, ok=False, actual=shown[0], expected=shown[1])
        emit(outcome="selftest failed", check=name)
        raise SystemExit(1)
    emit(check=name, ok=True)


def unhex(value):
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def selftest_rfc(vectors_file):
    with open(vectors_file, encoding="utf-8") as f:
        vectors = json.load(f)
    check("RFC 9382 M", M, decompress(unhex(vectors["M"])))
    check("RFC 9382 N", N_POINT, decompress(unhex(vectors["N"])))
    for i, v in enumerate(vectors["vectors"], 1):
        w, x, y = (int(v[name], 16) for name in ("w", "x", "y"))
        p_a, p_b = spake2_share(x, w, M), spake2_share(y, w, N_POINT)
        check("RFC 9382 vector %d pA" % i, p_a, unhex(v["pA"]))
        check("RFC 9382 vector %d pB" % i, p_b, unhex(v["pB"]))
        k_a = spake2_shared_point(x, w, p_b, N_POINT)
        k_b = spake2_shared_point(y, w, p_a, M)
        check("RFC 9382 vector %d K (A)" % i, encode(k_a), unhex(v["K"]))
        check("RFC 9382 vector %d K (B)" % i, encode(k_b), unhex(v["K"]))
        keys = spake2_keys(v["A"].encode(), v["B"].encode(), p_a, p_b, k_a, w, b"")
        for ours, theirs in (
            ("TT", "TT"),
            ("Ke", "Ke"),
            ("Ka", "Ka"),
            ("KcA", "KcA"),
            ("KcB", "KcB"),
            ("cA", "A conf"),
            ("cB", "B conf"),
        ):
            check("RFC 9382 vector %d %s" % (i, theirs), keys[ours], unhex(v[theirs]))


def read_document(protocol_md):
    """PROTOCOL.md's fenced blocks, as (section heading, lines) pairs, in order."""
    with open(protocol_md, encoding="utf-8") as f:
        lines = f.read().splitlines()
    blocks, heading, fenced = [], None, None
    for line in lines:
        if line.startswith("```"):
            if fenced is None:
                fenced = []
            else:
                blocks.append((heading, fenced))
                fenced = None
        elif fenced is not None:
            fenced.append(line)
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return blocks


def document_values(blocks, heading):
    """The NAME = VALUE lines of the fenced blocks of one section."""
    values = {}
    for section, lines in blocks:
        if section == heading:
            for line in lines:
                name, sep, value = line.partition(" = ")
                if sep and " " not in name.strip() and " " not in value.strip():
                    values[name.strip()] = value.strip()
    return values


def document_certificates(blocks):
    """The example certificates, client first, as DER."""
    return [
        ssl.PEM_cert_to_DER_cert("\n".join(lines) + "\n")
        for section, lines in blocks
        if section == "Worked example certificates" and lines[0].startswith("-----BEGIN")
    ]


def document_damm_table(blocks):
    for section, lines in blocks:
        if section == "8. How keys are typed" and lines[0].split() == ["d:"] + list("0123456789"):
            return tuple(tuple(int(d) for d in line.split()[1:]) for line in lines[1:])
    return None


def selftest_tables(protocol_md):
    """The constants PROTOCOL.md prints are those this program uses."""
    blocks = read_document(protocol_md)
    check("the Damm table of section 8", document_damm_table(blocks), DAMM10)
    points = document_values(blocks, "4. The spake2 suite")
    check("M of section 4", decompress(bytes.fromhex(points["M"])), M)
    check("N of section 4", decompress(bytes.fromhex(points["N"])), N_POINT)
    check("2*17 in GF(2^5), section 8", gf32_double(17), 7)


def selftest_examples(protocol_md):
    blocks = read_document(protocol_md)
    certificates = document_certificates(blocks)
    check("two example certificates", len(certificates), 2)
    client_der, server_der = certificates
    fingerprints = document_values(blocks, "Worked example certificates")
    check("client fingerprint", fingerprint(client_der), fingerprints["client_fingerprint"])
    check("server fingerprint", fingerprint(server_der), fingerprints["server_fingerprint"])

    ex = document_values(blocks, "Worked example: hmac")
    key = bytes.fromhex(ex["K"])
    check("hmac typed_key", format_hmac_key(key), ex["typed_key"])
    check("hmac typed_key parses", parse_key(ex["typed_key"]), ("hmac", key, None))
    check(
        "hmac typed_key, lower case, O for 0, no dashes",
        parse_key(ex["typed_key"].replace("-", "").replace("0", "o").lower()),
        ("hmac", key, None),
    )
    m1, m2 = hmac_messages(key, client_der, server_der)
    check("hmac m1", m1.hex(), ex["m1"])
    check("hmac m2", m2.hex(), ex["m2"])
    check("hmac frame_m1", frame(HMAC_REQUEST, m1).hex(), ex["frame_m1"])
    check("hmac frame_m2", frame(HMAC_RESPONSE, m2).hex(), ex["frame_m2"])
    check_typos("hmac typed_key", ex["typed_key"], CROCKFORD)

    ex = document_values(blocks, "Worked example: spake2")
    suite, slot, digits = parse_key(ex["typed_code"])
    expected = ("spake2", int(ex["slot"]), ex["secret"])
    check("spake2 typed_code parses", (suite, slot, digits), expected)
    check("spake2 typed_code formats", format_spake2_code(slot, digits), ex["typed_code"])
    check("spake2 AAD", AAD.decode(), ex["AAD"])
    w = spake2_w(digits)
    check("spake2 w", "%064x" % w, ex["w"])
    x, y = int(ex["x"], 16), int(ex["y"], 16)
    p_a, p_b = spake2_share(x, w, M), spake2_share(y, w, N_POINT)
    check("spake2 pA", p_a.hex(), ex["pA"])
    check("spake2 pB", p_b.hex(), ex["pB"])
    k = spake2_shared_point(x, w, p_b, N_POINT)
    check("spake2 K (client)", encode(k).hex(), ex["K"])
    check("spake2 K (server)", encode(spake2_shared_point(y, w, p_a, M)).hex(), ex["K"])
    keys = spake2_keys(client_der, server_der, p_a, p_b, k, w, AAD)
    check("spake2 TT_length", len(keys["TT"]), int(ex["TT_length"]))
    check("spake2 TT_sha256", hashlib.sha256(keys["TT"]).hexdigest(), ex["TT_sha256"])
    for name in ("Ke", "Ka", "KcA", "KcB", "cA", "cB"):
        check("spake2 " + name, keys[name].hex(), ex[name])
    check(
        "spake2 frame_client_share",
        frame(SPAKE2_CLIENT_SHARE, bytes([slot]) + p_a).hex(),
        ex["frame_client_share"],
    )
    check(
        "spake2 frame_server_share",
        frame(SPAKE2_SERVER_SHARE, p_b).hex(),
        ex["frame_server_share"],
    )
    check(
        "spake2 frame_client_confirm",
        frame(SPAKE2_CLIENT_CONFIRM, keys["cA"]).hex(),
        ex["frame_client_confirm"],
    )
    check(
        "spake2 frame_server_confirm",
        frame(SPAKE2_SERVER_CONFIRM, keys["cB"]).hex(),
        ex["frame_server_confirm"],
    )
    check_typos("spake2 typed_code", ex["typed_code"], "0123456789")


def check_typos(name, typed, alphabet):
    """PROTOCOL.md section 8: every single-character typo and adjacent swap is caught."""
    text = typed.replace("-", "")
    missed = []
    for i, original in enumerate(text):
        for other in alphabet:
            if other != original:
                missed += accepted(text[:i] + other + text[i + 1 :])
    for i in range(len(text) - 1):
        if text[i] != text[i + 1]:
            missed += accepted(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
    check(name + ": every typo and adjacent swap refused", missed, [])


def accepted(typed):
    try:
        parse_key(typed)
        return [typed]
    except MalformedKey:
        return []


def selftest_formats():
    """Section 8's formats, beyond the worked examples."""
    keys = [secrets.token_bytes(16) for _ in range(200)]
    round_trips = [parse_key(format_hmac_key(key)) for key in keys]
    check("200 hmac keys round trip", round_trips, [("hmac", key, None) for key in keys])
    for count in range(6, 11):
        slot, digits = 7, "".join(str(secrets.randbelow(10)) for _ in range(count))
        typed = format_spake2_code(slot, digits)
        groups = [len(group) for group in typed.split("-")]
        check("spake2 %d-digit groups" % count, groups, [2, (count + 1) // 2, count // 2, 1])
        check("spake2 %d-digit round trip" % count, parse_key(typed), ("spake2", slot, digits))
    check("spake2 code with tabs", parse_key("42\t9021 0573-8"), ("spake2", 42, "90210573"))
    trivial = [is_trivial(s) for s in ("11111111", "34567890", "21098765", "12345679")]
    check("trivial secrets", trivial, [True, True, True, False])


def selftest(args):
    selftest_rfc(args.rfc_vectors)
    selftest_tables(args.protocol_md)
    selftest_examples(args.protocol_md)
    selftest_formats()
    emit(outcome="selftest passed")
    return 0


# ---------------------------------------------------------------------------------------------


def new_key(args):
    if args.suite == "hmac":
        key = format_hmac_key(secrets.token_bytes(16))
    else:
        slot, secret = new_spake2_code()
        key = format_spake2_code(slot if args.slot is None else args.slot, secret)
    emit(outcome="made", key=key)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    tls_options = argparse.ArgumentParser(add_help=False)
    tls_options.add_argument("--cert", required=True)
    tls_options.add_argument("--key", required=True)
    tls_options.add_argument("--timeout", type=float, default=30.0)

    test = commands.add_parser("selftest")
    test.add_argument("protocol_md")
    test.add_argument("rfc_vectors")
    test.set_defaults(run=selftest)

    pair = commands.add_parser("client", parents=[tls_options])
    pair.add_argument("--connect", required=True)
    pair.add_argument("--code", required=True)
    pair.add_argument(
        "--tamper",
        choices=["confirmation", "share-not-a-point", "share-identity-k", "trailing-garbage"],
    )
    pair.set_defaults(run=client)

    pinger = commands.add_parser("ping", parents=[tls_options])
    pinger.add_argument("--connect", required=True)
    pinger.set_defaults(run=ping)

    serve = commands.add_parser("server", parents=[tls_options])
    serve.add_argument("--suite", choices=["spake2", "hmac"], required=True)
    serve.add_argument(
        "--tamper", choices=["confirmation", "share-not-a-point", "share-identity-k"]
    )
    serve.add_argument("--code", help="this key rather than a new one (pairing.py new-key)")
    serve.add_argument("--trust", action="append", default=[])
    serve.set_defaults(run=server)

    make = commands.add_parser("new-key")
    make.add_argument("--suite", choices=["spake2", "hmac"], required=True)
    make.add_argument("--slot", type=int, help="spake2: this slot rather than a random one")
    make.set_defaults(run=new_key)

    cases = commands.add_parser("key-cases")
    cases.set_defaults(run=lambda a: key_cases())

    parse = commands.add_parser("parse-key")
    parse.add_argument("key")

    def parse_command(a):
        try:
            suite, first, second = parse_key(a.key)
        except MalformedKey as e:
            emit(outcome="malformed_key", detail=str(e))
            return 1
        emit(outcome="parsed", suite=suite, slot=first if suite == "spake2" else None)
        return 0

    parse.set_defaults(run=parse_command)

    args = parser.parse_args()
    sys.exit(args.run(args) or 0)


if __name__ == "__main__":
    main()
