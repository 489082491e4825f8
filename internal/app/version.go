package app

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the versions of the tool, OPA and Arrow, and the build info",
		Long: strings.TrimSpace(`
Version prints the tool's version (set at build time with
-ldflags "-X github.com/vungmanh/vungmanh/internal/app.Version=..."), the
versions of the OPA engine and the Arrow library built in, and the Go build
information (Go version, platform, VCS revision when known).`),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.started()
			return writeVersion(cmd.OutOrStdout())
		},
	}
}

func writeVersion(w io.Writer) error {
	lines := [][2]string{
		{"vungmanh", Version},
		{"opa", opaversion.Version},
		{"arrow", arrow.PkgVersion},
		{"go", runtime.Version()},
		{"platform", runtime.GOOS + "/" + runtime.GOARCH},
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path != "" {
			lines = append(lines, [2]string{"module", bi.Main.Path})
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time", "vcs.modified", "CGO_ENABLED", "-trimpath":
				lines = append(lines, [2]string{s.Key, s.Value})
			}
		}
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-13s %s\n", l[0]+":", l[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
