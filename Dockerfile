# Linli web app. Build: docker build -t linli .   Run: docker run -p 8000:8000 --env-file .env linli
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    LINLI_ENV=production LINLI_DATABASE_URL=sqlite:////data/linli.db \
    LINLI_MEDIA_DIR=/data/media

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY store ./store
COPY config ./config
RUN pip install . && useradd --system --home /app linli && mkdir /data && chown linli /data

USER linli
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "linli check-config && linli db upgrade && linli serve --host 0.0.0.0 --port 8000"]
