#!/usr/bin/env bash
# The checks of deploy/k8s as CI runs them. This folder is a Go module of its
# own so that the Kubernetes API types stay out of the main module's
# dependencies; the root's go vet ./... and go test ./... do not enter it.
set -euo pipefail
cd "$(dirname "$0")"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "deploy/k8s: gofmt would change: $unformatted"; exit 1
fi
go vet ./...
if ! go mod tidy -diff; then
	echo "deploy/k8s: go mod tidy would change go.mod or go.sum (diff above): run it in deploy/k8s and commit the result"; exit 1
fi
if command -v shellcheck >/dev/null; then
	shellcheck run.sh test.sh
fi
go test ./...
