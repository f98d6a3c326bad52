"""gunicorn settings of the web service (docker/compose.yaml, Dockerfile).

timeout: a request running longer than this is killed (the user gets an error). Everything the web tier
waits for must give up well before: Elasticsearch after ELASTICSEARCH_TIMEOUT (default 5 s, at most 10,
at most 4 requests per search: 40 s), the S3 server after its client timeouts. Keep timeout above that.
"""
bind = "0.0.0.0:8000"
workers = 3
timeout = 60
graceful_timeout = 30
