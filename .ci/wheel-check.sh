#!/usr/bin/env bash
# Build the wheel, install it alone into a fresh venv and classify a file with the default model it
# ships: no --model flag, HF_HUB_OFFLINE=1, run from a directory outside the checkout. This is what a
# person who runs `pip install emotion-bilstm` gets. Usage: .ci/wheel-check.sh PYTHON TORCH_SPEC
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
TORCH_SPEC=${2:-torch==2.13.0}

if [ ! -f emotion_bilstm/pretrained/model.safetensors ]; then
    echo "wheel-check: NOTE: emotion_bilstm/pretrained/ holds no model yet, so there is no default model to ship;"
    echo "wheel-check: NOTE: nothing was built. Run \`make release-model\` and commit its output; then this check runs."
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/wheel-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "wheel-check: building the wheel"
"$PY" -m build --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
"$PY" - "$wheel" <<'EOF'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
needed = {f"emotion_bilstm/pretrained/{n}" for n in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "metrics.json")}
needed.add("emotion_bilstm/model_card.md")
missing = sorted(needed - names)
if missing:
    sys.exit(f"wheel-check: the wheel lacks {', '.join(missing)}")
EOF

echo "wheel-check: installing $TORCH_SPEC, then $(basename "$wheel"), into a fresh venv"
"$PY" -m venv "$work/venv"
pip_install() { "$work/venv/bin/python" -m pip install -q "$@" >>"$work/pip.log" 2>&1 || { cat "$work/pip.log"; exit 1; }; }
pip_install "$TORCH_SPEC"
pip_install "$wheel"

mkdir "$work/elsewhere"
cd "$work/elsewhere"
printf '%s\n' "i feel so happy and cheerful today" "i am terrified of what the doctor will say" "" >texts.txt
HF_HUB_OFFLINE=1 "$work/venv/bin/emo-cli" classify texts.txt --format jsonl --output predictions.jsonl
HF_HUB_OFFLINE=1 "$work/venv/bin/python" - <<'EOF'
import json
import emotion_bilstm

assert "/venv/" in emotion_bilstm.__file__, f"imported from {emotion_bilstm.__file__}, not the installed wheel"
rows = [json.loads(line) for line in open("predictions.jsonl")]
labels = [row["label"] for row in rows]
assert len(rows) == 3, f"expected 3 output lines, got {len(rows)}"
assert labels[:2] == ["joy", "fear"] and not labels[2], f"unexpected labels {labels}"  # a blank line: no label
print(f"wheel-check: the installed wheel classified the file with its default model: {labels}")
EOF
size=$(stat -c %s "$wheel")
echo "wheel-check: OK: $(basename "$wheel") is $size bytes ($(( (size + 500000) / 1000000 )) MB)"
