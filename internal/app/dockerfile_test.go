package app

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

const repoRoot = "../.."

// dockerStages parses the Dockerfile with BuildKit's own parser.
func dockerStages(t *testing.T) []instructions.Stage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("Dockerfile instructions: %v", err)
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := dockerStages(t)
	if len(stages) != 2 {
		t.Fatalf("%d stages, want 2 (build, final)", len(stages))
	}
	build, final := stages[0], stages[1]
	if build.Name != "build" || !strings.HasPrefix(build.BaseName, "golang:") {
		t.Errorf("first stage %q FROM %q, want build FROM golang:...", build.Name, build.BaseName)
	}
	if final.BaseName != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final stage FROM %q, want distroless static :nonroot", final.BaseName)
	}
	var user, entry []string
	var cmd *instructions.CmdCommand
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = append(user, c.User)
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Errorf("ENTRYPOINT in shell form: %v (the image has no shell)", c.CmdLine)
			}
			entry = c.CmdLine
		case *instructions.CmdCommand:
			cmd = c
		case *instructions.RunCommand:
			t.Errorf("RUN in the final stage: %v (the image has no shell)", c.CmdLine)
		case *instructions.CopyCommand:
			if c.From != "build" {
				t.Errorf("COPY in the final stage from %q, want only from the build stage", c.From)
			}
		}
	}
	if diff := cmp.Diff([]string{"65532:65532"}, user); diff != "" {
		t.Errorf("USER (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/vungmanh"}, entry); diff != "" {
		t.Errorf("ENTRYPOINT (-want +got):\n%s", diff)
	}
	if cmd != nil && cmd.PrependShell {
		t.Errorf("CMD in shell form: %v", cmd.CmdLine)
	}
	line := goBuildLine(t, stages)
	for _, want := range []string{"CGO_ENABLED=0", "go build", "-trimpath", "-X github.com/vungmanh/vungmanh/internal/app.Version=${VERSION}", "./cmd/vungmanh"} {
		if !strings.Contains(line, want) {
			t.Errorf("build command %q lacks %q", line, want)
		}
	}
}

// goBuildLine returns the RUN command of the build stage that runs go build.
func goBuildLine(t *testing.T, stages []instructions.Stage) string {
	t.Helper()
	for _, c := range stages[0].Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
			if !r.PrependShell || len(r.CmdLine) != 1 {
				t.Fatalf("go build RUN %v: want one shell line (it expands ${VERSION})", r.CmdLine)
			}
			return r.CmdLine[0]
		}
	}
	t.Fatal("no RUN with go build in the build stage")
	return ""
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// testVersion is the VERSION build argument of the test build.
const testVersion = "v0.0.0-test"

// dockerBuild runs the Dockerfile's exact go build command, with /out
// replaced by a temporary folder, and returns the binary. The build is done
// once per test process.
func dockerBuild(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		line := goBuildLine(t, dockerStages(t))
		if !strings.Contains(line, "-o /out/vungmanh") {
			binErr = errors.New("no -o /out/vungmanh")
			t.Fatalf("build command %q does not write /out/vungmanh", line)
		}
		binDir, binErr = os.MkdirTemp("", "vungmanh-bin-")
		if binErr != nil {
			return
		}
		line = strings.Replace(line, "-o /out/vungmanh", "-o "+filepath.Join(binDir, "vungmanh"), 1)
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "VERSION="+testVersion, "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = err
			t.Errorf("%s: %v\n%s", line, err, out)
			return
		}
		binPath = filepath.Join(binDir, "vungmanh")
	})
	if binErr != nil {
		t.Fatalf("build: %v", binErr)
	}
	return binPath
}

func TestDockerBuildCommand(t *testing.T) {
	bin := dockerBuild(t)
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	for _, want := range []string{"vungmanh:     " + testVersion, "CGO_ENABLED:  0", "-trimpath:    true"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}
