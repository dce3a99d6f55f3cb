# The public demo as an image: a plain mirror of the README quick start (`make demo`), served in public mode.
# `make demo` = setup + the demos built behind the served app: the image builds them at build time
# (`make demo-data`), so the same serving command finds nothing to build and only serves.
FROM python:3.11-slim-bookworm
# Debian packages the way the Makefile installs them (make runs the Makefile itself).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends make && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 astrodisc
WORKDIR /app
COPY --chown=astrodisc:astrodisc . /app
USER astrodisc
# The venv, both simulated demo surveys and their artifacts, then the shipped data made read-only: the public
# app reads them and writes only its per-session label databases (under /tmp).
RUN make demo-data && chmod -R a-w data models
ENV ASTRODISC_PUBLIC=1
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4)"]
# What `make demo` runs (Makefile, PORT 8501), in public mode.
CMD [".venv/bin/python", "-m", "astrodisc", "demo", "--serve", "--port", "8501", "--public"]
