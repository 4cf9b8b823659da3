"""A real SMTP server for the mail tests (aiosmtpd on loopback).

Usage: python3 tests/smtp_sink.py PORT OUTDIR [starttls|tls CERT KEY USER PASSWORD]
Writes every accepted message to OUTDIR as NNNNN.eml (with X-Rcpt-To: header lines added, and
X-Tls: and X-Auth: lines saying whether the session was encrypted and who logged in), prints
"ready" once listening and stops when its standard input closes.

With `starttls` the server requires STARTTLS before anything else; with `tls` it speaks TLS from
the first byte; both require authentication as USER with PASSWORD (and refuse it otherwise).
"""
import asyncio
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        # A slow relay (SMTP_SINK_DELAY seconds before accepting each message).
        delay = float(os.environ.get("SMTP_SINK_DELAY", "0"))
        if delay:
            await asyncio.sleep(delay)
        self.n += 1
        path = os.path.join(self.out, f"{self.n:05d}.eml")
        rcpt = "".join(f"X-Rcpt-To: {r}\r\n" for r in envelope.rcpt_tos)
        # session.ssl is set by STARTTLS only; a TLS transport from the start has an ssl_object.
        tls = session.ssl or server.transport.get_extra_info("ssl_object")
        rcpt += f"X-Tls: {'yes' if tls else 'no'}\r\n"
        login = session.auth_data.decode() if session.authenticated else "-"
        rcpt = (rcpt + f"X-Auth: {login}\r\n").encode()
        with open(path + ".tmp", "wb") as f:
            f.write(rcpt + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"


class Authenticator:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == self.user and auth_data.password == self.password
        # handled=False: aiosmtpd answers 535 itself (its default assumes the hook did).
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login)


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    options = {}
    if len(sys.argv) > 3:
        mode, cert, key, user, password = sys.argv[3:8]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options = dict(authenticator=Authenticator(user, password), auth_required=True)
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
        else:
            # The whole connection is TLS; aiosmtpd only counts STARTTLS as TLS when it decides
            # whether to offer AUTH, so it is told not to ask for it again.
            options.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
