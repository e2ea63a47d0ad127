#!/bin/sh
# Start the classification service the way container hosts expect: on the port in $PORT (default 8080).
#
#   MODEL_DIR=outputs/tweets-sigmoid sh examples/serving/start.sh               # http://127.0.0.1:8080
#   PORT=9000 sh examples/serving/start.sh --host 0.0.0.0 --threshold 0.8       # other flags go to service.py
#
# The model folder comes from $MODEL_DIR (or --model-dir); it may be any saved run (trail, tweets, spam): its
# labels, cleaner and decision threshold are read from the run. $PYTHON picks the interpreter (default: python).
set -eu
HERE=$(dirname "$0")
exec "${PYTHON:-python}" "$HERE/service.py" --port "${PORT:-8080}" "$@"
