# One image for every part; docker-compose picks the command (npm run gateway / npm run subgraph -- <name>).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Embedded data and the generated audit signing key live here (mount a volume to keep them).
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4000 4001 4002 4003 4004
CMD ["npm", "run", "gateway"]
