"""Regenerate every golden written by tools/golden (run by `make golden`,
never by CI). Needs Debian's python3-torch and python3-numpy, i.e. the
system interpreter: /usr/bin/python3 tools/golden/gen_all.py

  safetensors/testdata/python_dtypes.safetensors   gen_safetensors.py
  distilbert/testdata/*.safetensors, tiny-hf/       gen_distilbert.py
  trainer/testdata/schedules.json                   gen_schedules.py

Takes a few minutes on 2 cores (the full-size model in float32 and float64).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import gen_safetensors  # noqa: E402

gen_safetensors.main(os.path.join(ROOT, "safetensors", "testdata"))

import gen_distilbert  # noqa: E402  (imports torch)

gen_distilbert.main(os.path.join(ROOT, "distilbert", "testdata"))

import gen_schedules  # noqa: E402

gen_schedules.main(os.path.join(ROOT, "trainer", "testdata", "schedules.json"))
