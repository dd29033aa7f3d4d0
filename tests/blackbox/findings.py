#!/usr/bin/env python3
"""The black-box findings of the security test (issue 23), re-run from
outside against a real `loket serve`, over HTTP, as an attacker would.

Usage, from the repository root:
    cargo build --release && python3 tests/blackbox/findings.py target/release/loket

Starts the service twice on free loopback ports with temporary databases
(once directly, once behind a "trusted proxy" on loopback), adds three
accounts, sends signed webhooks, and prints PASS/FAIL per finding with what
it saw; exits 1 on any FAIL. Not part of `cargo test`: the same defences
have their own tests there; this is the by-hand re-run, kept so it can be
repeated."""
import hashlib, hmac, http.client, json, os, shutil, socket, stat, subprocess, sys, tempfile, threading, time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/loket"
SECRET = "bb-app-secret"
results = []


def check(name, ok, seen):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {seen}")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


class Service:
    def __init__(self, extra_service=""):
        self.dir = tempfile.mkdtemp(prefix="bb-")
        shutil.copytree("config", f"{self.dir}/config")
        cfg = open(f"{self.dir}/config/loket.toml").read()
        self.port = free_port()
        cfg = cfg.replace('listen = "127.0.0.1:8080"', f'listen = "127.0.0.1:{self.port}"\n{extra_service}')
        cfg = cfg.replace('database_url = "sqlite://data/loket.db"', f'database_url = "sqlite://{self.dir}/loket.db"')
        open(f"{self.dir}/config/loket.toml", "w").write(cfg)
        self.env = {**os.environ, "LOKET_CONFIG_DIR": f"{self.dir}/config", "LOKET_WHATSAPP_APP_SECRET": SECRET,
                    "RUST_LOG": "info", "LOKET_KNOWLEDGE_DIR": os.path.abspath("knowledge")}
        self.env.pop("LOKET_METRICS_TOKEN", None)
        self.log = open(f"{self.dir}/service.log", "w")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        for name, role in [("anna", "staff"), ("bram", "staff"), ("beheer", "admin")]:
            subprocess.run([BIN, "user", "add", name, "--role", role], input=f"{name}-Wachtwoord-2026!\n",
                           env=self.env, capture_output=True, text=True, check=True)

    def request(self, method, path, body=None, headers=None, cookie=None, csrf=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body); h["Content-Type"] = "application/json"
        if cookie: h["Cookie"] = cookie
        if csrf: h["X-CSRF-Token"] = csrf
        c.request(method, path, body=body, headers=h)
        r = c.getresponse(); data = r.read()
        return r.status, data, r.getheader("Set-Cookie")

    def login(self, name, headers=None):
        st, data, cookie = self.request("POST", "/api/session", {"username": name, "password": f"{name}-Wachtwoord-2026!"}, headers=headers)
        if st != 200:
            return st, None, None
        return st, cookie.split(";")[0], json.loads(data)["csrf_token"]

    def webhook(self, wa_id, wamid, text):
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "100000000000001", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "3185000000", "phone_number_id": "123456789012345"},
            "contacts": [{"profile": {"name": "Voorbeeld Inwoner"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}]}}]}]}).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        return self.request("POST", "/webhooks/whatsapp", body, {"Content-Type": "application/json", "X-Hub-Signature-256": sig})[0]

    def db_bytes(self):
        out = b""
        for suffix in ["", "-wal"]:
            p = f"{self.dir}/loket.db{suffix}"
            if os.path.exists(p):
                out += open(p, "rb").read()
        return out

    def db_size(self):
        return sum(os.path.getsize(f"{self.dir}/loket.db{s}") for s in ["", "-wal"] if os.path.exists(f"{self.dir}/loket.db{s}"))

    def stop(self):
        self.proc.terminate(); self.proc.wait(10); self.log.close()


def queue(svc, cookie):
    st, data, _ = svc.request("GET", "/api/queue", cookie=cookie)
    return json.loads(data)["conversations"]


def wait_queued(svc, cookie, n):
    for _ in range(100):
        q = queue(svc, cookie)
        if len(q) >= n:
            return q
        time.sleep(0.1)
    return queue(svc, cookie)


svc = Service()
try:
    # 1. Login names: unbounded, unescaped, passwords kept.
    before = svc.db_size()
    statuses = set()
    for i in range(300):
        statuses.add(svc.request("POST", "/api/session", {"username": "a" * 60000 + str(i), "password": "x"})[0])
    grown = svc.db_size() - before
    check("60 KB login names (300 tries)", statuses == {400} and grown < 200_000, f"statuses {sorted(statuses)}, database grew {grown} bytes")
    forged = "anna\n2026-01-01T00:00:00Z  INFO loket: staff login username=\"beheer\"\x1b[2K"
    st = svc.request("POST", "/api/session", {"username": forged, "password": "x"})[0]
    time.sleep(0.3)
    log = open(f"{svc.dir}/service.log", encoding="utf-8", errors="replace").read()
    check("name with a line break and ESC", st == 400 and "2026-01-01T00:00:00Z  INFO" not in log and "\x1b[2K" not in log,
          f"status {st}; forged line in log: {'2026-01-01T00:00:00Z  INFO' in log}")
    st = svc.request("POST", "/api/session", {"username": "geheimwachtwoord2026", "password": "x"})[0]
    _, anna, anna_csrf = svc.login("anna")
    _, boss, boss_csrf = svc.login("beheer")
    st_a, audit, _ = svc.request("GET", "/api/audit", cookie=boss)
    time.sleep(0.3)
    log = open(f"{svc.dir}/service.log", encoding="utf-8", errors="replace").read()
    kept = b"geheimwachtwoord2026" in svc.db_bytes() or "geheimwachtwoord2026" in log or b"geheimwachtwoord2026" in audit
    check("a password typed into the name field", st == 401 and not kept and b"login:(unknown)" in audit,
          f"status {st}; kept in database/log/audit: {kept}")

    # 2. Close topic with a BSN in the audit log, and after forget.
    assert svc.webhook("31600000001", "wamid.bb.1", "Ik wil graag iemand spreken over mijn eigen situatie met de uitkering") == 200
    q = wait_queued(svc, anna, 1)
    cid = q[0]["id"]
    svc.request("POST", f"/api/conversations/{cid}/claim", {}, cookie=anna, csrf=anna_csrf)
    st = svc.request("POST", f"/api/conversations/{cid}/close", {"topic": "uitkering BSN 111222333"}, cookie=anna, csrf=anna_csrf)[0]
    _, audit, _ = svc.request("GET", "/api/audit", cookie=boss)
    in_audit = b"111222333" in audit
    subprocess.run([BIN, "forget", "+31 6 0000 0001"], env=svc.env, capture_output=True)
    time.sleep(0.5)
    check("close topic with a BSN", st in (200, 204) and not in_audit and b"111222333" not in svc.db_bytes(),
          f"close {st}; BSN in audit API: {in_audit}; in database bytes after forget: {b'111222333' in svc.db_bytes()}")

    # 3. Links outside the allowlist in a staff reply.
    assert svc.webhook("31600000002", "wamid.bb.2", "Ik wil graag een medewerker spreken over mijn aanvraag") == 200
    q = wait_queued(svc, anna, 1)
    cid2 = [c for c in q if c["id"] != cid][0]["id"] if len(q) > 1 else q[0]["id"]
    svc.request("POST", f"/api/conversations/{cid2}/claim", {}, cookie=anna, csrf=anna_csrf)
    refused = []
    for link in ["voorbeeldstad-betalen.nu/ideal", "voorbeeldstad.zip", "betaal-gemeente.help"]:
        st = svc.request("POST", f"/api/conversations/{cid2}/reply", {"text": f"Betaal via {link} graag"}, cookie=anna, csrf=anna_csrf)[0]
        refused.append((link, st))
    check("bare domains in a staff reply", all(400 <= s < 500 for _, s in refused), f"{refused}")

    # 4. Bidi override in a citizen's message.
    assert svc.webhook("31600000003", "wamid.bb.3", "Ik wil een medewerker, zie Factuur \u202egnp.exe") == 200
    time.sleep(1.0)
    q = queue(svc, anna)
    third = [c for c in q if c["id"] not in (cid, cid2)]
    seen = b""
    if third:
        _, seen, _ = svc.request("GET", f"/api/conversations/{third[0]['id']}", cookie=anna)
    check("bidi override shown to staff", b"[U+202E]" in seen and "\u202e".encode() not in seen, f"marker shown: {b'[U+202E]' in seen}, raw U+202E: {chr(0x202e).encode() in seen}")

    # 5. Sequential ids and unaudited reads.
    codes = [svc.request("GET", f"/api/conversations/{n}", cookie=anna)[0] for n in range(1, 6)]
    bram_st, bram, bram_csrf = svc.login("bram")
    st = svc.request("GET", f"/api/conversations/{cid2}", cookie=bram)[0]  # anna's thread
    _, audit, _ = svc.request("GET", "/api/audit", cookie=boss)
    entries = json.loads(audit)
    entries = entries.get("entries", entries) if isinstance(entries, dict) else entries
    read_audited = any(e.get("action") == "read" and "bram" in json.dumps(e) and cid2 in json.dumps(e) for e in entries)
    check("conversations by counting ids", set(codes) == {404} and len(cid) == 32, f"GET /api/conversations/1..5: {codes}; ids like {cid}")
    check("a colleague's thread read is audited", st == 200 and read_audited, f"status {st}; audited: {read_audited}")

    # 6. File permissions.
    modes = {s: oct(stat.S_IMODE(os.stat(f"{svc.dir}/loket.db{s}").st_mode)) for s in ["", "-wal", "-shm"] if os.path.exists(f"{svc.dir}/loket.db{s}")}
    check("database files 0600", all(m == "0o600" for m in modes.values()) and len(modes) == 3, f"{modes}")

    # 7. Event stream after logout.
    c = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=20)
    c.request("GET", "/api/events", headers={"Cookie": bram, "Accept": "text/event-stream"})
    r = c.getresponse()
    done = {}

    def drain():
        try:
            while r.read1(1024):
                pass
        except Exception:
            pass
        done["at"] = time.time()
    t = threading.Thread(target=drain); t.start()
    time.sleep(0.5)
    out_at = time.time()
    svc.request("DELETE", "/api/session", cookie=bram, csrf=bram_csrf)
    t.join(16)
    ended = done.get("at")
    check("event stream at logout", ended is not None and ended - out_at < 2.0, f"ended {None if ended is None else round(ended - out_at, 2)} s after logout")
finally:
    svc.stop()

# 8. Behind a trusted proxy on loopback.
svc = Service('trusted_proxies = ["127.0.0.1/32"]')
try:
    for i in range(20):
        svc.request("POST", "/api/session", {"username": f"gok{i % 3}x", "password": "fout"}, headers={"X-Forwarded-For": "203.0.113.5"})
        svc.request("POST", "/api/session", {"username": "anna", "password": "fout"}, headers={"X-Forwarded-For": "203.0.113.5"})
    st_b, _, _ = svc.login("bram", headers={"X-Forwarded-For": "203.0.113.9"})
    st_a, _, _ = svc.login("bram", headers={"X-Forwarded-For": "203.0.113.5"})
    check("20 bad logins from one forwarded address", st_b == 200, f"another address logs in: {st_b}; the guessing address: {st_a}")
    st = svc.request("GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})[0]
    check("/metrics through the proxy without a token", st == 403, f"status {st}")
finally:
    svc.stop()

print(f"{sum(results)} of {len(results)} checks passed")
sys.exit(0 if all(results) else 1)
