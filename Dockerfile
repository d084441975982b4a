# ingest in a container: `docker build -t ingest:0.1.0 .`
# The build stage compiles the single binary (scripts/compile.ts, the same permissions as every
# release); the runtime stage is a slim Debian with only CA certificates and a non-root user.
# Kubernetes: `ingest schedule print --kubernetes --image ingest:0.1.0` (docs/deployment-kubernetes.md).

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock main.ts ./
COPY src ./src
COPY scripts ./scripts
RUN deno install --frozen --entrypoint main.ts \
 && deno run --allow-read --allow-write --allow-env --allow-run scripts/compile.ts \
 && cp dist/ingest-*-unknown-linux-gnu /ingest \
 && /ingest --version

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 ingest \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin ingest \
 && mkdir -p /data /etc/ingest \
 && chown 10001:10001 /data
COPY --from=build /ingest /usr/local/bin/ingest
USER 10001:10001
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/ingest"]
CMD ["run", "--config", "/etc/ingest/settings.toml"]
