#!/bin/sh
# compose.yaml's `minio-init` job: the evidence bucket (object lock can only be switched on at
# creation), its default retention, and the bucket-scoped user the app and the worker use.
# Idempotent: safe to run on every `docker compose up`.
set -eu

BUCKET=dosmotr-evidence
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

if ! mc ls "local/$BUCKET" >/dev/null 2>&1; then
  mc mb --with-lock "local/$BUCKET"
fi
# Nobody, root included, can delete or overwrite an evidence object for five years.
mc retention set --default COMPLIANCE 1825d "local/$BUCKET"

# The app's user may read and write objects in this bucket only, and never delete them.
# `policy create` replaces the policy and `user add` resets the secret: both follow the files
# and the environment on every run.
mc admin policy create local dosmotr-app /etc/dosmotr/app-policy.json
mc admin user add local "$MINIO_APP_USER" "$MINIO_APP_PASSWORD"
if ! mc admin user info local "$MINIO_APP_USER" | grep -q "dosmotr-app"; then
  mc admin policy attach local dosmotr-app --user "$MINIO_APP_USER"
fi
echo "bucket $BUCKET ready; app user $MINIO_APP_USER limited to it"
