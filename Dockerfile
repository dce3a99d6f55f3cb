# A plain mirror of the README quick start (`make demo`): same venv, same requirements, same demo build.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
# `make demo` = setup + demo-data + serve; the image builds the first two and serves at run time.
RUN make demo-data
EXPOSE 8501
CMD ["make", "demo"]
