# syntax=docker/dockerfile:1
# Stage 1 builds the wheel (the Rust core in release mode, the Python shell around it);
# stage 2 installs only that wheel into a slim Python image and runs it as a non-root user
# (the entrypoint drops root after giving the mounted data volume to that user).
# scripts/prove-runtime.sh exercises the runtime stage without a Docker engine.

FROM rust:1.85-slim-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3=3.11.2-1+b1 python3-venv=3.11.2-1+b1 python3-dev=3.11.2-1+b1 \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/build && /opt/build/bin/pip install --no-cache-dir "maturin>=1.9,<2"
WORKDIR /src
COPY Cargo.toml Cargo.lock pyproject.toml README.md ./
COPY rust ./rust
COPY python ./python
RUN /opt/build/bin/maturin build --release --locked --out /wheels --interpreter python3

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PACAI_ENV=production \
    PORT=8080 \
    PACAI_DATA_DIR=/data \
    PACAI_USER=pacai
RUN groupadd --system --gid 10001 pacai \
 && useradd --system --uid 10001 --gid pacai --home-dir /home/pacai --create-home --shell /usr/sbin/nologin pacai \
 && mkdir -p /data \
 && chown pacai:pacai /data
COPY --from=builder /wheels /tmp/wheels
# With the Sentry extra, so that setting SENTRY_DSN is all it takes to report errors. The wheel
# is the one just built (its name carries its version), which DL3013 cannot see through $wheel.
# hadolint ignore=DL3013
RUN wheel=$(ls /tmp/wheels/pacai-*.whl) && pip install --no-compile "${wheel}[sentry]" && rm -rf /tmp/wheels
COPY --chmod=755 scripts/docker-entrypoint.sh /usr/local/bin/pacai-entrypoint
WORKDIR /home/pacai
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/v5/health' % os.environ.get('PORT', '8080'), timeout=4).status == 200 else 1)"]
ENTRYPOINT ["pacai-entrypoint"]
CMD ["pacai", "serve"]
