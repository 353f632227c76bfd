#!/usr/bin/env bash
# Rebuild the real-photo development set from bare git mirrors.
# Usage: tools/realsets/build_all.sh MIRRORS_ROOT OUT_ROOT [PYTHON]
#   MIRRORS_ROOT holds <owner>+<name>/repo bare mirrors (e.g. /work/.mirror)
#   OUT_ROOT gets one folder per source (e.g. /work/devset); PYTHON defaults to .venv/bin/python
set -euo pipefail
mirrors=${1:?MIRRORS_ROOT}
out=${2:?OUT_ROOT}
here=$(cd "$(dirname "$0")" && pwd)
python=${3:-$here/../../.venv/bin/python}
mkdir -p "$out"
run() { "$python" "$here/build_$1.py" "$mirrors/$2/repo" "$out/$1" "${@:3}"; }
run coco128_lightly lightly-ai+coco128_yolo
run datacluster_voc OlYVER1337+Object-detection-
run peppe0203_bottle peppe0203+Bottle-detection
run mugs_web lhuangjs+mug_detection
run litter_bottles No1tan1ts3d+AUTOMATIC-PLASTIC-BOTTLE-SORTING-WITH-ROBOTIC-ARM-USING-RASPBERRY-PI
# ecocup sets share photos: each later set skips photos byte-identical to an earlier one
run ecocup_p23 lilianvln+Ecocup
run ecocup_p25 EngelCalon+SY32_detection_ecocup --exclude "$out/ecocup_p23"
run ecocup_a22 quochungtran+ecocup-detection --exclude "$out/ecocup_p23" "$out/ecocup_p25"
