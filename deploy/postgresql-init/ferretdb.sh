#!/bin/sh
# Run by the postgres image on the first start of an empty data volume
# (docker-entrypoint-initdb.d): the role and database FerretDB keeps the
# read model in under docker-compose.yml's ferretdb profile. Without that
# profile they stay empty and unused.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$FERRETDB_DB_PASSWORD" --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE ferretdb LOGIN PASSWORD :'pw';
CREATE DATABASE ferretdb OWNER ferretdb;
SQL
