# syntax=docker/dockerfile:1
# The fluid-render image: the CLI (build, check, inject) and the in-cluster syncer (`sync`).
# charts/fluid runs it as ghcr.io/fluid-render/fluid-render:<chart appVersion>.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY fluid_render ./fluid_render
COPY charts/alluxio ./charts/alluxio
COPY schemas ./schemas
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[sync]"

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels "fluid-render[sync]" \
    && groupadd --system --gid 10001 fluid-render \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin fluid-render
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["fluid-render"]
CMD ["--help"]
