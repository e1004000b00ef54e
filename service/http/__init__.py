"""The HTTP layer: the FastAPI application (``service.http.app.create_app``), its routes, request
models, problem details, access control and the LibreTranslate and DeepL dialects. What a client
sees of a result is built by ``service.views`` from ``service.responses``, shared with the CLI and
batch."""
