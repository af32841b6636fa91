"""Optional Sentry error tracking: loaded only when SENTRY_DSN is set."""

from __future__ import annotations

from pacai.settings import Settings


def init_sentry(settings: Settings, release: str) -> bool:
    """Starts sentry-sdk with its Litestar integration; returns False (importing nothing) without a DSN."""
    if not settings.sentry.dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.litestar import LitestarIntegration

    sentry_sdk.init(
        dsn=settings.sentry.dsn,
        environment=settings.env,
        release=f"pacai@{release}",
        traces_sample_rate=settings.sentry.traces_sample_rate,
        send_default_pii=False,
        integrations=[LitestarIntegration()],
        # Request bodies may hold passwords; headers are scrubbed by send_default_pii=False.
        max_request_body_size="never",
    )
    return True
