# liqx-sandbox: `docker build -t liqx-sandbox . && docker run -p 8080:8080 -v sandbox-data:/data liqx-sandbox`
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY sandbox ./sandbox
RUN pip install --no-cache-dir .
ENV SANDBOX_HOST=0.0.0.0 \
    SANDBOX_PORT=8080 \
    SANDBOX_DB=/data/sandbox.db
VOLUME ["/data"]
EXPOSE 8080
CMD ["sandbox", "serve"]
