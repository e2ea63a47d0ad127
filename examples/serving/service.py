"""Lab 7: a web service (FastAPI) that classifies texts with a saved model: POST /predict, GET /health, GET /model.

Start it from the project root (either command; the model is loaded once, at start-up):

    python examples/serving/service.py --model-dir outputs/blankets_creek-minilm-l6 --port 8000
    MODEL_DIR=outputs/blankets_creek-minilm-l6 uvicorn --app-dir examples/serving service:app --port 8000

Without --model-dir or MODEL_DIR it serves the Lab 4 model (outputs/blankets_creek-minilm-l6). Then:

    curl localhost:8000/health
    curl localhost:8000/model
    curl -X POST localhost:8000/predict -H 'Content-Type: application/json' -d '{"texts": ["Blankets is open!"]}'

Open http://localhost:8000/docs for the interactive API documentation. A request with an empty text, too many
texts or a too long text gets status 422 and a message saying which limit it broke (limits: GET /health).
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from coursekit.errors import CourseError, friendly_errors
from coursekit.inference import DEFAULT_THRESHOLD, DEVICES, Classifier, check_threshold, load_classifier
from coursekit.models import require_model_dir

MODEL_DIR_ENV = "MODEL_DIR"
# Quiet transformers (info logs, the "Loading weights" bar) through its environment variables, which it reads
# when first imported (at start-up): the container image has no `datasets`, which coursekit.logs needs.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@dataclass(frozen=True)
class Limits:
    """What one request may hold. Bounds keep one client from occupying the model for minutes."""

    max_texts: int = 32  # one batch of the pipeline
    max_chars: int = 2000  # a few times the longest trail post; the model reads ~128 tokens anyway


LIMITS = Limits()


class PredictRequest(BaseModel):
    """The body of POST /predict: one text or a list of texts, and optionally a threshold for this request."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"texts": ["Blankets Creek is open!", "Closed after the storm."], "threshold": 0.9}]
        },
    )

    texts: str | list[str] = Field(description=f"one text, or a list of at most {LIMITS.max_texts} texts")
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="confidence below this gives 'needs review' (default: the server's)"
    )

    @field_validator("texts")
    @classmethod
    def check_texts(cls, value: str | list[str]) -> list[str]:
        """Always a list; empty, too many and too long texts are refused with the limit they broke."""
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
        return texts


class PredictionOut(BaseModel):
    """One classified text (see coursekit.inference.Prediction)."""

    text: str
    label: str
    predicted_label: str
    confidence: float
    scores: dict[str, float]


class PredictResponse(BaseModel):
    """The answer of POST /predict: which model answered, with which threshold, one prediction per text."""

    model: str
    threshold: float | None
    predictions: list[PredictionOut]


def find_model_dir(model_dir: str | Path | None = None) -> Path:
    """``model_dir``, else $MODEL_DIR, else the Lab 4 model; a clear CourseError if it is not a saved model."""
    value = model_dir or os.environ.get(MODEL_DIR_ENV)
    if value:
        return require_model_dir(value)
    from coursekit.trained_model import lab4_model_dir

    return lab4_model_dir(train_if_missing=False)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with one short message per problem, without echoing the (possibly huge) input back."""
    problems = [
        {"loc": list(error["loc"]), "msg": error["msg"].removeprefix("Value error, ")} for error in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": problems, "limits": asdict(LIMITS)})


def create_app(
    model_dir: str | Path | None = None, threshold: float | None = DEFAULT_THRESHOLD, device: str | None = None
) -> FastAPI:
    """The FastAPI app; the model is loaded once when the app starts (lifespan), not per request."""
    check_threshold(threshold)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.classifier = load_classifier(find_model_dir(model_dir), device=device)
        app.state.threshold = threshold
        yield

    app = FastAPI(
        title="Trail-status classifier",
        version="1.0",
        lifespan=lifespan,
        description="Classifies texts with a fine-tuned transformer (Lab 7 of the course).",
    )
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
        return {
            "model": classifier(request).model_dir.name,
            "threshold": threshold,
            "predictions": [p.to_dict() for p in predictions],
        }

    return app


# For `uvicorn --app-dir examples/serving service:app`: the model folder is read from $MODEL_DIR at start-up.
app = create_app()


def build_parser() -> argparse.ArgumentParser:
    """All of the script's settings, in one place."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        help=f"model folder (default: ${MODEL_DIR_ENV}, else the Lab 4 model outputs/blankets_creek-minilm-l6)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to accept connections from other machines")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="default confidence threshold for 'needs review' (a request may set its own)",
    )
    parser.add_argument("--device", choices=DEVICES, help="default: the best available")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return parser


@friendly_errors
def main(argv: list[str] | None = None) -> int:
    """Check the model folder, then serve with uvicorn until Ctrl+C."""
    args = build_parser().parse_args(argv)
    model_dir = find_model_dir(args.model_dir)  # fails here, with a clear message, before anything is loaded
    check_threshold(args.threshold)
    if not 0 < args.port < 65536:
        raise CourseError(f"--port must be between 1 and 65535, got {args.port}.")

    import uvicorn

    print(f"serving {model_dir} on http://{args.host}:{args.port} (docs: /docs, stop with Ctrl+C)", flush=True)
    uvicorn.run(
        create_app(model_dir, args.threshold, args.device), host=args.host, port=args.port, log_level=args.log_level
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
