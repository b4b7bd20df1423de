# distilgo developer targets. `make test` is the README's test command and
# what .ci/run runs.

GO ?= go
PKGS := ./...

.PHONY: test test-short bench bench-e2e bench-e2e-generic bench-arm64 bench-serve soak-serve lint generate generate-check golden fuzz

## test: the whole test suite (CI runs exactly this).
test:
	$(GO) test -count=1 -timeout 30m $(PKGS)

## test-short: skip the slow tests.
test-short:
	$(GO) test -short -count=1 $(PKGS)

## fuzz: every fuzz target for FUZZTIME each (default 30s), from a
## temporary corpus; only a crash adds a file (testdata/fuzz/). CI runs the
## seed corpora only (plain go test does). FUZZPARALLEL=N: workers per
## target; FUZZMINIMIZETIME=5s: less time minimizing new inputs.
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) tools/fuzz/run.sh

## bench: the micro-benchmarks of tensor and kernels (one package at a time,
## so they do not compete for the cores).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./kernels/
	$(GO) test -run '^$$' -bench . -benchmem ./tensor/ ./nn/

## bench-e2e: training/eval/fill-mask speed, distilgo vs PyTorch, one run
## (needs Debian's python3-torch and libopenblas0-openmp; several minutes).
## BF16=1 adds the bf16 rows (distilgo --precision bf16 vs PyTorch autocast
## bf16): make bench-e2e BF16=1. STEPS=N timed steps (default 3).
bench-e2e:
	bench/e2e/run.sh $(if $(STEPS),--steps $(STEPS)) $(if $(BF16),--precisions "fp32 bf16")

## bench-e2e-generic: fill-mask and a training step (batch 1 x 64 tokens)
## at distilgo's generic level (DISTILGO_KERNELS=generic) vs PyTorch fp32,
## both on one thread (issue 21).
bench-e2e-generic:
	bench/e2e/run.sh --generic $(if $(STEPS),--steps $(STEPS))

## bench-arm64: on an arm64 machine, the NEON level against the generic
## level and gonum (SGEMM at DistilBERT's shapes, 1 and all threads, with
## the NEON FMA peak), the micro-kernel, softmax and GELU per level, and
## fill-mask latency per level.
bench-arm64:
	@[ "$$($(GO) env GOARCH)" = arm64 ] || { echo "bench-arm64: needs an arm64 machine (GOARCH=$$($(GO) env GOARCH))"; exit 1; }
	$(GO) run ./bench/kernels -threads 1,$$(nproc) -impl distilgo,gonum -levels neon,generic
	$(GO) test -run '^$$' -bench 'GemmMicroKernel|FMAPeak|SoftmaxRows|Gelu|ScalarMath' ./kernels/
	DISTILGO_KERNELS=neon $(GO) run ./bench/e2e --mode fillmask --repeat 50
	DISTILGO_KERNELS=generic $(GO) run ./bench/e2e --mode fillmask --repeat 50

## bench-serve: cmd/serve under load on loopback, distilbert-base-uncased
## size with random weights: 1, 8, 32, 128 clients for 20 s each (req/s,
## p50/p95/p99, errors, peak RSS, mean batch; about 2 minutes).
bench-serve:
	$(GO) run ./bench/serve

## soak-serve: 10 minutes at 32 clients; RSS of the first vs the last minute.
soak-serve:
	$(GO) run ./bench/serve --concurrency 32 --duration 10m --warmup 10s

## lint: gofmt must print nothing; go vet must pass.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## generate: regenerate the avo assembly in kernels/ (avo comes from the
## module proxy; the generator is its own module in kernels/_asm) and the
## CUDA kernel lists from cuda/kernels.cu (cuda/internal/genkernels).
## One pair of files per kernel family (FAMILY_amd64.s and
## FAMILY_stubs_amd64.go), as Go's crypto packages split theirs.
ASM_FAMILIES := gemm pack rows vec bf16 rand
generate:
	cd kernels/_asm && for f in $(ASM_FAMILIES); do \
		$(GO) run . -family $$f -out ../$${f}_amd64.s -stubs ../$${f}_stubs_amd64.go -pkg kernels || exit 1; \
	done
	cd cuda && $(GO) run ./internal/genkernels

## generate-check: fail if regenerating changes any committed file.
generate-check: generate
	@git diff --exit-code -- kernels/ cuda/kernels_gen.go cuda/testdata/emu/kernels_gen.h && test -z "$$(git ls-files --others --exclude-standard -- 'kernels/*_amd64.s' 'kernels/*_stubs_amd64.go')" || (git status --short -- kernels/ cuda/; echo "make generate changed committed files: commit the generator and its output together"; exit 1)

## golden: regenerate golden test data (never run by CI). Needs Debian's
## python3-torch and python3-numpy (the system interpreter), and node/npm.
PYTHON ?= /usr/bin/python3
golden:
	$(PYTHON) tools/golden/gen_all.py
	$(PYTHON) tools/dataset/group_texts_golden.py dataset/testdata/group_texts.json
	npm --prefix tools/tokenizer ci
	node tools/tokenizer/gen_tables.js && gofmt -w tokenizer/unicode_tables.go
	node tools/tokenizer/gen_golden.js
