# distilgo developer targets. `make test` is the README's test command and
# what .ci/run runs.

GO ?= go
PKGS := ./...

.PHONY: test test-short bench bench-e2e lint generate generate-check golden

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

## lint: gofmt must print nothing; go vet must pass.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## generate: regenerate the avo assembly in kernels/ (needs the module proxy).
generate:
	@if [ -f kernels/_asm/go.mod ]; then cd kernels/_asm && $(GO) generate ./...; fi

## generate-check: fail if regenerating changes any committed file.
generate-check: generate
	@git diff --exit-code -- kernels/ || (echo "make generate changed committed files"; exit 1)

## golden: regenerate golden test data (needs Debian's python3-torch and node).
golden:
	@echo "golden generators are added by each package; see tools/"
