"""What a failed login records about the attempted account (the audit log keeps it)."""

from __future__ import annotations

from pacai.identity.users import email_subject as failed_login_subject


def test_an_address_is_kept_in_clear_normalized() -> None:
    assert failed_login_subject("  Alice@Example.COM ") == "email:alice@example.com"


def test_anything_else_is_kept_only_as_a_hash() -> None:
    # A user who typed the password into the email field must not find it in the audit log.
    subject = failed_login_subject("correct horse battery staple")
    assert subject.startswith("email:sha256:") and "horse" not in subject
    assert subject == failed_login_subject("correct horse battery staple")  # stable: floods can be grouped
    assert failed_login_subject("a\x00b@c.d").startswith("email:sha256:")
