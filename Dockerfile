# vit on Node 24: `docker build -t vit .`, then `docker run --rm vit classify ...` or
# `docker run --rm -e VIT_REDIS_URL vit worker --weights /models/model.safetensors` (README
# "Scaling out"). No weights in the image: mount them (or a hub cache) as a volume.
FROM node:24-bookworm-slim
WORKDIR /app
# `npm ci` builds dist/ (TypeScript and the WebAssembly kernels) in its prepare step, so the
# sources come in first; the lockfile pins every dependency (sharp brings its own libvips).
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json asconfig.json asconfig.test.json ./
COPY assembly ./assembly
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
COPY labels ./labels
COPY fixtures/models ./fixtures/models
# The build's tools (TypeScript, AssemblyScript) stay in the image: untested here, a second stage
# that copies dist/ and runs `npm ci --omit=dev --ignore-scripts` would leave them out.
RUN npm ci && npm cache clean --force
USER node
ENTRYPOINT ["node", "bin/vit.js"]
CMD ["--help"]
