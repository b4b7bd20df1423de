"""trainer/testdata/schedules.json: learning rates of transformers' schedules
as torch's LambdaLR applies them (run by gen_all.py; needs Debian's torch).

The lr_lambda functions are those of transformers' optimization.py
(get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup with
num_cycles=0.5, get_constant_schedule, get_constant_schedule_with_warmup),
restated here because transformers is not installed; the learning rates
come from a real torch.optim.AdamW + LambdaLR stepped like Trainer does
(optimizer.step() then scheduler.step(), reading get_last_lr() before the
step it applies to).
"""

import json
import math
import os
import sys

import torch


def linear(warmup, total):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))
    return f


def cosine(warmup, total, num_cycles=0.5):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return f


def constant(warmup, total):
    return lambda _: 1.0


def constant_with_warmup(warmup, total):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1.0, warmup))
        return 1.0
    return f


KINDS = {"linear": linear, "cosine": cosine, "constant": constant, "constant_with_warmup": constant_with_warmup}
CASES = [(0, 10), (3, 10), (10, 10), (4, 7), (0, 1), (25, 471)]
BASE = 2e-5


def main(out):
    cases = []
    for name, make in KINDS.items():
        for warmup, total in CASES:
            p = torch.nn.Parameter(torch.zeros(1))
            opt = torch.optim.AdamW([p], lr=BASE)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, make(warmup, total))
            lrs = []
            for _ in range(total + 2):  # two past the end: the schedule stays at its floor
                lrs.append(sched.get_last_lr()[0])
                opt.step()
                sched.step()
            cases.append({"name": name, "warmup": warmup, "total": total, "base_lr": BASE, "lr": lrs})
    with open(out, "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "trainer", "testdata", "schedules.json"))
