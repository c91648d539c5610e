# syntax=docker/dockerfile:1
# The Ferry operator and CLI image.
#   docker build -t ferry:0.1.0 --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
#   docker run --rm ferry:0.1.0 --help
# Default command: `ferry operator` (in-cluster service account, probes/metrics on :8081).

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, compile TypeScript to dist/ ----------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `npm install` honours the lock file; `npm ci` (npm 11) refuses it because npm leaves other
# platforms' optional bindings of unrs-resolver (a jest dependency) out of the lock.
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- production dependencies only (no compiler, no test tools) -----------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm install --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="ferry" \
      org.opencontainers.image.description="Ferry operator and CLI: deliver multi-component applications to offline Kubernetes clusters and keep them upgradable there" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Ferry" \
      org.opencontainers.image.base.name="docker.io/library/${NODE_IMAGE}"
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root and read-only to the process: the operator writes nothing to disk
# (the chart mounts the root filesystem read-only).
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# package.json marks dist/ as ES modules ("type": "module"); crds/ for `kubectl apply` from the image.
COPY package.json ./
COPY crds ./crds
# 65532: the conventional "nonroot" UID/GID (distroless), matched by the chart's securityContext.
USER 65532:65532
EXPOSE 8081
# Node runs as PID 1 without an init on purpose: `ferry operator` installs SIGTERM/SIGINT handlers
# (src/cli/commands/operator.ts) that stop the workers, release the leader Lease and exit, so the
# kernel's PID-1 default of ignoring unhandled signals does not matter; it spawns no child processes,
# so there are no zombies to reap (what tini would add). For interactive CLI use (`docker run -it
# ferry bundle ...`), where Ctrl-C should stop a command that installs no handler, add `--init`.
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["operator"]
