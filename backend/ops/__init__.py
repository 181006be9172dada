"""Operations: the HTTP edge (request ids, security headers), health, metrics, logs, OpenAPI."""
