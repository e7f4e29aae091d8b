from __future__ import annotations

import pytest
from django.http import QueryDict

from opsdesk.comms.adapters.twilio_signature import compute_signature, verify_signature
from tests.fakes.twilio import signed_callback

TOKEN = "12345"
# The worked example of https://www.twilio.com/docs/usage/webhooks/webhooks-security.
DOCS_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOCS_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
DOCS_SIGNATURE = "GvWf1cFY/Q7PnoempGyD5oXAezc="
# twilio-python's tests/unit/test_request_validator.py: same URL, other numbers.
LIB_PARAMS = {**DOCS_PARAMS, "Caller": "+14158675309", "From": "+14158675309"}
LIB_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_documented_example() -> None:
    assert compute_signature(DOCS_URL, DOCS_PARAMS, TOKEN) == DOCS_SIGNATURE
    assert verify_signature(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE, TOKEN) is True


def test_earlier_documented_example_with_other_numbers() -> None:
    params = {**DOCS_PARAMS, "Caller": "+12349013030", "From": "+12349013030"}

    assert compute_signature(DOCS_URL, params, TOKEN) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    # The same fields posted to another host sign differently.
    assert (
        compute_signature("https://example.com/myapp.php?foo=1&bar=2", params, TOKEN)
        == "vNe7KK2kJwCsxc9K3OLkkKB3qqI="
    )


def test_twilio_python_vectors() -> None:
    assert compute_signature(DOCS_URL, LIB_PARAMS, TOKEN) == LIB_SIGNATURE


def test_parameter_order_does_not_matter() -> None:
    reordered = dict(reversed(list(DOCS_PARAMS.items())))

    assert compute_signature(DOCS_URL, reordered, TOKEN) == DOCS_SIGNATURE


def test_repeated_fields_sign_every_value_sorted() -> None:
    # twilio-python's duplicate-parameter vector.
    params = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234"]}

    assert compute_signature(DOCS_URL, params, TOKEN) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_query_dict_is_read_with_all_its_values() -> None:
    form = QueryDict("Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234")

    assert compute_signature(DOCS_URL, form, TOKEN) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert verify_signature(DOCS_URL, form, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", TOKEN) is True


def test_no_params_signs_the_url_alone() -> None:
    # A GET callback: only the URL (with its query) is signed.
    assert compute_signature(DOCS_URL, {}, TOKEN) == "zYQTYrRWXE7LtzbG4PfP7/bkkGo="
    assert verify_signature(DOCS_URL, {}, "zYQTYrRWXE7LtzbG4PfP7/bkkGo=", TOKEN) is True


@pytest.mark.parametrize(
    "params",
    [
        {**DOCS_PARAMS, "Digits": "1235"},
        {**DOCS_PARAMS, "Extra": "x"},
        {k: v for k, v in DOCS_PARAMS.items() if k != "Digits"},
        {**DOCS_PARAMS, "digits": DOCS_PARAMS["Digits"]},
    ],
    ids=["changed-value", "added-field", "removed-field", "renamed-field"],
)
def test_tampered_params_fail(params: dict[str, str]) -> None:
    assert verify_signature(DOCS_URL, params, DOCS_SIGNATURE, TOKEN) is False


@pytest.mark.parametrize(
    "url",
    [
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        "https://mycompany.com/myapp.php?bar=2&foo=1",
        "https://mycompany.com/myapp.php",
        "http://mycompany.com/myapp.php?foo=1&bar=2",
        "https://evil.example/myapp.php?foo=1&bar=2",
        "https://mycompany.com/other.php?foo=1&bar=2",
    ],
)
def test_tampered_url_fails(url: str) -> None:
    assert verify_signature(url, DOCS_PARAMS, DOCS_SIGNATURE, TOKEN) is False


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, TOKEN),
        ("", TOKEN),
        (DOCS_SIGNATURE, ""),
        (DOCS_SIGNATURE, "54321"),
        (DOCS_SIGNATURE[:-1], TOKEN),
        ("GvWf1cFY/Q7PnoempGyD5oXAezC=", TOKEN),
        ("ğ" + DOCS_SIGNATURE, TOKEN),
    ],
    ids=["missing", "empty", "no-token", "other-token", "truncated", "case", "non-ascii"],
)
def test_bad_header_or_token_fails(header: str | None, token: str) -> None:
    assert verify_signature(DOCS_URL, DOCS_PARAMS, header, token) is False


def test_empty_token_fails_even_for_a_signature_made_with_it() -> None:
    made_with_empty = compute_signature(DOCS_URL, DOCS_PARAMS, "")

    assert verify_signature(DOCS_URL, DOCS_PARAMS, made_with_empty, "") is False


@pytest.mark.parametrize(
    ("requested", "signed_over", "signature"),
    [
        # twilio-python's port vectors: Twilio signs with or without the port.
        ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", DOCS_URL, LIB_SIGNATURE),
        (
            DOCS_URL,
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            "kvajT1Ptam85bY51eRf/AJRuM3w=",
        ),
        (
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "http://mycompany.com:80/myapp.php?foo=1&bar=2",
            "0ZXoZLH/DfblKGATFgpif+LLRf4=",
        ),
        (
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
        ),
        ("https://mycompany.com:443/myapp.php?foo=1&bar=2", DOCS_URL, LIB_SIGNATURE),
    ],
)
def test_signature_with_or_without_port(requested: str, signed_over: str, signature: str) -> None:
    assert compute_signature(signed_over, LIB_PARAMS, TOKEN) == signature

    assert verify_signature(requested, LIB_PARAMS, signature, TOKEN) is True


def test_other_port_fails() -> None:
    signed_on_8443 = compute_signature("https://mycompany.com:8443/x", DOCS_PARAMS, TOKEN)

    assert (
        verify_signature("https://mycompany.com:9443/x", DOCS_PARAMS, signed_on_8443, TOKEN)
        is False
    )


def test_malformed_port_fails_cleanly() -> None:
    assert (
        verify_signature("https://mycompany.com:99999/x", DOCS_PARAMS, DOCS_SIGNATURE, TOKEN)
        is False
    )


def test_json_body_callbacks_are_refused() -> None:
    # Twilio signs JSON-body webhooks over the URL alone, with the body's hash in
    # bodySHA256: accepting the URL's signature would leave the body unchecked.
    url = DOCS_URL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    signature = compute_signature(url, {}, TOKEN)

    assert signature == "a9nBmqA0ju/hNViExpshrM61xv4="  # twilio-python's body vector
    assert verify_signature(url, {}, signature, TOKEN) is False


def test_unicode_values_sign_as_utf8() -> None:
    params = {"SpeechResult": "Evet, onaylıyorum", "CallSid": "CA" + "0" * 32}
    headers = signed_callback("https://ops.example.com/hook", params, "tok")

    assert verify_signature(
        "https://ops.example.com/hook", params, headers["X-Twilio-Signature"], "tok"
    )


def test_fake_signed_callback_matches_the_documented_example() -> None:
    assert signed_callback(DOCS_URL, DOCS_PARAMS, TOKEN) == {"X-Twilio-Signature": DOCS_SIGNATURE}
