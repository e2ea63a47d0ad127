"""Lesson layer (Lab 8): the FastAPI app that serves a saved classifier: POST /predict, GET /health, GET /model.

    from coursekit.serving import create_app
    app = create_app("outputs/blankets_creek-minilm-l6", threshold=0.9)   # the model loads when the app starts

``examples/serving/service.py`` is the runnable script around it (command line, uvicorn); the Lab 8 notebook and
the tests build the same app with :func:`create_app` and call it through FastAPI's ``TestClient``.

Every request is checked before it reaches the model, and every refusal says which limit it broke:

* 413 for a body over :data:`LIMITS` ``.max_body_bytes``, decided from ``Content-Length`` or while the body
  streams in (:class:`BodySizeLimit`): a 191 MB upload is refused after one megabyte, never read or parsed whole;
* 422 for a body that is not what :class:`PredictRequest` describes: too many, empty, too long or invalid texts
  (a lone surrogate such as ``"\\ud800"`` is not text a tokenizer can read), and a threshold that is not a
  number between 0 and 1 (``"0.5"`` and ``true`` are refused: strict types, no silent conversion).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coursekit.feedback_log import RotatingLog, model_version, prediction_log_from_env, prediction_record
from coursekit.inference import DEFAULT_THRESHOLD, Classifier, check_threshold, invalid_character, load_backend
from coursekit.models import require_model_dir

MODEL_DIR_ENV = "MODEL_DIR"


@dataclass(frozen=True)
class Limits:
    """What one request may hold. Bounds keep one client from occupying the model (or the memory) for minutes."""

    max_texts: int = 32  # one batch of the pipeline
    max_chars: int = 2000  # a few times the longest trail post; the model reads ~128 tokens anyway
    # The largest valid request is 32 texts of 2,000 characters, each written as a 12-byte JSON escape
    # ("\ud83d\ude00" for one emoji): 768,000 bytes plus the brackets. A mebibyte holds it with room to spare.
    max_body_bytes: int = 1024 * 1024


LIMITS = Limits()


class PredictRequest(BaseModel):
    """The body of POST /predict: one text or a list of texts, and optionally a threshold for this request.

    Strict types: ``"0.5"`` or ``true`` as a threshold, or a number as a text, is an error, not a guess.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"texts": ["Blankets Creek is open!", "Closed after the storm."], "threshold": 0.9}]
        },
    )

    texts: StrictStr | list[StrictStr] = Field(description=f"one text, or a list of at most {LIMITS.max_texts} texts")
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        strict=True,
        allow_inf_nan=False,
        description="confidence below this gives 'needs review' (default: the server's)",
    )

    @field_validator("texts")
    @classmethod
    def check_texts(cls, value: str | list[str]) -> list[str]:
        """Always a list; empty, too many, too long and invalid texts are refused with the limit they broke."""
        texts = [value] if isinstance(value, str) else value
        if not texts:
            raise ValueError("give at least one text")
        if len(texts) > LIMITS.max_texts:
            raise ValueError(
                f"too many texts: {len(texts)}; at most {LIMITS.max_texts} per request, "
                "split them over several requests"
            )
        for number, text in enumerate(texts, start=1):
            if not text.strip():
                raise ValueError(f"text {number} is empty")
            if len(text) > LIMITS.max_chars:
                raise ValueError(f"text {number} has {len(text)} characters; at most {LIMITS.max_chars} allowed")
            problem = invalid_character(text)
            if problem:
                raise ValueError(f"text {number} {problem}")
        return texts


class PredictionOut(BaseModel):
    """One classified text (see coursekit.inference.Prediction)."""

    text: str
    label: str
    predicted_label: str
    confidence: float
    scores: dict[str, float]


class MultiLabelPredictionOut(PredictionOut):
    """One text classified by a multi-label model (Lab 5b): every label at or above its own threshold is on, so
    ``labels`` may hold none, one or several (see coursekit.inference.MultiLabelPrediction)."""

    labels: list[str]
    thresholds: dict[str, float]


class PredictResponse(BaseModel):
    """The answer of POST /predict: which model answered, with which threshold, one prediction per text."""

    model: str
    threshold: float | None
    # A multi-label model's predictions carry `labels` and `thresholds` (tried first: the most fields that fit).
    predictions: list[MultiLabelPredictionOut | PredictionOut]


def find_model_dir(model_dir: str | Path | None = None) -> Path:
    """``model_dir``, else $MODEL_DIR, else the Lab 4 model; a clear CourseError if it is not a saved model."""
    value = model_dir or os.environ.get(MODEL_DIR_ENV)
    if value:
        return require_model_dir(value)
    from coursekit.trained_model import lab4_model_dir

    return lab4_model_dir(train_if_missing=False)


def printable(value: Any) -> Any:
    """``value`` with lone surrogates written as ``\\udXXX`` escapes: they cannot be encoded into a response."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with one short message per problem, without echoing the (possibly huge) input back."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "loc": [printable(part) for part in error["loc"]],
            "msg": printable(error["msg"]).removeprefix("Value error, "),
        }
        for error in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": problems, "limits": asdict(LIMITS)})


class BodySizeLimit:
    """ASGI middleware: refuse a request body over ``max_bytes`` with 413 before the app reads or parses it.

    A declared ``Content-Length`` over the limit is refused before a byte of the body is read; a body without
    one (chunked) is read only up to the limit. A body within the limit is handed on to the app unchanged.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = LIMITS.max_body_bytes) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the body of an HTTP request, then pass the request on (or answer 413 / 400 itself)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self.refuse(send, 400, "the Content-Length header is not a number")
                return
            if int(declared) > self.max_bytes:
                await self.refuse(send, 413, f"the request body is {int(declared):,} bytes; {self.allowed()}")
                return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self.refuse(send, 413, f"the request body is over {self.max_bytes:,} bytes; {self.allowed()}")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, self.replay(b"".join(chunks), receive), send)

    def allowed(self) -> str:
        """The end of a 413 message: the limit and what to do."""
        return (
            f"at most {self.max_bytes:,} bytes are allowed (at most {LIMITS.max_texts} texts of "
            f"{LIMITS.max_chars:,} characters): split the texts over several requests"
        )

    @staticmethod
    def replay(body: bytes, receive: Receive) -> Receive:
        """A ``receive`` that gives the app the body already read, then waits on the client as before."""
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replayed

    @staticmethod
    async def refuse(send: Send, status: int, message: str) -> None:
        """Answer with ``status`` and ``{"detail": message, "limits": ...}`` without calling the app."""
        body = json.dumps({"detail": message, "limits": asdict(LIMITS)}).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        # Connection: close, since the rest of an oversized body is never read from this connection.
        await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def create_app(
    model_dir: str | Path | None = None,
    threshold: float | None = DEFAULT_THRESHOLD,
    device: str | None = None,
    *,  # the later options by name only: a positional backend once landed in prediction_log
    prediction_log: RotatingLog | None = None,
    backend: str = "pytorch",
) -> FastAPI:
    """The FastAPI app; the model is loaded once when the app starts (lifespan), not per request.

    Every prediction served is appended to ``prediction_log`` (default: ``$COURSE_PREDICTION_LOG``, else none).
    ``backend`` (Lab 11): ``pytorch``, or ``onnx`` / ``onnx-int8`` for the run's exported ONNX graph.
    """
    check_threshold(threshold)
    log = prediction_log or prediction_log_from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.classifier = load_backend(find_model_dir(model_dir), backend, device=device)
        app.state.threshold = threshold
        yield

    app = FastAPI(
        title="Trail-status classifier",
        version="1.0",
        lifespan=lifespan,
        description="Classifies texts with a fine-tuned transformer (Lab 8 of the course).",
    )
    app.add_middleware(BodySizeLimit, max_bytes=LIMITS.max_body_bytes)
    app.add_exception_handler(RequestValidationError, validation_error)

    def classifier(request: Request) -> Classifier:
        return request.app.state.classifier

    @app.get("/health")
    def health(request: Request) -> dict:
        """Liveness: the model is loaded and the service answers; also the request limits."""
        return {"status": "ok", "model": classifier(request).model_dir.name, "limits": asdict(LIMITS)}

    @app.get("/model")
    def model(request: Request) -> dict:
        """Which model answers: name, labels, its test metrics from metrics.json, default threshold, limits."""
        info = classifier(request).model_info()
        info.pop("training_config")  # holds the server's file paths: not for clients
        return {**info, "threshold": request.app.state.threshold, "limits": asdict(LIMITS)}

    # A plain `def` (not `async def`): FastAPI runs it in a thread pool, so a slow batch does not block
    # /health or other requests; the Classifier makes concurrent calls take turns on the model.
    @app.post("/predict", response_model=PredictResponse)
    def predict(body: PredictRequest, request: Request) -> dict:
        """Classify one text or a list; confidence below the threshold gives the label 'needs review'."""
        threshold = body.threshold if body.threshold is not None else request.app.state.threshold
        predictions = classifier(request).predict(body.texts, threshold=threshold)
        if log is not None:
            version = model_version(classifier(request).model_dir)
            log.append_many(prediction_record(p, version, "service", threshold) for p in predictions)
        return {
            "model": classifier(request).model_dir.name,
            "threshold": threshold,
            "predictions": [p.to_dict() for p in predictions],
        }

    return app
