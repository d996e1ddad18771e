# syntax=docker/dockerfile:1
# One image for all Accrual services; docker-compose.yml picks the service with `command`:
#   node dist/apps/api/src/main.js | node dist/apps/projector/src/main.js | node dist/apps/relay/src/main.js
#
#   docker build -t accrual .

# ---- build: all dependencies, compile TypeScript to dist/ ------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code and production dependencies only ---------------------------------
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# ACCRUAL_DATA_DIR defaults to ./.accrual: make it writable for the unprivileged user.
RUN mkdir -p /app/.accrual && chown node:node /app/.accrual
USER node
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
