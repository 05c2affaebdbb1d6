"""What a clerk reads on a needs_attention case: a consumer's own refusal as written; for any other failure
only its kind, since an exception's text may quote stored values (personal data stays out)."""

from shared.runtime import is_case_id, visible_reason


def test_a_consumers_refusal_is_shown_as_written():
    assert visible_reason("poison: no policy for county 140311 on 2023-03-02") == (
        "no policy for county 140311 on 2023-03-02"
    )


def test_a_handler_crash_shows_only_the_kind_of_error():
    reason = visible_reason(
        "handler failed: IntegrityError('duplicate key (id_number)=(140302198001011234)')"
    )
    assert "IntegrityError" in reason and "140302198001011234" not in reason and "replay" in reason


def test_an_unreadable_payload_says_so_without_quoting_it():
    reason = visible_reason("invalid payload: 1 validation error ... input_value='张小明'")
    assert "invalid payload" in reason and "张小明" not in reason


def test_only_an_event_about_a_case_is_marked_on_a_case():
    assert is_case_id("7b2e4651-fc1d-4c36-9a57-6bf6f2e55116")
    assert not is_case_id("policy-coverage") and not is_case_id("CR-1234") and not is_case_id(None)
