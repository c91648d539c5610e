# syntax=docker/dockerfile:1
# The Ferry operator and CLI image, for users with Docker. Without Docker, `npm run image`
# (src/tools/build-image.ts, src/image/operator-image.ts) assembles the same image: the same four
# parts (a Debian base of libc6, libgcc-s1 and libstdc++6 unpacked by mmdebstrap; Node 24 at
# /usr/local/bin/node; production node_modules; dist/, crds/, package.json under /app), the same
# user, entrypoint, command, environment, port and labels. It builds it reproducibly (sorted tar
# entries, fixed mtimes and owners, pinned package versions); a Docker build has its own layer
# metadata, so its digest differs even where the files are the same.
#   docker build -t ferry:0.1.0 --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
#   docker run --rm ferry:0.1.0 --help
# Default command: `ferry operator` (in-cluster service account, probes/metrics on :8081).

ARG NODE_IMAGE=node:24-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- base: only what Node's binary links against, unpacked from Debian's packages ---------------
# --variant=extract unpacks the packages without running their scripts: no shell, dpkg or apt in
# the image. Node carries its own CA store and time zone data. The same paths are left out as in
# src/image/debian-base.ts (baseExcluded).
FROM ${DEBIAN_IMAGE} AS base
RUN apt-get update && apt-get install -y --no-install-recommends mmdebstrap \
 && mmdebstrap --variant=extract --include=libc6,libgcc-s1,libstdc++6 bookworm /rootfs \
      "deb http://deb.debian.org/debian bookworm main" \
      "deb http://deb.debian.org/debian bookworm-updates main" \
      "deb http://deb.debian.org/debian-security bookworm-security main" \
 && cd /rootfs \
 && rm -rf dev proc sys run tmp var/cache var/log var/lib/apt var/lib/dpkg etc/apt etc/dpkg \
      etc/resolv.conf etc/hostname etc/hosts etc/fstab etc/machine-id etc/ld.so.cache \
      usr/share/man usr/share/info usr/share/lintian usr/share/locale \
 && find usr/share/doc -mindepth 2 ! -name copyright ! -type d -delete \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > etc/group \
 && printf 'passwd: files\ngroup: files\nhosts: files dns\n' > etc/nsswitch.conf \
 && mkdir -p home/nonroot tmp && chown 65532:65532 home/nonroot && chmod 700 home/nonroot && chmod 1777 tmp

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
FROM scratch AS runtime
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
      dev.ferry.image.base="debian bookworm (mmdebstrap --variant=extract): libc6 libgcc-s1 libstdc++6"
COPY --from=base /rootfs/ /
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# the official image unpacks the Node tarball into /usr/local, its LICENSE at the top
COPY --from=build /usr/local/LICENSE /usr/local/share/doc/node/LICENSE
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production
WORKDIR /app
# Files stay owned by root and read-only to the process: the operator writes nothing to disk
# (the chart mounts the root filesystem read-only, and an emptyDir at /tmp).
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
# --optimize-for-size: src/image/node-flags.ts says why
ENTRYPOINT ["node", "--optimize-for-size", "dist/cli/main.js"]
CMD ["operator"]
