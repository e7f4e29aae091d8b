from __future__ import annotations

import base64
import re
import socket
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from opsdesk.comms.adapters.base import (
    OutboundMessage,
    PermanentError,
    RetryableError,
    SendResult,
)
from opsdesk.comms.adapters.twilio import TwilioSmsAdapter, TwilioVoiceAdapter
from opsdesk.comms.adapters.twiml import confirmation_twiml
from tests.fakes.twilio import Created, FakeTwilio

PUBLIC = "https://ops.example.com"
SID = re.compile(r"(SM|CA)[0-9a-f]{32}")
ALL_EVENTS = [("StatusCallbackEvent", e) for e in ("initiated", "ringing", "answered", "completed")]


@pytest.fixture
def twilio_server() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def sms(twilio_server: FakeTwilio) -> Iterator[TwilioSmsAdapter]:
    adapter = TwilioSmsAdapter(
        twilio_server.account_sid,
        twilio_server.auth_token,
        twilio_server.from_number,
        api_base=twilio_server.url,
        timeout=2.0,
    )
    yield adapter
    adapter.close()


@pytest.fixture
def voice(twilio_server: FakeTwilio) -> Iterator[TwilioVoiceAdapter]:
    adapter = TwilioVoiceAdapter(
        twilio_server.account_sid,
        twilio_server.auth_token,
        twilio_server.from_number,
        PUBLIC,
        api_base=twilio_server.url,
        timeout=2.0,
    )
    yield adapter
    adapter.close()


def _sms(**overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "idempotency_key": "msg_abc123",
        "channel": "SMS",
        "to": "+905551234567",
        "body": "Teknisyeniniz yarın 14:00'te geliyor. Ayrıntılar: https://ops.example.com/x?a=1&b=2",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def _call(**overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "idempotency_key": "msg_call42",
        "channel": "VOICE",
        "to": "+905551234567",
        "body": "Your technician comes tomorrow at 14:00.",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


# --- SMS ----------------------------------------------------------------------


def test_sms_has_exact_wire_shape(sms: TwilioSmsAdapter, twilio_server: FakeTwilio) -> None:
    result = sms.send(_sms())

    assert twilio_server.requests == [
        Created(
            "Messages",
            result.provider_message_id,
            [
                ("To", "+905551234567"),
                ("From", "+908505550000"),
                ("Body", _sms().body),
            ],
        )
    ]
    (request,) = twilio_server.received
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages.json"
    credentials = f"{twilio_server.account_sid}:{twilio_server.auth_token}".encode()
    assert request.headers["authorization"] == "Basic " + base64.b64encode(credentials).decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert SID.fullmatch(result.provider_message_id)
    assert result.provider_message_id.startswith("SM")
    assert result == SendResult(provider_message_id=result.provider_message_id, delivered=False)


def test_sms_asks_for_status_callbacks_when_public(twilio_server: FakeTwilio) -> None:
    adapter = TwilioSmsAdapter(
        twilio_server.account_sid,
        twilio_server.auth_token,
        twilio_server.from_number,
        api_base=twilio_server.url,
        callback_base=PUBLIC + "/",
    )

    adapter.send(_sms())
    adapter.close()

    (created,) = twilio_server.requests
    assert created.params[-1] == (
        "StatusCallback",
        "https://ops.example.com/api/v1/webhooks/twilio/status/msg_abc123",
    )


def test_each_sms_gets_its_own_sid(sms: TwilioSmsAdapter, twilio_server: FakeTwilio) -> None:
    first = sms.send(_sms(idempotency_key="msg_1"))
    second = sms.send(_sms(idempotency_key="msg_2"))

    assert first.provider_message_id != second.provider_message_id
    assert [c.sid for c in twilio_server.requests] == [
        first.provider_message_id,
        second.provider_message_id,
    ]


def test_sms_answer_is_twilio_shaped(twilio_server: FakeTwilio) -> None:
    response = _post(twilio_server, twilio_server.messages_url, _GOOD_SMS)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued"
    assert body["direction"] == "outbound-api"
    assert (body["to"], body["from"], body["body"]) == ("+905551234567", "+908505550000", "hi")
    assert body["num_segments"] == "1"
    assert body["uri"] == (
        f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages/{body['sid']}.json"
    )


# --- voice --------------------------------------------------------------------


def test_call_has_exact_wire_shape(voice: TwilioVoiceAdapter, twilio_server: FakeTwilio) -> None:
    result = voice.send(_call())

    assert twilio_server.requests == [
        Created(
            "Calls",
            result.provider_message_id,
            [
                ("To", "+905551234567"),
                ("From", "+908505550000"),
                ("Url", "https://ops.example.com/api/v1/webhooks/twilio/voice/msg_call42"),
                (
                    "StatusCallback",
                    "https://ops.example.com/api/v1/webhooks/twilio/status/msg_call42",
                ),
                *ALL_EVENTS,
                ("Timeout", "30"),
            ],
        )
    ]
    (request,) = twilio_server.received
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Calls.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert result.provider_message_id.startswith("CA")
    assert SID.fullmatch(result.provider_message_id)


def test_call_answer_is_twilio_shaped(voice: TwilioVoiceAdapter, twilio_server: FakeTwilio) -> None:
    response = _post(twilio_server, twilio_server.calls_url, _GOOD_CALL)

    body = response.json()
    assert response.status_code == 201
    assert (body["status"], body["direction"]) == ("queued", "outbound-api")
    assert body["sid"].startswith("CA") and len(body["sid"]) == 34


def test_call_with_inline_twiml(twilio_server: FakeTwilio) -> None:
    adapter = TwilioVoiceAdapter(
        twilio_server.account_sid,
        twilio_server.auth_token,
        twilio_server.from_number,
        PUBLIC,
        api_base=twilio_server.url,
        ring_timeout=45,
        inline_twiml=True,
    )

    adapter.send(_call(language="tr", body="Randevunuz yarın <14:00> & sonra."))
    adapter.close()

    (created,) = twilio_server.requests
    voice_url = "https://ops.example.com/api/v1/webhooks/twilio/voice/msg_call42"
    expected = confirmation_twiml("tr", "Randevunuz yarın <14:00> & sonra.", voice_url)
    assert created.params == [
        ("To", "+905551234567"),
        ("From", "+908505550000"),
        ("Twiml", expected),
        ("StatusCallback", "https://ops.example.com/api/v1/webhooks/twilio/status/msg_call42"),
        *ALL_EVENTS,
        ("Timeout", "45"),
    ]
    assert created.get("Url") is None


def test_inline_twiml_over_twilios_limit_is_refused_locally(twilio_server: FakeTwilio) -> None:
    adapter = TwilioVoiceAdapter(
        "AC1", "t", "+908505550000", PUBLIC, api_base=twilio_server.url, inline_twiml=True
    )

    with pytest.raises(PermanentError, match="at most 4000"):
        adapter.send(_call(body="x" * 4000))
    adapter.close()

    assert twilio_server.received == []


def test_idempotency_key_is_quoted_in_webhook_urls(
    voice: TwilioVoiceAdapter, twilio_server: FakeTwilio
) -> None:
    voice.send(_call(idempotency_key="msg_a/b?c"))

    (created,) = twilio_server.requests
    assert created.get("Url") == (
        "https://ops.example.com/api/v1/webhooks/twilio/voice/msg_a%2Fb%3Fc"
    )


@pytest.mark.parametrize("base", ["", "ops.example.com", "/relative", "ftp://ops.example.com"])
def test_voice_needs_an_absolute_callback_base(base: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        TwilioVoiceAdapter("AC1", "t", "+908505550000", base)


# --- errors -------------------------------------------------------------------


def test_server_error_is_retryable(sms: TwilioSmsAdapter, twilio_server: FakeTwilio) -> None:
    twilio_server.fail_next(status=500)

    with pytest.raises(RetryableError) as caught:
        sms.send(_sms())

    assert caught.value.retryable is True
    assert caught.value.code == "20500"
    assert caught.value.retry_after is None
    assert caught.value.message == (
        "Twilio HTTP 500 error 20500: Internal Server Error "
        "(https://www.twilio.com/docs/errors/20500)"
    )
    assert twilio_server.requests == []
    # The failure is consumed: the retry goes through.
    assert sms.send(_sms()).provider_message_id.startswith("SM")
    assert len(twilio_server.requests) == 1


def test_rate_limit_is_retryable_with_retry_after(
    voice: TwilioVoiceAdapter, twilio_server: FakeTwilio
) -> None:
    twilio_server.fail_next(status=429, retry_after=30)

    with pytest.raises(RetryableError) as caught:
        voice.send(_call())

    assert caught.value.code == "20429"
    assert caught.value.retry_after == 30.0
    assert twilio_server.requests == []


def test_rate_limit_code_is_retryable_whatever_the_status(
    sms: TwilioSmsAdapter, twilio_server: FakeTwilio
) -> None:
    twilio_server.fail_next(status=400, code=20429, message="Too Many Requests")

    with pytest.raises(RetryableError) as caught:
        sms.send(_sms())

    assert caught.value.code == "20429"


def test_unavailable_is_retryable(sms: TwilioSmsAdapter, twilio_server: FakeTwilio) -> None:
    twilio_server.fail_next(status=503, retry_after="7")

    with pytest.raises(RetryableError) as caught:
        sms.send(_sms())

    assert (caught.value.code, caught.value.retry_after) == ("20503", 7.0)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "Invalid 'To' Phone Number"),
        (21610, "Attempt to send to unsubscribed recipient"),
        (
            21408,
            "Permission to send an SMS has not been enabled for the region of the 'To' number",
        ),
        (21614, "'To' number is not a valid mobile number"),
    ],
)
def test_refusals_are_permanent_with_code(
    sms: TwilioSmsAdapter, twilio_server: FakeTwilio, code: int, message: str
) -> None:
    twilio_server.fail_next(status=400, code=code, message=message)

    with pytest.raises(PermanentError) as caught:
        sms.send(_sms())

    assert caught.value.retryable is False
    assert caught.value.code == str(code)
    assert caught.value.message == (
        f"Twilio HTTP 400 error {code}: {message} (https://www.twilio.com/docs/errors/{code})"
    )
    assert caught.value.retry_after is None
    assert twilio_server.requests == []


def test_region_not_enabled_on_a_call_is_permanent(
    voice: TwilioVoiceAdapter, twilio_server: FakeTwilio
) -> None:
    twilio_server.fail_next(
        status=400, code=21215, message="Geo Permission configuration is not permitting call"
    )

    with pytest.raises(PermanentError) as caught:
        voice.send(_call())

    assert caught.value.code == "21215"


def test_bad_token_is_permanent(twilio_server: FakeTwilio) -> None:
    adapter = TwilioSmsAdapter(
        twilio_server.account_sid, "expired-token", "+908505550000", api_base=twilio_server.url
    )

    with pytest.raises(PermanentError) as caught:
        adapter.send(_sms())
    adapter.close()

    assert caught.value.code == "20003"
    assert caught.value.message == (
        "Twilio HTTP 401 error 20003: Authenticate (https://www.twilio.com/docs/errors/20003)"
    )
    assert "expired-token" not in str(caught.value)
    assert len(twilio_server.received) == 1
    assert twilio_server.requests == []


def test_real_validation_errors_reach_the_adapter(twilio_server: FakeTwilio) -> None:
    # The fake, not fail_next, refuses a From this account does not own.
    adapter = TwilioSmsAdapter(
        twilio_server.account_sid,
        twilio_server.auth_token,
        "+15005550006",
        api_base=twilio_server.url,
    )

    with pytest.raises(PermanentError) as caught:
        adapter.send(_sms())
    adapter.close()

    assert caught.value.code == "21606"


def test_timeout_is_retryable(twilio_server: FakeTwilio) -> None:
    adapter = TwilioVoiceAdapter(
        twilio_server.account_sid,
        twilio_server.auth_token,
        twilio_server.from_number,
        PUBLIC,
        api_base=twilio_server.url,
        timeout=0.2,
    )
    twilio_server.delay_next(2.0)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_call())
    adapter.close()

    assert caught.value.code == ""
    assert "Timeout" in caught.value.message


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:  # grab a free port, then close it so nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = TwilioSmsAdapter("AC1", "t", "+1", api_base=f"http://127.0.0.1:{port}", timeout=1.0)

    with pytest.raises(RetryableError):
        adapter.send(_sms())
    adapter.close()


def test_non_json_gateway_error_is_retryable() -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Retry-After": "5"})

    client = httpx.Client(transport=httpx.MockTransport(gateway))
    adapter = TwilioSmsAdapter("AC1", "t", "+1", client=client)

    with pytest.raises(RetryableError) as caught:
        adapter.send(_sms())

    assert caught.value.code == ""
    assert caught.value.message == "Twilio HTTP 502"
    assert caught.value.retry_after == 5.0


def test_success_without_sid_is_permanent_not_retried() -> None:
    calls: list[httpx.Request] = []

    def odd(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(201, json={"status": "queued"})

    client = httpx.Client(transport=httpx.MockTransport(odd))
    adapter = TwilioVoiceAdapter("AC1", "t", "+1", PUBLIC, client=client)

    with pytest.raises(PermanentError, match="without a sid"):
        adapter.send(_call())
    assert len(calls) == 1
    assert str(calls[0].url) == "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json"


@pytest.mark.parametrize(
    "message",
    [
        _sms(to=""),
        _sms(to="905551234567"),
        _sms(to="+90 555 123 4567"),
        _sms(to="+0905551234567"),
        _sms(to="ayse@example.com"),
        _sms(body="   "),
        _sms(body="x" * 1601),
        _sms(channel="VOICE"),
    ],
    ids=["no-recipient", "no-plus", "spaces", "leading-zero", "email", "empty", "long", "voice"],
)
def test_sms_refuses_locally_without_calling_twilio(
    sms: TwilioSmsAdapter, twilio_server: FakeTwilio, message: OutboundMessage
) -> None:
    with pytest.raises(PermanentError):
        sms.send(message)

    assert twilio_server.received == []


def test_sms_of_1600_characters_is_sent(sms: TwilioSmsAdapter, twilio_server: FakeTwilio) -> None:
    sms.send(_sms(body="x" * 1600))

    assert twilio_server.requests[0].get("Body") == "x" * 1600


@pytest.mark.parametrize(
    "message",
    [_call(to="+9"), _call(to="05551234567"), _call(body=""), _call(channel="SMS")],
    ids=["short", "national", "empty", "sms"],
)
def test_call_refuses_locally_without_calling_twilio(
    voice: TwilioVoiceAdapter, twilio_server: FakeTwilio, message: OutboundMessage
) -> None:
    with pytest.raises(PermanentError):
        voice.send(message)

    assert twilio_server.received == []


def test_reuses_one_connection_across_sends(
    sms: TwilioSmsAdapter, twilio_server: FakeTwilio
) -> None:
    sms.send(_sms())
    sms.send(_sms())

    first, second = twilio_server.received
    assert first.client_port == second.client_port


# --- the fake itself ----------------------------------------------------------


Form = dict[str, str] | list[tuple[str, str]]


def _post(
    server: FakeTwilio, url: str, form: Form, *, auth: tuple[str, str] | None = None
) -> httpx.Response:
    """POST `form` as Twilio's clients do; a list of pairs can repeat names."""
    credentials = auth or (server.account_sid, server.auth_token)
    content = urlencode(list(form.items()) if isinstance(form, dict) else form)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return httpx.post(url, content=content, headers=headers, auth=credentials)


_GOOD_SMS = {"To": "+905551234567", "From": "+908505550000", "Body": "hi"}
_GOOD_CALL = {"To": "+905551234567", "From": "+908505550000", "Url": "https://ops.example.com/v"}


def _without(form: dict[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in form.items() if k != key}


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (_without(_GOOD_SMS, "To"), 21604),
        ({**_GOOD_SMS, "To": "905551234567"}, 21211),
        ({**_GOOD_SMS, "To": "+90 555"}, 21211),
        (_without(_GOOD_SMS, "From"), 21603),
        ({**_GOOD_SMS, "From": "+15005550006"}, 21606),
        (_without(_GOOD_SMS, "Body"), 21602),
        ({**_GOOD_SMS, "Body": ""}, 21602),
        ({**_GOOD_SMS, "Body": "x" * 1601}, 21617),
        ({**_GOOD_SMS, "StatusCallback": "/relative"}, 21609),
        ({**_GOOD_SMS, "body": "typo"}, 20001),
        ([*_GOOD_SMS.items(), ("Body", "again")], 20001),
    ],
)
def test_fake_rejects_malformed_messages(twilio_server: FakeTwilio, form: Form, code: int) -> None:
    response = _post(twilio_server, twilio_server.messages_url, form)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert (body["code"], body["status"]) == (code, 400)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert twilio_server.requests == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (_without(_GOOD_CALL, "To"), 21201),
        ({**_GOOD_CALL, "To": "+1"}, 21211),
        (_without(_GOOD_CALL, "From"), 21213),
        ({**_GOOD_CALL, "From": "+15005550006"}, 21210),
        (_without(_GOOD_CALL, "Url"), 21200),
        ({**_GOOD_CALL, "Twiml": "<Response/>"}, 21200),
        ({**_GOOD_CALL, "Url": "voice.xml"}, 21205),
        ({**_without(_GOOD_CALL, "Url"), "Twiml": "<Response><Say>x</Response>"}, 12100),
        ({**_without(_GOOD_CALL, "Url"), "Twiml": "<Say>x</Say>"}, 12100),
        ({**_GOOD_CALL, "StatusCallback": "status"}, 21609),
        ([*_GOOD_CALL.items(), ("StatusCallbackEvent", "picked-up")], 21200),
        ({**_GOOD_CALL, "Timeout": "0"}, 21200),
        ({**_GOOD_CALL, "Timeout": "ten"}, 21200),
        ({**_GOOD_CALL, "MachineDetection": "Enable"}, 20001),
    ],
)
def test_fake_rejects_malformed_calls(twilio_server: FakeTwilio, form: Form, code: int) -> None:
    response = _post(twilio_server, twilio_server.calls_url, form)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert twilio_server.requests == []


@pytest.mark.parametrize(
    "form",
    [
        _GOOD_CALL,
        {**_without(_GOOD_CALL, "Url"), "Twiml": "<Response><Say>Merhaba</Say></Response>"},
        [*_GOOD_CALL.items(), *ALL_EVENTS, ("Timeout", "600")],
    ],
    ids=["url", "twiml", "events"],
)
def test_fake_accepts_well_formed_calls(twilio_server: FakeTwilio, form: Form) -> None:
    response = _post(twilio_server, twilio_server.calls_url, form)

    assert response.status_code == 201
    assert [c.resource for c in twilio_server.requests] == ["Calls"]


def test_fake_rejects_json_wrong_route_method_and_auth(twilio_server: FakeTwilio) -> None:
    good = (twilio_server.account_sid, twilio_server.auth_token)
    url = twilio_server.messages_url

    as_json = httpx.post(url, json=_GOOD_SMS, auth=good)
    other_account = httpx.post(
        url.replace(twilio_server.account_sid, "AC" + "0" * 32), data=_GOOD_SMS, auth=good
    )
    other_resource = httpx.post(url.replace("Messages", "Faxes"), data=_GOOD_SMS, auth=good)
    listing = httpx.get(url, auth=good)
    no_auth = httpx.post(url, data=_GOOD_SMS)
    bad_auth = _post(twilio_server, url, _GOOD_SMS, auth=(twilio_server.account_sid, "nope"))

    replies = [as_json, other_account, other_resource, listing, no_auth, bad_auth]
    assert [(r.status_code, r.json()["code"]) for r in replies] == [
        (400, 21604),  # Twilio reads only form bodies
        (404, 20404),
        (404, 20404),
        (405, 20004),
        (401, 20003),
        (401, 20003),
    ]
    assert len(twilio_server.received) == 6
    assert twilio_server.requests == []


def test_fake_clear_forgets_everything(twilio_server: FakeTwilio) -> None:
    _post(twilio_server, twilio_server.messages_url, _GOOD_SMS)
    twilio_server.fail_next(status=500, count=3)

    twilio_server.clear()

    assert twilio_server.requests == []
    assert twilio_server.received == []
    assert _post(twilio_server, twilio_server.messages_url, _GOOD_SMS).status_code == 201
