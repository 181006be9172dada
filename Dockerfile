# The Dosmotr image used by compose.yaml for the API and the worker.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY media_pipeline ./media_pipeline
COPY models ./models
COPY pwa ./pwa
RUN pip install --no-cache-dir . && useradd --system dosmotr && mkdir -p /var/lib/dosmotr \
    && chown dosmotr /var/lib/dosmotr
USER dosmotr
EXPOSE 8000
CMD ["dosmotr", "serve"]
