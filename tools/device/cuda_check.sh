#!/usr/bin/env bash
# cuda_check.sh: the checks of the CUDA backend (package cuda, issue 10) on
# a GPU machine, in one run of about 2 minutes (at most 3.5).
#
# 1. Build the test binary where Go and gcc are (no GPU or CUDA toolkit is
#    needed: the package opens libcuda, libcublas and libnvrtc at run time),
#    from the repository root:
#
#      mkdir -p .device && CGO_ENABLED=1 go test -c -tags cuda -o .device/cuda.test ./cuda/
#
#    The binary links dynamically only against glibc (libc, libdl,
#    libpthread); the GPU machine's glibc must be at least as new.
#
# 2. On the GPU machine, from the repository root, with .device carried
#    (device tool: carry [".device"], command "bash tools/device/cuda_check.sh"):
#
#      bash tools/device/cuda_check.sh
#
#    It prints nvidia-smi, runs every test of package cuda on the GPU
#    (DISTILGO_CUDA_REQUIRE_GPU=1: no GPU is a failure, not a skip; the
#    throughput test prints tokens/s with TF32 off and on), then the same
#    training step in PyTorch (transformers' DistilBertForMaskedLM) for
#    comparison. Logs go to $OUT (default ./out/cuda_check). The exit status
#    is the tests'.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/out/cuda_check}
mkdir -p "$OUT"
BIN=$PWD/.device/cuda.test
if [ ! -x "$BIN" ]; then
	echo "cuda_check: $BIN not found; build it first (see the header of $0)" >&2
	exit 2
fi

{
	echo "== $(date -u +%FT%TZ) $(uname -srm)"
	nvidia-smi || echo "nvidia-smi failed"
	nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv || true
	echo "== glibc: $(ldd --version | head -1)"
	echo "== test binary links:"
	ldd "$BIN"
	echo "== CUDA libraries visible:"
	ls /usr/local/cuda/lib64/libcublas.so* /usr/local/cuda/lib64/libnvrtc.so* 2>/dev/null
	ldconfig -p | grep -E 'libcuda\.so|libcublas\.so|libnvrtc\.so' || true
} 2>&1 | tee "$OUT/env.txt"

echo "== go test (package cuda, on the GPU)"
(cd cuda && DISTILGO_CUDA_REQUIRE_GPU=1 timeout 150 "$BIN" -test.v -test.run . -test.timeout 145s) 2>&1 | tee "$OUT/cuda_test.log"
status=${PIPESTATUS[0]}
echo "== go test exit status: $status"

echo "== PyTorch reference: distilbert-base MLM training step, batch 64 x 128"
PYTHONUNBUFFERED=1 timeout 60 python3 - <<'PY' 2>&1 | tee "$OUT/torch_bench.log"
import time, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
from transformers import DistilBertConfig, DistilBertForMaskedLM
torch.manual_seed(0)
B, T, V = 64, 128, 30522
dev = "cuda"
model = DistilBertForMaskedLM(DistilBertConfig()).to(dev).train()
decay = [p for n, p in model.named_parameters() if not ("bias" in n or "LayerNorm" in n or "layer_norm" in n)]
nodecay = [p for n, p in model.named_parameters() if ("bias" in n or "LayerNorm" in n or "layer_norm" in n)]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": nodecay, "weight_decay": 0.0}], lr=2e-5)
ids = torch.randint(5, V, (B, T), device=dev)
labels = torch.full((B, T), -100, device=dev)
sel = torch.rand(B, T, device=dev) < 0.15
labels[sel] = ids[sel]
ids[sel] = 103
mask = torch.ones(B, T, dtype=torch.long, device=dev)

def step(bf16):
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss

for name, tf32, bf16 in [("fp32", False, False), ("tf32", True, False), ("bf16 autocast", True, True)]:
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    for _ in range(3):
        step(bf16)
    torch.cuda.synchronize()
    n = 10
    t0 = time.perf_counter()
    for _ in range(n):
        loss = step(bf16)
    torch.cuda.synchronize()
    el = (time.perf_counter() - t0) / n
    print(f"PyTorch {name}: {B*T/el:.0f} tokens/s, {el*1e3:.1f} ms/step (loss {loss.item():.4f}), course 3 epochs (471 steps) ~ {471*el:.1f} s")
print("note: transformers computes the MLM head on all 8192 positions; distilgo only on the labelled ones")
PY
echo "== summary (full logs in $OUT)"
grep -E '^cuda tests:|^(--- )?(FAIL|PASS|ok)|TF32=|largest gradient error|max relative|panic|[Ee]rror:' "$OUT/cuda_test.log" | grep -v '^    --- PASS' | head -60
grep -E '^PyTorch|^torch|Error' "$OUT/torch_bench.log"
exit "$status"
