"""Golden for package safetensors: safetensors/testdata/python_dtypes.safetensors.

A file written by the plain-Python writer (safetensors_io.py, which follows
the reference serializer) holding tensors of several dtypes with known values.
The Go test checks (1) every value after conversion and (2) that the Go
writer, given the same raw tensors, produces byte-identical output.
No torch or numpy needed. Run: python3 tools/golden/gen_safetensors.py OUTDIR
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

INF = math.inf


def tensors():
    return [
        # F32: zero, one, a fraction, max finite, min subnormal, negative zero.
        ("f32", "F32", [2, 3], st.pack("F32", [0.0, 1.0, -1.5, 3.4028234663852886e38, 1.401298464324817e-45, -0.0])),
        # F16: normal values, max finite 65504, min normal 2^-14, min
        # subnormal 2^-24, a mid subnormal 3*2^-24... and the specials.
        ("f16", "F16", [12], st.pack("F16", [0.0, 1.0, -2.0, 0.5, 65504.0, 2.0 ** -14, 2.0 ** -24,
                                             3 * 2.0 ** -24, -1023 * 2.0 ** -24, INF, -INF, math.nan])),
        # BF16: values exactly representable in bfloat16, incl. max finite
        # (0x7F7F), a subnormal (0x0001 -> 2^-133) and infinity.
        ("bf16", "BF16", [2, 4], st.pack("BF16", [1.0, -2.5, 3.140625, 3.3895313892515355e38,
                                                  2.0 ** -133, -0.0, INF, 65536.0])),
        # F64: rounds to float32 on reading (0.1 -> nearest float32, -1e300
        # -> -Inf, 1e-50 -> 0).
        ("f64", "F64", [3], st.pack("F64", [0.1, -1e300, 1e-50])),
        ("i64", "I64", [3], st.pack("I64", [-100, 0, 2 ** 40])),
        ("i32", "I32", [2], st.pack("I32", [-7, 2 ** 31 - 1])),
        ("u8", "U8", [2], st.pack("U8", [0, 255])),
        ("bool", "BOOL", [2], st.pack("BOOL", [True, False])),
        ("scalar", "F32", [], st.pack("F32", [42.0])),
        ("empty", "F32", [0, 4], b""),
        # A name that needs JSON escaping and sorts before the others.
        ("a \"quoted\" name/é", "F32", [1], st.pack("F32", [7.0])),
    ]


def main(outdir):
    path = os.path.join(outdir, "python_dtypes.safetensors")
    st.write(path, tensors(), {"format": "pt", "written_by": "tools/golden/gen_safetensors.py"})
    meta, out = st.read(path)  # self-check
    assert meta["format"] == "pt" and len(out) == len(tensors())
    print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "safetensors", "testdata"))
