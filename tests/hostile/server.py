#!/usr/bin/env python3
"""Hostile peers for listclean's robustness tests, on loopback only.

One process serves:

- authoritative DNS over UDP and TCP on 127.0.0.1:DNS_PORT for the domains
  in ZONE, including crafted answers: an MX record whose target is a
  compression pointer to itself, and an MX answer of MANY_MX records that
  only fits over TCP;
- SMTP on SMTP_PORT at one 127.2.0.x address per behaviour (see SMTP);
- HTTPS on 127.0.0.1:HTTPS_PORT that responds to every request with a
  100 MB body without Content-Length, when --cert and --key are given.

Every loop is bounded in bytes, count and time, and the process exits by
itself after --lifetime seconds. It prints "hostile: ready" once every
listener is bound.
"""
import argparse
import os
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

MANY_MX = 2500
# The one record of many.test with the best preference, placed late in the
# answer so that a resolver keeping only some records must keep it.
MANY_BEST = 1777
HTTP_BODY = 100 * 1024 * 1024
TRICKLE_MAX_S = 60
HOLD_MAX_S = 60

# Domain -> MX target -> address. The targets of the SMTP behaviours share
# the address of their behaviour.
ZONE = {
    "banner.test": "127.2.0.1",
    "endless.test": "127.2.0.2",
    "trickle.test": "127.2.0.3",
    "noread.test": "127.2.0.4",
    "tlsstall.test": "127.2.0.5",
    "text.test": "127.2.0.6",
    "identity.test": "127.2.0.8",
}
MANY_ADDR = "127.2.0.7"
DEAD_ADDR = "127.2.0.9"


def log(msg):
    print("hostile: " + msg, file=sys.stderr, flush=True)


# DNS ---------------------------------------------------------------------

def encode_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(msg):
    """Return (id, flags, qname, qtype, end of question) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if qdcount != 1:
        return None
    pos, labels = 12, []
    while pos < len(msg) and msg[pos] != 0:
        n = msg[pos]
        if n & 0xC0:
            return None
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    pos += 1
    if pos + 4 > len(msg):
        return None
    qtype, _ = struct.unpack("!HH", msg[pos:pos + 4])
    return qid, flags, ".".join(labels).lower(), qtype, pos + 4


def rr(name_bytes, rtype, rdata, ttl=300):
    return name_bytes + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def dns_answer(msg):
    q = parse_question(msg)
    if q is None:
        return None
    qid, qflags, qname, qtype, qend = q
    question = msg[12:qend]
    rcode, answers = 0, []
    mx, a, aaaa = 15, 1, 28
    if qname in ZONE:
        if qtype == mx:
            target = encode_name("mx." + qname)
            answers.append(rr(b"\xc0\x0c", mx, b"\0\x0a" + target))
    elif qname.startswith("mx.") and qname[3:] in ZONE:
        if qtype == a:
            answers.append(rr(b"\xc0\x0c", a, socket.inet_aton(ZONE[qname[3:]])))
    elif qname == "loop.test":
        if qtype == mx:
            # The target is a pointer to itself: 12 header octets, the
            # question, 12 octets of the answer's fixed part, then the
            # 2-octet preference.
            offset = 12 + len(question) + 12 + 2
            target = struct.pack("!H", 0xC000 | offset)
            answers.append(rr(b"\xc0\x0c", mx, b"\0\x0a" + target))
    elif qname == "many.test":
        if qtype == mx:
            for i in range(MANY_MX):
                pref = 1 if i == MANY_BEST else 10 + i % 50
                # "mxN" then a pointer to the question name (offset 12).
                label = ("mx%d" % i).encode()
                target = bytes([len(label)]) + label + b"\xc0\x0c"
                answers.append(rr(b"\xc0\x0c", mx, struct.pack("!H", pref)
                                  + target))
    elif qname.startswith("mx") and qname.endswith(".many.test"):
        if qtype == a:
            best = qname == "mx%d.many.test" % MANY_BEST
            addr = MANY_ADDR if best else DEAD_ADDR
            answers.append(rr(b"\xc0\x0c", a, socket.inet_aton(addr)))
    else:
        rcode = 3
    flags = 0x8000 | 0x0400 | (qflags & 0x0100) | rcode  # QR AA RD
    header = struct.pack("!HHHHHH", qid, flags, 1, len(answers), 0, 0)
    return header + question + b"".join(answers)


class DnsUdp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = dns_answer(data)
        if reply is None:
            return
        if len(reply) > 512:
            # Truncated: header with TC and the question only.
            q = parse_question(data)
            head = bytearray(reply[:q[4]])
            head[2] |= 0x02
            head[6:8] = b"\0\0"
            reply = bytes(head)
        sock.sendto(reply, self.client_address)


class DnsTcp(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        try:
            for _ in range(100):
                head = self.request.recv(2, socket.MSG_WAITALL)
                if len(head) < 2:
                    return
                n = struct.unpack("!H", head)[0]
                data = self.request.recv(n, socket.MSG_WAITALL)
                reply = dns_answer(data)
                if reply is None or len(reply) > 65535:
                    return
                self.request.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


# SMTP --------------------------------------------------------------------

def read_line(sock, deadline=10):
    sock.settimeout(deadline)
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < 4096:
        c = sock.recv(1)
        if not c:
            raise ConnectionError("closed")
        buf += c
    return buf.decode("latin-1").rstrip("\r\n")


def hold(sock):
    """Keep the connection open without reading until the peer closes or
    HOLD_MAX_S pass."""
    deadline = time.monotonic() + HOLD_MAX_S
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            sock.settimeout(0)
            if sock.recv(1, socket.MSG_PEEK) == b"":
                return
        except BlockingIOError:
            continue
        except OSError:
            return


def smtp_banner_1m(sock):
    chunk = b"220 " + b"A" * 65532
    for _ in range(16):
        sock.sendall(chunk)
    hold(sock)


def smtp_endless(sock):
    line = b"220-endless greeting line\r\n"
    for _ in range(200000):
        sock.sendall(line)


def smtp_trickle(sock):
    banner = b"220 trickle.test ESMTP one octet per second\r\n"
    for i in range(min(len(banner), TRICKLE_MAX_S)):
        try:
            sock.sendall(banner[i:i + 1])
        except OSError:
            log("trickle: client left after %d octets" % i)
            return
        time.sleep(1)


def smtp_noread(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.sendall(b"220 noread.test ESMTP\r\n")
    # Never read: the commands stay in the socket and no reply comes.
    deadline = time.monotonic() + HOLD_MAX_S
    while time.monotonic() < deadline:
        time.sleep(0.5)


def smtp_dialogue(sock, name, rcpt_reply, starttls_stall=False):
    """A plain SMTP server whose RCPT replies come from RCPT_REPLY(local)."""
    sock.sendall(("220 %s ESMTP\r\n" % name).encode())
    for _ in range(200):
        cmd = read_line(sock)
        verb = cmd[:4].upper()
        if verb in ("EHLO", "HELO"):
            ext = "250-PIPELINING\r\n250-STARTTLS\r\n" if starttls_stall \
                else "250-PIPELINING\r\n"
            sock.sendall(("250-%s\r\n%s250 8BITMIME\r\n" % (name, ext))
                         .encode())
        elif verb == "STAR" and starttls_stall:
            sock.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            log("tlsstall: STARTTLS accepted, handshake left unanswered")
            hold(sock)  # never replies to the ClientHello
            return
        elif verb == "MAIL" or verb == "RSET" or verb == "NOOP":
            sock.sendall(b"250 2.1.0 Ok\r\n")
        elif verb == "RCPT":
            local = cmd.split("<", 1)[-1].split("@", 1)[0].lower()
            sock.sendall(rcpt_reply(local))
        elif verb == "QUIT":
            sock.sendall(b"221 2.0.0 Bye\r\n")
            return
        else:
            sock.sendall(b"502 5.5.2 Error: command not recognized\r\n")


# Replies of text.test by local part: control characters and spreadsheet
# formulas in the reply text.
TEXT_REPLIES = {
    "ctl": b"550 5.1.1 \x1b[31mno such\x07 user\x7f here\r\n",
    "eq": b"550 5.1.1 =1+2 user unknown\r\n",
    "plus": b"550 5.1.1 +SUM(1) user unknown\r\n",
    "minus": b"550 5.1.1 -2 user unknown\r\n",
    "at": b"550 5.1.1 @SUM(1) user unknown\r\n",
    "alice": b"250 2.1.5 \x1b]0;title\x07Ok\r\n",
}


def text_reply(local):
    return TEXT_REPLIES.get(local, b"550 5.1.1 User unknown\r\n")


def blocked_reply(local):
    return b"550 5.7.1 Client host rejected: blocked\r\n"


def many_reply(local):
    if local == "alice":
        return b"250 2.1.5 Ok\r\n"
    return b"550 5.1.1 User unknown\r\n"


class Smtp(socketserver.BaseRequestHandler):
    def handle(self):
        addr = self.request.getsockname()[0]
        try:
            if addr == "127.2.0.1":
                smtp_banner_1m(self.request)
            elif addr == "127.2.0.2":
                smtp_endless(self.request)
            elif addr == "127.2.0.3":
                smtp_trickle(self.request)
            elif addr == "127.2.0.4":
                smtp_noread(self.request)
            elif addr == "127.2.0.5":
                smtp_dialogue(self.request, "tlsstall.test", many_reply, True)
            elif addr == "127.2.0.6":
                smtp_dialogue(self.request, "text.test", text_reply)
            elif addr == "127.2.0.7":
                smtp_dialogue(self.request, "many.test", many_reply)
            elif addr == "127.2.0.8":
                smtp_dialogue(self.request, "identity.test", blocked_reply)
        except (OSError, ConnectionError):
            return


# HTTPS -------------------------------------------------------------------

class Https(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(10)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = sock.recv(4096)
                if not data:
                    return
                head += data
            log("https request: " + head.split(b"\r\n", 1)[0].decode())
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                         b"\r\nConnection: close\r\n\r\n")
            chunk = b" " * 65536
            sent = 0
            while sent < HTTP_BODY:
                sock.sendall(chunk)
                sent += len(chunk)
            log("https body sent in full")
        except OSError as e:
            log("https client left after the body started: %s" % e)


class TlsServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, ctx):
        self.ctx = ctx
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.settimeout(10)
        return self.ctx.wrap_socket(sock, server_side=True), addr


class Tcp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Udp(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--https-port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--lifetime", type=float, default=300)
    args = p.parse_args()

    servers = [Udp(("127.0.0.1", args.dns_port), DnsUdp),
               Tcp(("127.0.0.1", args.dns_port), DnsTcp)]
    for last in range(1, 9):
        servers.append(Tcp(("127.2.0.%d" % last, args.smtp_port), Smtp))
    if args.https_port:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        servers.append(TlsServer(("127.0.0.1", args.https_port), Https, ctx))
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("hostile: ready", flush=True)
    time.sleep(args.lifetime)
    log("lifetime over, exiting")
    os._exit(0)


if __name__ == "__main__":
    main()
