# Somos production image: the ASGI site (uvicorn), and the same image runs Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 somos

WORKDIR /app
# The runtime lock only: no test, lint or benchmark tools (those are in requirements-dev.txt).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=somos:somos . .

# collectstatic needs production-shaped settings, not real services: nothing connects here.
RUN DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    SECRET_KEY=collectstatic-only-build-time-key-0123456789abcdefghijklmnop \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

# The media volume (uploads waiting for a worker, exports) takes this owner when first mounted.
RUN mkdir -p /data/media && chown somos:somos /data/media

USER somos
EXPOSE 8000
# Two worker processes per core. Each serves several requests at once from its thread pool
# (somos_site/http_handler.py); 2, 3 and 4 measured alike on the annotate bench
# (bench/README.md, "Annotate path"). Set for 2 cores. Live progress goes out uncompressed:
# compressing each message again for every viewer cost more CPU than all the rest of delivering
# it (bench/README.md, "Load mix").
ENV WEB_CONCURRENCY=4
CMD ["uvicorn", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--loop", "uvloop", \
     "--http", "httptools", "--no-access-log", "--timeout-keep-alive", "75", \
     "--ws-per-message-deflate", "false", "somos_site.asgi:application"]
