"""A real SMTP server for the mail tests (aiosmtpd on loopback).

Usage: python3 tests/smtp_sink.py PORT OUTDIR
Writes every accepted message to OUTDIR as NNNNN.eml (with X-Rcpt-To: header lines added),
prints "ready" once listening and stops when its standard input closes.
"""
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.out, f"{self.n:05d}.eml")
        rcpt = "".join(f"X-Rcpt-To: {r}\r\n" for r in envelope.rcpt_tos).encode()
        with open(path + ".tmp", "wb") as f:
            f.write(rcpt + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
