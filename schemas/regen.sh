#!/usr/bin/env bash
# Regenerates the committed Java from the format definitions. Needs protoc 3.21.x and flatc 2.0.8.
set -euo pipefail
cd "$(dirname "$0")/src/main"
rm -rf java/tflite java/dev/onnxport/schemas/onnx
flatc --java -o java fbs/schema.fbs
protoc --java_out=java proto/onnx.proto
