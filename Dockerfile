# syntax=docker/dockerfile:1
# Mast's image: `docker build -t mast:dev .` (make e2e-kind does this; manifests/deployment.yaml
# runs mast:dev). The build stage compiles; the runtime stage has production dependencies only.

# ---- build: dev dependencies, proto types, tsc ------------------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: `prepare` would run the build before the sources are copied in.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY proto/gen-types.js proto/roots.js proto/
COPY src/ src/
COPY examples/app/ examples/app/
# gen:proto writes proto/gen/ from the .proto files under node_modules/@grpc/grpc-js-xds/deps;
# tsc writes dist/.
RUN npm run build
# The sample app (examples/app/echo.ts) is not part of dist/; compile it on its own so the kind
# sample (examples/kind/) can run it from this image with plain `node`.
RUN npx tsc --target ES2022 --module commonjs --moduleResolution node --esModuleInterop \
      --skipLibCheck --types node --rootDir examples --outDir build/examples examples/app/echo.ts

# ---- runtime: production dependencies, compiled output ----------------------------------------
FROM node:22-bookworm-slim
ENV NODE_ENV=production
# glibc gives a freed response buffer (up to 2 MB each, one per response in flight) back to the
# kernel only if it was mmapped; its default threshold climbs past them after the first is freed,
# and RSS then stays at the sync's peak. Pinned, peak RSS at 500 sidecars fell 534 -> 490 MiB and
# RSS after the sync 519 -> 350 MiB (README, "Memory"). glibc reads it at process start only.
ENV MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only; --ignore-scripts because `prepare` runs tsc (a dev dependency).
# @grpc/grpc-js-xds is one of them and brings deps/ (envoy-api, xds, googleapis,
# protoc-gen-validate): the .proto files src/envoy-api/protos.ts loads at start.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin/ bin/
# proto/roots.js names those .proto files; src/paths.ts finds the package root as the folder
# with package.json and proto/.
COPY proto/roots.js proto/
COPY --from=build /src/dist/ dist/
COPY --from=build /src/build/examples/ examples/
# Fail the build, not the Pod, if the runtime tree misses anything the server loads at start.
RUN node -e "const r = require('./proto/roots.js'); const fs = require('node:fs'); \
      for (const d of r.includeDirs) if (!fs.existsSync(d)) throw new Error('missing ' + d); \
      require('./dist/src/envoy-api/protos.js').resourceTypes();" \
 && node bin/mast.js serve --help >/dev/null \
 && test -f examples/app/echo.js
# Non-root, with the uid manifests/deployment.yaml runs as (runAsUser: 10001).
RUN groupadd --system --gid 10001 mast && useradd --system --uid 10001 --gid mast --no-create-home mast
USER 10001:10001
EXPOSE 15010 15012 15014 15017
ENTRYPOINT ["node", "/app/bin/mast.js"]
# Listen on every address so the Services reach the Pod; the Deployment passes its own args.
CMD ["serve", "--in-cluster", "--xds-address=0.0.0.0:15010", "--admin-address=0.0.0.0:15014"]
