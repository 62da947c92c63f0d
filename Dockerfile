# One image for every part; docker-compose picks the command (the gateway by default, or
# `node dist/scripts/subgraph.js <name>`). Multi-stage: TypeScript is compiled in `build`; the final
# image holds the compiled JavaScript and production dependencies only, and runs node itself as
# PID 1 (exec form, no npm or tsx in between), so SIGTERM reaches the gateway: it reports
# not-ready for SHUTDOWN_DELAY_MS, drains in-flight requests and signs its closing audit checkpoint.

# Every dependency (the page bundles need React and GraphiQL), then `npm run build` -> dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Production dependencies only.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The supergraph the gateway serves (SUPERGRAPH_PATH, relative to /app).
COPY schema ./schema
# Embedded stores live here (mount a volume to keep them); production passes the audit signing
# key as a file (AUDIT_SIGNING_KEY_FILE), so nothing secret is written into the image.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4000 4001 4002 4003 4004
STOPSIGNAL SIGTERM
CMD ["node", "dist/gateway/src/main.js"]
