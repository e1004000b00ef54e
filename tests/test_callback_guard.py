"""Job callbacks cannot reach inside: every address class is refused (IPv4, IPv6, IPv4 inside IPv6,
local names), at submission (400 problem) and at each delivery after resolution, on the very
address connected to (DNS rebinding); the operator's allowlist opens only what it names; no
redirect is followed; a client reads only delivered / failed."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from service.jobs.callback_guard import CallbackGuard, CallbackRefused, refusal
from service.jobs.webhook import deliver
from tests.test_jobs import NDJSON, SECRET, Receiver, make_client, wait_finished

INSIDE = {
    "127.0.0.1": "loopback", "127.5.6.7": "loopback", "::1": "loopback",
    "10.0.0.1": "private", "172.16.0.1": "private", "192.168.1.1": "private", "fd12:3456::1": "private",
    "fc00::1": "private",
    "169.254.169.254": "link-local", "fe80::1": "link-local",
    "100.64.0.1": "carrier-grade NAT", "100.127.255.254": "carrier-grade NAT",
    "224.0.0.1": "multicast", "239.255.255.250": "multicast", "ff02::1": "multicast",
    "240.0.0.1": "reserved", "255.255.255.255": "reserved",
    "0.0.0.0": "unspecified", "::": "unspecified",
    "192.0.2.10": "private", "198.18.0.1": "private", "2001:db8::1": "private",
    "fec0::1": "site-local",
    "::ffff:127.0.0.1": "loopback", "::ffff:10.0.0.1": "private", "::ffff:169.254.169.254": "link-local",
    "::127.0.0.1": "loopback", "2002:7f00:1::1": "loopback", "64:ff9b::a9fe:a9fe": "link-local",
}
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:5db8:d822::1"]


@pytest.mark.parametrize("address", list(INSIDE))
def test_each_inside_address_class_is_refused(address: str) -> None:
    why = refusal(ipaddress.ip_address(address))
    assert why is not None and INSIDE[address] in why, (address, why)
    guard = CallbackGuard()
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(CallbackRefused, match="may not go to"):
        guard.check(f"http://{host}:8080/hook")
    with pytest.raises(CallbackRefused):  # a name that resolves there
        CallbackGuard(resolve=lambda h, p: [address]).check("https://hooks.example.com/x")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None
    assert CallbackGuard(resolve=lambda h, p: [address]).check("https://hooks.example.com/x") == [address]


@pytest.mark.parametrize("url", ["http://localhost:8080/", "http://LOCALHOST./x", "http://api.localhost/",
                                 "http://localhost.localdomain/", "http://ip6-localhost/", "http://ip6-loopback/"])
def test_localhost_like_names_are_refused_whatever_they_resolve_to(url: str) -> None:
    with pytest.raises(CallbackRefused, match="local name"):
        CallbackGuard(resolve=lambda h, p: ["93.184.216.34"]).check(url)


def test_a_hostname_resolving_to_loopback_is_refused_and_named() -> None:
    seen: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        seen.append((host, port))
        return ["127.0.0.1"]

    with pytest.raises(CallbackRefused, match=r"'hooks\.example\.com' resolves to 127\.0\.0\.1, a loopback"):
        CallbackGuard(resolve=resolve).check("https://hooks.example.com/x")
    assert seen == [("hooks.example.com", 443)]
    with pytest.raises(CallbackRefused, match=r"10\.0\.0\.7"):  # one inside record among public ones is enough
        CallbackGuard(resolve=lambda h, p: ["93.184.216.34", "10.0.0.7"]).check("https://hooks.example.com/")


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/", "http://017700000001/"])
def test_numeric_spellings_of_loopback_are_caught_by_the_system_resolver(url: str) -> None:
    with pytest.raises(CallbackRefused, match=r"127\.0\.0\.1"):
        CallbackGuard().check(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "http:///x", "http://user:pw@example.com/",
                                 "gopher://example.com/", "http://[::1/"])
def test_malformed_or_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(CallbackRefused):
        CallbackGuard(resolve=lambda h, p: ["93.184.216.34"]).check(url)


def test_the_allowlist_opens_only_what_it_names() -> None:
    guard = CallbackGuard(["127.0.0.1", "10.1.0.0/16", "fd00::/8"], resolve=lambda h, p: ["10.1.2.3"])
    assert guard.check("http://127.0.0.1:9000/hook") == ["127.0.0.1"]
    assert guard.check("http://receiver.internal/hook") == ["10.1.2.3"]
    assert guard.check("http://[fd00::5]/") == ["fd00::5"]
    assert guard.check("http://[::ffff:10.1.9.9]/") == ["::ffff:a01:909"]  # the mapped form of an allowed one
    for url in ("http://127.0.0.2/", "http://10.2.0.1/", "http://[::1]/", "http://169.254.169.254/"):
        with pytest.raises(CallbackRefused):
            guard.check(url)


# -- delivery -------------------------------------------------------------------------------------
@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver([])
    yield r
    r.close()


def test_delivery_checks_again_and_sends_nothing_inside(receiver: Receiver) -> None:
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    guard = CallbackGuard(resolve=lambda h, p: ["127.0.0.1"])  # the name now resolves to loopback
    result = deliver(f"http://hooks.example.com:{port}/hook", SECRET, "msg_1", "{}", attempts=3, backoff_s=0,
                     guard=guard)
    assert result == "failed" and receiver.calls == []


def test_delivery_connects_to_the_checked_address_with_the_name_as_host(receiver: Receiver) -> None:
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    guard = CallbackGuard(["127.0.0.1"], resolve=lambda h, p: ["127.0.0.1"])
    assert deliver(f"http://receiver.test:{port}/hook", SECRET, "msg_2", "{}", attempts=1, backoff_s=0,
                   guard=guard) == "delivered"
    assert len(receiver.calls) == 1 and receiver.calls[0][0]["Host"] == f"receiver.test:{port}"


def test_no_redirect_is_followed(receiver: Receiver) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", receiver.url)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        assert deliver(url, SECRET, "msg_3", "{}", attempts=2, backoff_s=0,
                       guard=CallbackGuard(["127.0.0.1"])) == "failed"
        assert receiver.calls == []
    finally:
        server.shutdown()
        server.server_close()


# -- through the API -------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/hook", "http://[::1]:{port}/hook", "http://10.0.0.1/hook",
                                 "http://169.254.169.254/latest/meta-data/", "http://localhost:{port}/hook",
                                 "http://[::ffff:127.0.0.1]:{port}/hook"])
def test_a_job_with_an_inside_callback_is_refused_with_a_problem(url: str, receiver: Receiver, tmp_path: Path,
                                                                  model_dir: Path) -> None:
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    with make_client(tmp_path, model_dir, webhook_secret=SECRET) as client:
        r = client.post("/v1/jobs", content=b'{"id": "1", "text": "Granica"}\n', headers=NDJSON,
                        params={"callback_url": url.format(port=port)})
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/callback_url_refused") and "NEWSBRIDGE_WEBHOOK_ALLOW" in r.json()["detail"]
        assert not any((tmp_path / "jobs").glob("*/input.jsonl"))  # no job kept
    assert receiver.calls == []


def test_a_name_that_rebinds_inside_after_submission_gets_nothing(receiver: Receiver, tmp_path: Path,
                                                                   model_dir: Path) -> None:
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    answers = iter([["93.184.216.34"]])  # public when submitted, loopback ever after

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers, ["127.0.0.1"])

    with make_client(tmp_path, model_dir, webhook_secret=SECRET) as client:
        client.app.state.newsbridge.running.jobs.guard = CallbackGuard(resolve=rebinding)
        r = client.post("/v1/jobs", content=b'{"id": "1", "text": "Granica"}\n', headers=NDJSON,
                        params={"callback_url": f"http://rebind.example:{port}/hook"})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert wait_finished(client, job_id)["state"] == "succeeded"
        deadline = time.monotonic() + 30
        while (status := client.get(f"/v1/jobs/{job_id}").json())["webhook"] == "pending":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert status["webhook"] == "failed"  # and nothing more: not what was refused, nor why
    assert receiver.calls == []


def test_an_allowed_receiver_gets_its_callback_and_the_status_says_delivered(receiver: Receiver, tmp_path: Path,
                                                                              model_dir: Path) -> None:
    with make_client(tmp_path, model_dir, webhook_secret=SECRET, webhook_allow=["127.0.0.0/8"]) as client:
        job_id = client.post("/v1/jobs", content=b'{"id": "1", "text": "Granica"}\n', headers=NDJSON,
                             params={"callback_url": receiver.url}).json()["id"]
        assert wait_finished(client, job_id)["state"] == "succeeded"
        deadline = time.monotonic() + 30
        while (status := client.get(f"/v1/jobs/{job_id}").json())["webhook"] == "pending":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert status["webhook"] == "delivered" and len(receiver.calls) == 1


def test_the_allowlist_setting_is_checked_at_start() -> None:
    from pydantic import ValidationError

    from service.settings import Settings

    assert Settings(webhook_allow="127.0.0.1, 10.1.0.0/16").webhook_allow == ["127.0.0.1", "10.1.0.0/16"]
    with pytest.raises(ValidationError, match="not an address or network"):
        Settings(webhook_allow="receiver.internal")


def test_client_is_only_told_delivered_or_failed(tmp_path: Path, model_dir: Path) -> None:
    with make_client(tmp_path, model_dir, webhook_secret=SECRET, job_workers=0) as client:
        job_id = client.post("/v1/jobs", content=b'{"id": "1", "text": "Granica"}\n', headers=NDJSON).json()["id"]
        store = client.app.state.newsbridge.running.jobs.store
        store.set_webhook(job_id, "failed: ConnectError: [Errno 111] Connection refused")  # as older versions wrote
        assert client.get(f"/v1/jobs/{job_id}").json()["webhook"] == "failed"  # an old row's detail stays inside
