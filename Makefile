# distilgo developer targets. `make test` is the README's test command and
# what .ci/run runs.

GO ?= go
PKGS := ./...

.PHONY: test test-short bench bench-e2e bench-serve soak-serve lint generate generate-check golden

## test: the whole test suite (CI runs exactly this).
test:
	$(GO) test -count=1 -timeout 30m $(PKGS)

## test-short: skip the slow tests.
test-short:
	$(GO) test -short -count=1 $(PKGS)

## bench: the micro-benchmarks of tensor and kernels (one package at a time,
## so they do not compete for the cores).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./kernels/
	$(GO) test -run '^$$' -bench . -benchmem ./tensor/ ./nn/

## bench-e2e: training/eval/fill-mask speed, distilgo vs PyTorch, one run
## (needs Debian's python3-torch; several minutes).
bench-e2e:
	bench/e2e/run.sh

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
## module proxy; the generator is its own module in kernels/_asm).
generate:
	cd kernels/_asm && $(GO) run . -out ../kernels_amd64.s -stubs ../kernels_stubs_amd64.go -pkg kernels

## generate-check: fail if regenerating changes any committed file.
generate-check: generate
	@git diff --exit-code -- kernels/kernels_amd64.s kernels/kernels_stubs_amd64.go || (echo "make generate changed committed files: commit the generator and its output together"; exit 1)

## golden: regenerate golden test data (never run by CI). Needs Debian's
## python3-torch and python3-numpy (the system interpreter), and node/npm.
PYTHON ?= /usr/bin/python3
golden:
	$(PYTHON) tools/golden/gen_all.py
	$(PYTHON) tools/dataset/group_texts_golden.py dataset/testdata/group_texts.json
	npm --prefix tools/tokenizer ci
	node tools/tokenizer/gen_tables.js && gofmt -w tokenizer/unicode_tables.go
	node tools/tokenizer/gen_golden.js
