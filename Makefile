# sagefence — build, test, benchmark.
GO ?= go
PKGS := ./...

.PHONY: build test check lint fuzz bench bench-costs example release-snapshot image

build:
	$(GO) build -o bin/sagefence ./cmd/sagefence

## release-snapshot: the release artefacts, offline and without goreleaser
## (internal/release): archives, CycloneDX SBOMs, the Config rule Lambda zips
## and checksums.txt in dist/,
## checked, and the binary for this machine run. RELEASE_TARGETS narrows it,
## e.g. RELEASE_TARGETS=linux/amd64,darwin/arm64.
RELEASE_TARGETS ?= all
release-snapshot:
	rm -rf dist
	$(GO) run ./internal/release/snapshot -out dist -targets $(RELEASE_TARGETS)

## image: the container image without a container engine (internal/image), from
## the linux binary of release-snapshot: an OCI layout in dist/image and a
## `docker load` tarball, then one run of it on the mounted examples.
image:
	$(GO) run ./internal/image/imagebuild -binary dist/linux_$$($(GO) env GOARCH)/sagefence -out dist -mount examples

## test: everything CI runs — formatting, vet, unit + integration tests, short fuzzing.
# SAGEFENCE_AGREEMENT=all makes internal/agreement plan every Terraform case
# (a plain `go test ./...` plans a sample, to end within Go's default timeout).
test: lint
	SAGEFENCE_AGREEMENT=all $(GO) test -count=1 -timeout 45m $(PKGS)
	$(MAKE) fuzz

lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$fmt" ]; then echo "gofmt needed on:"; echo "$$fmt"; exit 1; fi
	$(GO) vet $(PKGS)

## fuzz: a short run of each fuzz target (longer: make fuzz FUZZTIME=5m).
# An input count, not a duration: a duration ends the run with a deadline that
# Go can report as a failure ("context deadline exceeded") when it falls
# during a worker's step.
FUZZTIME ?= 3000x
# Minimizing every new interesting input can stall a 10-second run on a busy
# machine; longer runs may raise it.
FUZZMINIMIZE ?= 0
fuzz:
	@$(GO) list -f '{{.ImportPath}} {{.Dir}}' $(PKGS) | while read pkg dir; do \
		for f in $$(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)' $$dir/*_test.go 2>/dev/null | awk '{print $$2}' | sed 's/(.*//'); do \
			echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg || exit 1; \
		done; \
	done

## bench: benchmarks (see BENCHMARKS.md): every package's go benchmarks, then
## the synthetic corpus's scan/parse-floor ratio on one core and on all cores
## (bench/run.sh, BENCH_FILES files; also the .tf files under BENCH_REAL_DIR
## when set, e.g. clones of the public repositories BENCHMARKS.md lists) and
## peak RSS of `scan --format json` to a file at BENCH_RSS_SIZES files
## (bench/rss.sh), then the live audit's wall
## time over three regions against the slowest region alone and its API calls
## against the minimum, in moto behind a proxy adding BENCH_AUDIT_LATENCY per
## call (bench/audit.sh, which runs BenchmarkAuditLatency; needs moto_server).
BENCH_FILES ?= 10000
BENCH_RSS_SIZES ?= 1000 10000 50000
BENCH_AUDIT_LATENCY ?= 50ms
bench:
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkAuditLatency$$' -benchmem $(PKGS)
	bench/run.sh $(BENCH_FILES)
	bench/rss.sh $(BENCH_RSS_SIZES)
	bench/audit.sh $(BENCH_AUDIT_LATENCY)

## bench-costs: where a one-core scan's CPU goes, stage by stage, next to the
## parse floor's (bench/costs.sh on BENCH_FILES synthetic files, or on the .tf
## files under BENCH_REAL_DIR when set).
bench-costs:
	bench/costs.sh $(BENCH_FILES)

## example: the README's first command.
example:
	$(GO) run ./cmd/sagefence scan examples/
