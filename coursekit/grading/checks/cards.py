"""Instructor tools layer (the grader, Labs 1-9).

Check types of Labs 7-9: model cards, manifests, label maps, portable paths, prediction records.
"""

from __future__ import annotations

from coursekit.errors import brief
from coursekit.grading.checks.files import ROW_LIST_LIMIT, FileProblem, parse_jsonl
from coursekit.grading.checks.registry import Context, Outcome, check, verdict
from coursekit.grading.checks.rules import json_items, json_lookup, json_object, parse_number
from coursekit.lessons.card_checks import (
    REQUIRED_METRICS,
    FrontMatter,
    metadata_problems,
    metric_mismatches,
    model_index_values,
    section_problems,
    split_front_matter,
    table_values,
)
from coursekit.lessons.publish_checks import (
    label_problems,
    local_path_problems,
    manifest_coverage_problems,
    manifest_format_problems,
    manifest_hash_problems,
)


def read_model_card(ctx: Context, name: str) -> FrontMatter:
    """A hand-in model card split into metadata and body, once per submission (Lab 9)."""

    return ctx.files.memo(("model_card", name), lambda: split_front_matter(ctx.files.text(name), name))


@check(
    "model_card_metadata",
    required=("file",),
    files=("file",),
    fields=(
        "`file`, `required_keys`, `equals` (key → value), `sections` (heading → minimum words), `max_words` "
        "(heading → maximum)"
    ),
    summary=(
        "a model card's YAML metadata parses and has the keys (only checked when `required_keys`/`equals` are "
        "given); each section exists (any heading level, any case) with enough words"
    ),
)
def check_model_card_metadata(check: dict, ctx: Context) -> Outcome:
    """A model card's YAML metadata parses and has ``required_keys`` (and ``equals`` values); its Markdown has
    each of ``sections`` (heading -> minimum words, optional ``max_words``)."""

    name = check["file"]
    front = read_model_card(ctx, name)
    problems = []
    if check.get("required_keys") or check.get("equals"):
        problems += (
            metadata_problems(front.metadata, check.get("required_keys", []), check.get("equals"), name)
            if front.metadata is not None
            else [front.problem or f"{name}: no metadata block."]
        )
    problems += section_problems(front.body, check.get("sections", {}), name, check.get("max_words"))
    parts = ([f"{len(check.get('required_keys', []))} metadata keys"] if check.get("required_keys") else []) + (
        [f"sections {', '.join(check['sections'])}"] if check.get("sections") else []
    )
    return verdict(check, problems, f"{name}: {' and '.join(parts)} present.")


@check(
    "model_card_metrics",
    required=("card_file", "metrics_file", "source"),
    files=("card_file", "metrics_file"),
    fields=(
        "`card_file`, `metrics_file`, `metrics_key` (default `test`), `source` (`model-index` or `table`), "
        "`required`, `tolerance` | every metric of the card's `model-index` (`type` + `config` → `f1_macro`) or of "
        "its rows ``| `metric`"
    ),
    summary="value |`` equals the metrics file; the `required` ones are reported",
)
def check_model_card_metrics(check: dict, ctx: Context) -> Outcome:
    """A model card's numbers equal the metrics JSON's ``metrics_key`` object: ``source: model-index`` reads the
    YAML metadata, ``source: table`` the rows ``| `metric` | value |``; ``required`` metrics must be reported."""

    card, metrics_file, source = check["card_file"], check["metrics_file"], check["source"]
    front = read_model_card(ctx, card)
    found, test = json_lookup(json_object(ctx, metrics_file), check.get("metrics_key", "test"))
    if not found or not isinstance(test, dict):
        return Outcome(
            0, f"{metrics_file}: no object {brief(check.get('metrics_key', 'test'))} holding the test metrics."
        )
    if source == "table":
        claimed, where = table_values(front.body), f"{card} evaluation table"
    elif front.metadata is None:
        return Outcome(0, front.problem or f"{card}: no metadata block.")
    else:
        claimed, index_problems = model_index_values(front.metadata, card)
        if index_problems:
            return Outcome(0, index_problems[0], index_problems[1:])
        where = f"{card} model-index"
    problems = metric_mismatches(
        claimed, test, where, check.get("required", REQUIRED_METRICS), check.get("tolerance", 1e-4)
    )
    matched = sorted(set(claimed) & set(test))
    return verdict(check, problems, f"{where}: {len(matched)} numbers, each equal to {metrics_file}.")


@check(
    "manifest_files",
    required=("file", "rule"),
    files=("file",),
    fields=(
        "`file`, `rule` (`complete` or `hashes`), `required` (patterns that must be listed), `may_be_absent` "
        "(listed patterns that need not be handed in)"
    ),
    summary=(
        "`complete`: every handed-in file is listed and each required pattern has an entry; `hashes`: every listed "
        "file is handed in with the listed size and sha256"
    ),
)
def check_manifest_files(check: dict, ctx: Context) -> Outcome:
    """A checksum manifest against the hand-in. ``rule: complete``: every handed-in file is listed and each
    ``required`` pattern has an entry. ``rule: hashes``: every listed file is handed in (unless it matches
    ``may_be_absent``) with the listed size and sha256."""

    name = check["file"]
    manifest = ctx.files.json(name)
    problems = manifest_format_problems(manifest, name)
    present = {file: path for file, path in ctx.files.submission.files.items() if file != name}
    if not problems and check["rule"] == "hashes":
        problems = manifest_hash_problems(manifest, present, check.get("may_be_absent", []), name)
    elif not problems:
        problems = manifest_coverage_problems(manifest, sorted(present), check.get("required", []), name)
    if problems:
        return Outcome(0, problems[0], problems[1:])
    if check["rule"] == "hashes":
        return Outcome(check["points"], f"{name}: every handed-in file it lists has the listed size and sha256.")
    return Outcome(check["points"], f"{name} lists all {len(present)} handed-in files and the required entries.")


@check(
    "id2label_matches",
    required=("config_file", "metrics_file"),
    files=("config_file", "metrics_file"),
    fields="`config_file`, `metrics_file`, `labels_key` (default `label_names`)",
    summary=(
        "the config's `id2label` (keys 0..n−1, no `LABEL_n` placeholders) gives the label names in id order, and "
        "`label2id` is its inverse"
    ),
)
def check_id2label_matches(check: dict, ctx: Context) -> Outcome:
    """A model config's id2label (and label2id) name the labels of ``labels_key`` of a metrics JSON, in id order."""

    config_file, metrics_file = check["config_file"], check["metrics_file"]
    found, labels = json_lookup(json_object(ctx, metrics_file), check.get("labels_key", "label_names"))
    problems = label_problems(json_object(ctx, config_file), labels if found else None, config_file)
    return verdict(check, problems, f"{config_file}: id2label names the labels {labels} of {metrics_file}.")


@check(
    "json_portable_paths",
    required=("files",),
    files=("files",),
    fields="`files`",
    summary="no value of the JSON files is an absolute local path",
)
def check_json_portable_paths(check: dict, ctx: Context) -> Outcome:
    """No value of the JSON ``files`` is an absolute path of the student's machine (/home/..., C:\\...)."""

    problems = [problem for name in check["files"] for problem in local_path_problems(ctx.files.json(name), name)]
    return verdict(check, problems, f"{', '.join(check['files'])}: no absolute paths.")


def prediction_record_list(ctx: Context, name: str, key: str | None) -> list[dict]:
    """Prediction records: every line of a ``.jsonl`` file, or the list of objects at ``key`` of a JSON file."""
    if key is not None:
        return json_items(json_object(ctx, name), name, key)

    def parse() -> list[dict]:
        return parse_jsonl(ctx.files.text(name).splitlines(), name)

    records = ctx.files.memo(("records", name), parse)
    if not records:
        raise FileProblem(f"{name} holds no records.")
    return records


def record_score_problem(record: dict, labels: list[str], abstain: str | None, tolerance: float) -> str | None:
    """What is wrong with one record's scores, confidence and labels (see :func:`check_prediction_records`)."""
    scores = record.get("scores")
    if not isinstance(scores, dict) or sorted(scores) != sorted(labels):
        return f"scores must be an object with one probability per label {labels}, found {brief(scores)}"
    parsed = {label: parse_number(v) if not isinstance(v, str) else None for label, v in scores.items()}
    numbers = {label: n for label, n in parsed.items() if n is not None and 0 <= n <= 1}
    if len(numbers) != len(parsed):
        return f"scores must be numbers in [0, 1], found {brief(scores)}"
    if abs(sum(numbers.values()) - 1) > tolerance:
        return f"scores add up to {sum(numbers.values()):.4f}, not 1 (softmax probabilities: use top_k=None)"
    best = max(numbers, key=lambda label: numbers[label])
    confidence = record.get("confidence")
    number = parse_number(confidence) if not isinstance(confidence, str) else None
    if number is None or abs(number - numbers[best]) > 0.001:
        return f"confidence {brief(confidence)} is not the highest score ({best} {numbers[best]:g})"
    if record.get("predicted_label", best) != best:
        return (
            f"predicted_label {brief(record.get('predicted_label'))} is not the label with the highest score ({best})"
        )
    allowed = [best] + ([abstain] if abstain else [])
    if record.get("label") not in allowed:
        return f"label {brief(record.get('label'))} must be {' or '.join(brief(a) for a in allowed)}"
    return None


def threshold_problem(records: list[dict], abstain: str | None, threshold: float | None) -> str | None:
    """Records labelled ``abstain`` must be exactly those below the threshold (without one: the least confident)."""
    parsed = [parse_number(r.get("confidence")) if not isinstance(r.get("confidence"), str) else None for r in records]
    if None in parsed:
        return f"record {parsed.index(None)} has no numeric confidence"
    confidences = [c for c in parsed if c is not None]
    flagged = [c for c, r in zip(confidences, records) if r.get("label") == abstain]
    decided = [c for c, r in zip(confidences, records) if r.get("label") != abstain]
    if threshold is not None:
        wrong = [
            i for i, (c, r) in enumerate(zip(confidences, records)) if (c < threshold) != (r.get("label") == abstain)
        ]
        if wrong:
            return (
                f"{len(wrong)} record(s) break the rule label == {brief(abstain)} exactly when confidence < threshold "
                f"{threshold:g} (first: record {wrong[0]}, confidence {confidences[wrong[0]]:g}, "
                f"label {brief(records[wrong[0]].get('label'))})"
            )
    elif flagged and decided and max(flagged) >= min(decided):
        return (
            f"a {brief(abstain)} record has confidence {max(flagged):g} but a decided record only {min(decided):g}; "
            "with one "
            f"threshold, every {brief(abstain)} record is less confident than every decided one"
        )
    return None


@check(
    "prediction_records",
    required=("file", "labels", "rules"),
    files=("file",),
    fields=(
        "`file` (`.jsonl`, or JSON with `key`: dotted path to a list of records), `labels`, `abstain_label`, "
        "`rules` (`scores`, `threshold`), optional `threshold_key` (dotted key of the threshold in the same JSON "
        "file), `tolerance` (scores sum, default 0.01)"
    ),
    summary=(
        "`scores`: one probability per label summing to 1, `confidence` = the top score, `label` = the top label or "
        "`abstain_label`; `threshold`: the `abstain_label` records are exactly those below the threshold at "
        "`threshold_key` or, without one, all less confident than every decided record"
    ),
)
def check_prediction_records(check: dict, ctx: Context) -> Outcome:
    """Prediction records (``.jsonl`` lines, or a JSON list at ``key``) obey the inference rules in ``rules``.

    ``scores``: ``scores`` holds one probability per label, summing to 1; ``confidence`` is the highest score;
    ``label`` is the best label or ``abstain_label``. ``threshold``: the ``abstain_label`` records are exactly
    those with confidence below the threshold at ``threshold_key`` (a dotted key of the same JSON file) or, with
    no key, the least confident ones (some single threshold separates them).
    """
    name, labels = check["file"], check["labels"]
    abstain, tolerance = check.get("abstain_label"), check.get("tolerance", 0.01)
    records = prediction_record_list(ctx, name, check.get("key"))
    where = f"{name}{' ' + check['key'] if check.get('key') else ''}"
    problems = []
    if "scores" in check["rules"]:
        for index, record in enumerate(records):
            problem = record_score_problem(record, labels, abstain, tolerance)
            if problem:
                problems.append(f"{where}: record {index}: {problem}.")
    if "threshold" in check["rules"]:
        threshold = None
        if check.get("threshold_key"):
            found, value = json_lookup(json_object(ctx, name), check["threshold_key"])
            threshold = parse_number(value) if found and not isinstance(value, str) else None
            if threshold is None:
                problems.append(
                    f"{name}: {brief(check['threshold_key'])} must be the threshold used (a number), found "
                    f"{brief(value)}."
                )
        problem = threshold_problem(records, abstain, threshold) if not problems or threshold is not None else None
        if problem:
            problems.append(f"{where}: {problem}.")
    flagged = sum(r.get("label") == abstain for r in records)
    return verdict(
        check, problems[:ROW_LIST_LIMIT], f"{where}: {len(records)} records as required ({flagged} {brief(abstain)})."
    )
