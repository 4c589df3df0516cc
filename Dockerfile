# Sheepdog relay image. Two stages: build with dev dependencies (TypeScript),
# then run on a slim Node image with production dependencies only, as the
# unprivileged `node` user.
#   docker build -t sheepdog:local .
#   docker run -p 5000:5000 -e HOLYSHEEP_API_KEY=... sheepdog:local
#   docker run -p 5001:5001 sheepdog:local simulate --host 0.0.0.0   # the upstream simulator
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 5000
# Slim images have no curl or wget: Node's own fetch checks the liveness endpoint.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--enable-source-maps", "dist/cli/main.js"]
CMD ["start"]
