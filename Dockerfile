# liqx-sandbox: `docker build -t liqx-sandbox . && docker run -p 8080:8080 -v sandbox-data:/data liqx-sandbox`
# Bound to 0.0.0.0 in the container, so the control API needs SANDBOX_ADMIN_TOKEN and webhooks go
# only to SANDBOX_WEBHOOK_ALLOW (default: loopback and the private ranges; see the README).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY sandbox ./sandbox
RUN pip install --no-cache-dir ".[postgres]" \
 && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sandbox \
 && mkdir -p /data && chown sandbox:sandbox /data
ENV SANDBOX_HOST=0.0.0.0 \
    SANDBOX_PORT=8080 \
    SANDBOX_DB=/data/sandbox.db
# The database volume is created from /data, so it starts owned by the unprivileged user.
VOLUME ["/data"]
USER sandbox
EXPOSE 8080
# /_sandbox/health needs no admin token; python is in the image, curl is not.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/_sandbox/health' % os.environ.get('SANDBOX_PORT', '8080'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
CMD ["sandbox", "serve"]
