# syntax=docker/dockerfile:1
# The one Spillway image: `spillway fleet-controller`, `spillway resource-policy-controller`,
# `spillway register-member`. Build: docker build -t ghcr.io/spillway-dev/spillway:0.1.0 .

# Build stage: the full toolchain, dev dependencies included, compiles src/ to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: Node.js, production dependencies and the compiled JavaScript only.
FROM node:20-bookworm-slim
# openssl: the ResourcePolicy controller generates a webhook certificate with it when none is
# mounted (the Helm chart always mounts one).
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# A numeric non-root user, so Pod Security "restricted" (runAsNonRoot) can verify it.
USER 65532:65532
ENTRYPOINT ["node", "dist/src/cli/spillway.js"]
