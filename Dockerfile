# zhanbu service image: Node 20 + system GDAL; gdal-async is compiled against it.
FROM node:20-bookworm

# libgdal-dev/gdal-bin: GDAL for gdal-async and ogr2ogr; zip/unzip: shapefile archives;
# postgresql-client: psql/pg_isready used by scripts/setup.sh. (The full node image
# already has python3, make and g++ for node-gyp.)
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgdal-dev gdal-bin zip unzip postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Build gdal-async from source against the system GDAL: no prebuilt-binary
# download, no bundled GDAL (which takes hours). Node headers come from the image.
ENV npm_config_build_from_source=true \
    npm_config_shared_gdal=true \
    npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && node -e "const g=require('gdal-async'); if (g.bundled) throw new Error('gdal-async was built with its bundled GDAL'); console.log('gdal-async uses system GDAL', g.version)"

COPY . .
# The web workspace, served by the service at / (the set-up step would build it too).
RUN npm run -s build:web

ENV HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000
# Applies migrations, imports the demo county (a no-op when already imported), starts the service.
CMD ["bash", "scripts/demo.sh"]
