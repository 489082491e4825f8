//go:build tools

// Package tools pins the modules the project builds with, so that go.mod
// keeps them while packages that use them are being written.
package tools

import (
	_ "cloud.google.com/go/storage"
	_ "github.com/apache/arrow/go/v15/arrow/array"
	_ "github.com/apache/arrow/go/v15/arrow/compute"
	_ "github.com/apache/arrow/go/v15/arrow/csv"
	_ "github.com/apache/arrow/go/v15/arrow/memory"
	_ "github.com/apache/arrow/go/v15/parquet/file"
	_ "github.com/apache/arrow/go/v15/parquet/pqarrow"
	_ "github.com/chromedp/chromedp"
	_ "github.com/fsouza/fake-gcs-server/fakestorage"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
	_ "github.com/open-policy-agent/opa/v1/ast"
	_ "github.com/open-policy-agent/opa/v1/bundle"
	_ "github.com/open-policy-agent/opa/v1/cover"
	_ "github.com/open-policy-agent/opa/v1/rego"
	_ "github.com/open-policy-agent/opa/v1/tester"
	_ "github.com/open-policy-agent/opa/v1/topdown"
	_ "github.com/rs/zerolog"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/xuri/excelize/v2"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/text/encoding/charmap"
	_ "golang.org/x/text/encoding/unicode"
	_ "golang.org/x/text/unicode/norm"
	_ "google.golang.org/api/googleapi"
	_ "google.golang.org/api/option"
	_ "gopkg.in/yaml.v3"
	_ "helm.sh/helm/v3/pkg/action"
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/engine"
	_ "helm.sh/helm/v3/pkg/lint"
	_ "k8s.io/api/batch/v1"
	_ "k8s.io/api/core/v1"
	_ "sigs.k8s.io/yaml"
)
