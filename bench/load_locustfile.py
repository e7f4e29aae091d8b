"""The load test's users for locust: agents in the UI, integrations on the API, providers'
webhooks; plus the baseline and the customer-link users. Run by bench/load.py (and its
short version, tests/runtime/test_load_short.py), which builds the world and passes it
in the JSON file named by OPSDESK_LOAD_WORLD:

    .venv/bin/python -m locust -f bench/load_locustfile.py --headless -H http://127.0.0.1:PORT \
        AgentUser ApiUser WebhookUser

Every request has a stable name (`ui ...`, `api ...`, `webhook ...`) that the report
groups by. A request is a failure unless it answers what the product answers when it
did the work: 302/200 for the UI, 201/200 for the API, 200/204 for the webhooks. Each
locust user is one person or system: an agent keeps their own session and works on
their own customers; the webhooks write only for the customers set aside for them, so
the three kinds of traffic do not refuse each other's work by design.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser
from requests.cookies import create_cookie

WORLD: dict[str, Any] = json.loads(
    open(os.environ["OPSDESK_LOAD_WORLD"], encoding="utf-8").read()  # noqa: SIM115
)
_low, _high = (float(x) for x in os.environ.get("OPSDESK_LOAD_WAIT", "0.5,1.5").split(","))
WAIT = between(_low, _high)  # think time between two actions of one user, seconds
# The short version in the tests: every user runs each of its tasks once first, so a
# run of seconds exercises every request type (OPSDESK_LOAD_TOUR=1, `load.py --tour`).
TOUR = os.environ.get("OPSDESK_LOAD_TOUR") == "1"
_agents = itertools.cycle(WORLD["agents"])
TASK_ID = re.compile(r'id="task-h-(tsk_[0-9A-Za-z]+)">([^<]*)</h3>')

GIVEN = ("Ayşe", "Mehmet", "Zeynep", "Çağrı", "Gökhan", "Oliver", "Amelia", "Noah", "Grace")
FAMILY = ("Yılmaz", "Kaya", "Öztürk", "Şahin", "Smith", "O'Brien", "Clarke-Hughes", "Evans")
TR_MOBILE = ("532", "533", "535", "542", "505", "555", "544", "507")
IMMIGRATION_DOCS = ("Passport (all pages)", "Biometric photo", "Residence permit card")
REPLIES = (
    "Merhaba, belgeleri yarın göndereceğim.",
    "Thank you, I will send the documents tomorrow.",
    "Ne zaman arayabilirsiniz?",
    "Can you call me after 3pm?",
)


def _phone(rng: random.Random) -> str:
    return f"+90 {rng.choice(TR_MOBILE)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(GIVEN), rng.choice(FAMILY)


def _tour(user: Any) -> None:
    if TOUR:
        for name in user.TOUR:
            getattr(user, name)()


def _expect(response: Any, *codes: int) -> None:
    if response.status_code not in codes:
        response.failure(f"HTTP {response.status_code}: {response.text[:300]!r}")
    else:
        response.success()


class AgentUser(FastHttpUser):
    """An agent signed in to the UI: the queues, a customer's workspace, and now and then
    a task created and completed there (htmx POSTs with the CSRF token)."""

    weight = 5
    wait_time = WAIT
    TOUR = ("my_tasks", "customer_list", "workspace", "task_round")

    def on_start(self) -> None:
        self.agent = next(_agents)
        self.rng = random.Random()
        self.csrf = uuid.uuid4().hex  # a 32-character CSRF secret; the cookie carries it
        jar = self.client.cookiejar
        host = WORLD["host"]
        jar.set_cookie(create_cookie("sessionid", self.agent["session"], domain=host))
        jar.set_cookie(create_cookie("csrftoken", self.csrf, domain=host))
        _tour(self)

    def _customer(self) -> dict[str, str]:
        return self.rng.choice(self.agent["customers"])

    @task(3)
    def my_tasks(self) -> None:
        with self.client.get("/tasks/", name="ui GET /tasks/", catch_response=True) as r:
            _expect(r, 200)

    @task(1)
    def customer_list(self) -> None:
        with self.client.get("/customers/", name="ui GET /customers/", catch_response=True) as r:
            _expect(r, 200)

    @task(4)
    def workspace(self) -> None:
        c = self._customer()
        with self.client.get(
            f"/customers/{c['id']}/?case={c['case']}",
            name="ui GET /customers/<id>/ (workspace)",
            catch_response=True,
        ) as r:
            _expect(r, 200)

    @task(1)
    def task_round(self) -> None:
        """Create a follow-up task on a case, then complete it, as htmx posts them."""
        c = self._customer()
        base = f"/customers/{c['id']}/cases/{c['case']}"
        title = f"Call back {uuid.uuid4().hex[:10]}"
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf}
        form = {"case": c["case"], "title": title, "priority": "MEDIUM", "due_at": ""}
        with self.client.post(
            f"/customers/{c['id']}/cases/{c['case']}/tasks/",
            data=urlencode(form),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            name="ui POST task new (htmx)",
            catch_response=True,
        ) as r:
            _expect(r, 200)
            found = [tid for tid, shown in TASK_ID.findall(r.text or "") if shown == title]
            if r.status_code == 200 and not found:
                r.failure(f"the new task is not on the page ({base})")
        if r.status_code != 200 or not found:
            return
        with self.client.post(
            f"/customers/{c['id']}/tasks/{found[0]}/complete/",
            data=urlencode({"case": c["case"]}),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            name="ui POST task complete (htmx)",
            catch_response=True,
        ) as r:
            _expect(r, 200)


class ApiUser(FastHttpUser):
    """Integrations: app-web onboardings, concierge requests, a sales channel's orders."""

    weight = 2
    wait_time = WAIT
    TOUR = ("onboarding", "concierge_request", "service_order", "order_status")

    def on_start(self) -> None:
        self.rng = random.Random()
        self.orders: list[str] = []
        _tour(self)

    def _post(self, path: str, token: str, body: dict[str, Any], name: str) -> Any:
        with self.client.post(
            path,
            data=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            name=name,
            catch_response=True,
        ) as r:
            _expect(r, 201)
            return r

    @task(3)
    def onboarding(self) -> None:
        given, family = _name(self.rng)
        service = self.rng.choice(("immigration", "insurance"))
        body: dict[str, Any] = {
            "given_name": given,
            "family_name": family,
            "phone": _phone(self.rng),
            "whatsapp": self.rng.random() < 0.8,
            "email": f"{uuid.uuid4().hex[:12]}@example.com",
            "nationality": self.rng.choice(("TR", "GB", "DE", "")),
            "language": self.rng.choice(("tr", "en")),
            "source": "APP_WEB",
            "fields": {"service_type": service},
        }
        if self.rng.random() < 0.5:
            body["order"] = {"service_type": service, "notes": "Residence permit renewal"}
            body["documents"] = list(IMMIGRATION_DOCS[: self.rng.randint(0, 3)])
        self._post("/api/v1/customers", WORLD["api_token"], body, "api POST /customers")

    @task(1)
    def concierge_request(self) -> None:
        given, family = _name(self.rng)
        departure = dt.date.today() + dt.timedelta(days=self.rng.randint(5, 60))
        body = {
            "playbook": "travel-concierge",
            "channel": self.rng.choice(("PHONE", "WEB")),
            "customer": {
                "given_name": given,
                "family_name": family,
                "phone": _phone(self.rng),
                "email": f"{uuid.uuid4().hex[:12]}@example.com",
                "language": "en",
            },
            "fields": {
                "service_type": self.rng.choice(("airport_transfer", "business_travel")),
                "departure": departure.isoformat(),
                "return_date": (departure + dt.timedelta(days=4)).isoformat(),
                "destinations": "İstanbul Airport → Kadıköy",
            },
            "text": "Two adults, one child seat",
        }
        self._post("/api/v1/requests", WORLD["api_token"], body, "api POST /requests")

    @task(2)
    def service_order(self) -> None:
        given, family = _name(self.rng)
        body = {
            "external_ref": f"LT-{uuid.uuid4().hex[:16]}",
            "given_name": given,
            "family_name": family,
            "phone": _phone(self.rng),
            "whatsapp": self.rng.random() < 0.7,
            "language": "tr",
            "service_type": self.rng.choice(("fiber_install", "modem_swap")),
            "customer_type": "residential",
            "address": "Bağdat Cad. 10, Kadıköy",
            "city": "İstanbul",
            "postcode": "34710",
            "latitude": 40.98,
            "longitude": 29.06,
            "documents": [{"type": "id_card", "valid_until": "2031-03-31"}],
        }
        r = self._post("/api/v1/orders", WORLD["channel_token"], body, "api POST /orders")
        if r.status_code == 201:
            self.orders.append(r.json()["id"])

    @task(1)
    def order_status(self) -> None:
        if not self.orders:
            return
        with self.client.get(
            f"/api/v1/orders/{self.rng.choice(self.orders)}",
            headers={"Authorization": f"Bearer {WORLD['channel_token']}"},
            name="api GET /orders/<id>",
            catch_response=True,
        ) as r:
            _expect(r, 200)


class WebhookUser(FastHttpUser):
    """WhatsApp Cloud and Twilio: customers' messages and delivery reports, signed."""

    weight = 3
    wait_time = WAIT
    TOUR = ("whatsapp_message", "whatsapp_status", "twilio_status", "twilio_sms")

    def on_start(self) -> None:
        self.rng = random.Random()
        _tour(self)

    def _whatsapp(self, value: dict[str, Any], name: str) -> None:
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}
                ],
            }
        ).encode()
        mac = hmac.new(WORLD["whatsapp_secret"].encode(), body, hashlib.sha256).hexdigest()
        with self.client.post(
            "/api/v1/webhooks/whatsapp",
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={mac}"},
            name=name,
            catch_response=True,
        ) as r:
            _expect(r, 200)

    def _twilio(self, path: str, params: dict[str, str], name: str, *codes: int) -> None:
        signed = WORLD["public_url"] + path + "".join(k + params[k] for k in sorted(params))
        digest = hmac.new(WORLD["twilio_token"].encode(), signed.encode(), hashlib.sha1).digest()
        with self.client.post(
            path,
            data=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": base64.b64encode(digest).decode(),
            },
            name=name,
            catch_response=True,
        ) as r:
            _expect(r, *codes)

    def _metadata(self) -> dict[str, Any]:
        return {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}

    @task(3)
    def whatsapp_message(self) -> None:
        phone = self.rng.choice(WORLD["whatsapp_phones"])
        wa_id = phone.lstrip("+")
        self._whatsapp(
            {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "contacts": [{"profile": {"name": "Customer"}, "wa_id": wa_id}],
                "messages": [
                    {
                        "from": wa_id,
                        "id": f"wamid.{uuid.uuid4().hex}",
                        "timestamp": str(int(dt.datetime.now(dt.UTC).timestamp())),
                        "type": "text",
                        "text": {"body": self.rng.choice(REPLIES)},
                    }
                ],
            },
            "webhook WhatsApp inbound message",
        )

    @task(3)
    def whatsapp_status(self) -> None:
        message_id = self.rng.choice(WORLD["whatsapp_messages"])
        self._whatsapp(
            {
                "messaging_product": "whatsapp",
                "metadata": self._metadata(),
                "statuses": [
                    {
                        "id": f"wamid.{message_id}",
                        "status": self.rng.choice(("delivered", "read")),
                        "timestamp": str(int(dt.datetime.now(dt.UTC).timestamp())),
                        "recipient_id": "905321234567",
                        "biz_opaque_callback_data": message_id,
                    }
                ],
            },
            "webhook WhatsApp status",
        )

    @task(2)
    def twilio_status(self) -> None:
        message_id = self.rng.choice(WORLD["sms_messages"])
        sid = "SM" + hashlib.sha256(message_id.encode()).hexdigest()[:32]
        params = {
            "AccountSid": "AC" + "3f7c2a9e1b5d4c8a" * 2,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "MessageStatus": self.rng.choice(("sent", "delivered")),
            "SmsSid": sid,
            "SmsStatus": "delivered",
            "To": "+905321234567",
            "From": "+15005550006",
        }
        path = f"/api/v1/webhooks/twilio/status/{message_id}"
        self._twilio(path, params, "webhook Twilio status", 204)

    @task(1)
    def twilio_sms(self) -> None:
        sid = "SM" + uuid.uuid4().hex
        params = {
            "AccountSid": "AC" + "3f7c2a9e1b5d4c8a" * 2,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "From": self.rng.choice(WORLD["sms_phones"]),
            "To": "+15005550006",
            "Body": self.rng.choice(REPLIES),
            "NumMedia": "0",
            "NumSegments": "1",
        }
        self._twilio("/api/v1/webhooks/twilio/sms", params, "webhook Twilio inbound SMS", 200)


class HealthUser(FastHttpUser):
    """The baseline: the trivial request, at the same concurrency and think time."""

    wait_time = WAIT

    @task
    def healthz(self) -> None:
        with self.client.get("/healthz", name="baseline GET /healthz", catch_response=True) as r:
            _expect(r, 200)


class CustomerLinkUser(FastHttpUser):
    """The customer link page, a public page every request of which the rate limiter
    counts in the database (bench/load.py runs it with the limits on, then off)."""

    wait_time = WAIT

    @task
    def case_page(self) -> None:
        token = random.choice(WORLD["case_links"])
        with self.client.get(
            f"/c/{token}/", name="public GET /c/<token>/ (customer link)", catch_response=True
        ) as r:
            _expect(r, 200)
