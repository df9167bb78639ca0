#!/usr/bin/env sh
# Collect what is needed to debug a compose stack, without printing secrets.
set -eu
docker version --format '{{.Server.Version}}'
docker compose version
docker compose ps -a
docker compose logs --tail=200
docker compose config --no-interpolate
