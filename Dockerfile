# syntax=docker/dockerfile:1
# Multi-stage image: dependencies and build in one stage, a slim runtime with
# production dependencies only in the other. At run time it needs the
# production variables of .env.example: DATABASE_URL (with sslmode), APP_ORIGIN,
# SESSION_SECRET, TWO_FACTOR_ENCRYPTION_KEY and SMTP_URL. The embedded
# database is for development and is not used here.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV PRISMA_QUERY_ENGINE_LIBRARY=/dev/null \
    PRISMA_SCHEMA_ENGINE_BINARY=/dev/null
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY scripts ./scripts
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    DOKODO_SKIP_BUILD=1 \
    PORT=3000 \
    PRISMA_QUERY_ENGINE_LIBRARY=/dev/null \
    PRISMA_SCHEMA_ENGINE_BINARY=/dev/null
COPY --from=build --chown=node:node /app/package.json /app/prisma.config.ts ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/build ./build
COPY --from=build --chown=node:node /app/public ./public
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/scripts ./scripts
COPY --from=build --chown=node:node /app/server ./server
COPY --from=build --chown=node:node /app/app ./app
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npm", "start"]
