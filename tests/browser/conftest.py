"""Fixtures of the browser tests: a real `pollhook serve`, the Sage CRM simulator, a webhook
receiver, and Debian's Chromium driven by Playwright (never a downloaded browser).

Each test gets its own server (fresh database), simulator and receiver, all on 127.0.0.1.
The pollhook binary is $POLLHOOK_BIN (tests/run.sh passes the one it just built), else
target/debug/pollhook after `cargo build -p pollhook`.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import checks

REPO = Path(__file__).resolve().parents[2]
ORG_SECRET = "browser-test-organization-secret"
USER_SECRET = "browser-test-user-secret"
SECRET_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
CHROMIUM = os.environ.get("POLLHOOK_CHROMIUM", "/usr/bin/chromium")
# Headless Chromium on a closed network: no background fetches, no QUIC, no first-run UI.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]
# Loopback calls from the tests never go through a proxy.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method: str, url: str, body=None, headers=None, timeout=10.0):
    """(status, parsed JSON or text) of one HTTP call; 4xx/5xx are answers, not exceptions."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _http.open(request, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


# --- processes ---------------------------------------------------------------------------------


class Process:
    """A child process that prints `... listening on http://ADDR` on stdout once it is ready."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._log_file = open(self.log, "wb")
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump():
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace")
                lines.put(line)
                self._log_file.write(raw)
                self._log_file.flush()
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 30
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                line = None
                remaining = 0
            if line is not None and "listening on http://" in line:
                self.base = "http://" + line.split("listening on http://", 1)[1].strip()
                return
            if line is None:
                self.stop()
                raise RuntimeError(f"{name} did not start:\n{self.logs()}")

    def logs(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


@pytest.fixture(scope="session")
def pollhook_bin() -> str:
    given = os.environ.get("POLLHOOK_BIN")
    if given:
        path = Path(given)
    else:
        subprocess.run(["cargo", "build", "-p", "pollhook"], cwd=REPO, check=True)
        path = REPO / "target" / "debug" / "pollhook"
    assert path.is_file() and os.access(path, os.X_OK), f"no pollhook binary at {path}"
    return str(path)


@pytest.fixture
def workdir():
    d = Path(tempfile.mkdtemp(prefix="pollhook-browser-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Server:
    """`pollhook serve` on a fresh database, with fast retries so dead letters come quickly."""

    def __init__(self, binary: str, workdir: Path):
        env = dict(os.environ)
        env.update(
            POLLHOOK_ORGANIZATION_SECRET=ORG_SECRET,
            POLLHOOK_USER_SECRET=USER_SECRET,
            POLLHOOK_SECRET_KEY=SECRET_KEY,
            RUST_LOG=env.get("RUST_LOG", "warn"),
        )
        self.process = Process(
            "pollhook-serve",
            [
                binary,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--db",
                str(workdir / "pollhook.db"),
                "--allow-private-callbacks",
                "--retry-schedule",
                "100ms,200ms",
                "--delivery-timeout-secs",
                "1",
            ],
            env,
            workdir,
        )
        self.base = self.process.base

    def url(self, path: str) -> str:
        return self.base + path

    def api(self, method: str, path: str, body=None):
        auth = f"User {USER_SECRET}, Organization {ORG_SECRET}"
        return http(method, self.url(path), body, {"Authorization": auth})

    def events(self, instance_id) -> list[dict]:
        status, body = self.api("GET", f"/instances/{instance_id}/events?limit=1000")
        assert status == 200, body
        return body

    def instances(self) -> list[dict]:
        status, body = self.api("GET", "/instances")
        assert status == 200, body
        return body


@pytest.fixture
def server(pollhook_bin, workdir):
    s = Server(pollhook_bin, workdir)
    yield s
    s.process.stop()
    print(f"--- {s.process.name} log ---\n{s.process.logs()}")


class Simulator:
    """`pollhook simulate sagecrm` with its admin API (/_sim/...)."""

    def __init__(self, binary: str, workdir: Path):
        self.process = Process(
            "sagecrm-simulator",
            [binary, "simulate", "sagecrm", "--listen", "127.0.0.1:0"],
            dict(os.environ, RUST_LOG="warn"),
            workdir,
        )
        self.base = self.process.base

    def admin(self, method: str, path: str, body=None):
        status, answer = http(method, self.base + path, body)
        assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
        return answer

    def add_companies(self, *names: str):
        """Companies changed after now: the simulator's clock is moved 2 s ahead first, so they
        fall after the instance's creation (Sage CRM dates have whole seconds)."""
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        self.admin("POST", "/_sim/clock", {"now": at})
        return [self.admin("POST", "/_sim/company", {"Comp_Name": n}) for n in names]


@pytest.fixture
def simulator(pollhook_bin, workdir):
    s = Simulator(pollhook_bin, workdir)
    yield s
    s.process.stop()


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST, answers `status` (200 unless told)."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    status = receiver.status
                    receiver.received.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": json.loads(body or b"null"),
                            "answered": status,
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def answer(self, status: int):
        with self._lock:
            self.status = status

    def delivered(self) -> list[dict]:
        """Notifications answered with a 2xx."""
        with self._lock:
            return [r for r in self.received if 200 <= r["answered"] < 300]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Generous on a loaded CI machine; a passing check returns as soon as it holds.
    expect.set_options(timeout=10_000)
    assert os.path.exists(CHROMIUM), (
        f"{CHROMIUM} is missing: run `bash infra/install-browser-tests.sh` "
        "(Debian's chromium package; Playwright never downloads a browser here)"
    )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    # A Content-Security-Policy refusal means part of a page does not work as shipped.
    p.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield p
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        failures = checks.artifacts_dir() / "failures"
        failures.mkdir(parents=True, exist_ok=True)
        try:
            p.screenshot(path=str(failures / f"{request.node.name}.png"), full_page=True)
            (failures / f"{request.node.name}.html").write_text(p.content())
        except Exception as e:  # the page may be gone; the test's own error matters more
            print(f"could not save the failing page: {e}")
    context.close()
    assert not errors, f"script errors or CSP refusals on the page: {errors}"


@pytest.fixture
def check(page):
    """`check(name)`: screenshot, axe-core, labels and no secret in the source of this page."""
    from console import SECRETS

    return lambda name: checks.check_page(page, name, SECRETS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def pytest_terminal_summary(terminalreporter):
    checks.write_axe_report(terminalreporter)
