FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CPO_HOST=0.0.0.0 \
    CPO_PORT=8000 \
    CPO_LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cpo ./cpo
COPY api ./api
COPY ocpp_bridge ./ocpp_bridge
COPY payments ./payments
COPY mail ./mail
COPY roaming ./roaming
COPY i18n ./i18n
RUN pip install . && useradd --system --uid 10001 cpo
USER cpo

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"
CMD ["cpo", "run"]
