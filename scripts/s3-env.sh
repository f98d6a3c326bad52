#!/usr/bin/env bash
# Print `export` lines for the local S3 test server (scripts/s3-start.sh).
# Usage:  eval "$(scripts/s3-env.sh)"
set -euo pipefail

PORT="${S3_TEST_PORT:-7070}"
BUCKET="${S3_TEST_BUCKET:-records-test}"
ACCESS_KEY="${S3_TEST_ACCESS_KEY:-testaccess}"
SECRET_KEY="${S3_TEST_SECRET_KEY:-testsecret123}"

emit() { printf 'export %s=%q\n' "$1" "$2"; }

emit AWS_STORAGE_BUCKET_NAME "$BUCKET"
emit AWS_S3_ENDPOINT_URL "http://127.0.0.1:$PORT"
emit AWS_ACCESS_KEY_ID "$ACCESS_KEY"
emit AWS_SECRET_ACCESS_KEY "$SECRET_KEY"
emit AWS_S3_REGION_NAME "us-east-1"
# Not read by boto3 itself; meant for django-storages settings
# (AWS_S3_SIGNATURE_VERSION / AWS_S3_ADDRESSING_STYLE). With a custom
# endpoint botocore presigns URLs with SigV2 unless told s3v4, and versitygw
# rejects SigV2 ("Please use AWS4-HMAC-SHA256").
emit AWS_S3_SIGNATURE_VERSION "s3v4"
emit AWS_S3_ADDRESSING_STYLE "path"
