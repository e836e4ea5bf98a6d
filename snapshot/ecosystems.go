package snapshot

import (
	"context"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

// An ecosystem is a language whose dependency files a snapshot keeps; which
// files those are is core.EnvFiles.
type ecosystem struct {
	name string
	// command prints the toolchain's version; versionPattern finds the
	// version in what it prints.
	command        []string
	versionPattern *regexp.Regexp
}

var semver = regexp.MustCompile(`\d+\.\d+(\.\d+)?([-+.][0-9A-Za-z.]+)?`)

// ecosystems, in the order a snapshot lists them and picks its main runtime
// when nothing else says which it is.
var ecosystems = []ecosystem{
	{name: "julia", command: []string{"julia", "--version"}, versionPattern: semver},
	{name: "python", command: []string{"python3", "--version"}, versionPattern: semver},
	// The running program's Go is the one that matters; see goVersion.
	{name: "go"},
	{name: "rust", command: []string{"rustc", "--version"}, versionPattern: semver},
	{name: "node", command: []string{"node", "--version"}, versionPattern: semver},
}

// ecosystemOf returns the ecosystem of a dependency file's name, or "" for
// any other file.
func ecosystemOf(name string) string {
	f, _ := core.LookupEnvFile(name)
	return f.Ecosystem
}

// goVersion is this program's Go, without the "go" prefix as upstream writes
// Julia's version ("1.26.8").
func goVersion() string { return strings.TrimPrefix(runtime.Version(), "go") }

// juliaManifestVersion reads julia_version from a Manifest, for machines
// where julia is not on PATH.
var juliaManifestVersion = regexp.MustCompile(`(?m)^julia_version\s*=\s*"([^"]+)"`)

// toolchainVersion asks an ecosystem's toolchain for its version.
func toolchainVersion(ctx context.Context, e ecosystem) (string, string) {
	if e.name == "go" {
		return goVersion(), ""
	}
	out, err := run(ctx, "", e.command...)
	if err != nil {
		return "", e.name + ": " + describe(e.command[0], err)
	}
	if v := e.versionPattern.FindString(out); v != "" {
		return v, ""
	}
	return "", e.name + ": cannot read a version in " + strings.TrimSpace(out)
}

// byExtension maps an entrypoint's extension to its runtime.
var byExtension = map[string]string{
	".jl": "julia", ".py": "python", ".ipynb": "python", ".go": "go", ".rs": "rust",
	".js": "node", ".mjs": "node", ".cjs": "node", ".ts": "node",
}

// byProgram names the runtime of a command by its program.
var byProgram = map[string]string{
	"julia": "julia", "python": "python", "python3": "python", "uv": "python", "poetry": "python", "pipenv": "python",
	"conda": "python", "go": "go", "cargo": "rust", "node": "node", "npm": "node", "npx": "node", "yarn": "node",
	"pnpm": "node", "bun": "node", "deno": "node",
}

// CommandOptions are the capture options of a run of an external command,
// such as `ddd run -- python train.py --lr 0.1`: the command line, quoted for
// a POSIX shell, is the entrypoint (the restore's last step runs it again),
// and the runtime follows the program, or the first argument with a known
// extension.
func CommandOptions(argv []string) Options {
	runtime := ""
	for _, arg := range argv {
		if runtime == "" {
			runtime = byExtension[strings.ToLower(filepath.Ext(arg))]
		}
	}
	if len(argv) > 0 {
		program := strings.TrimRight(strings.TrimSuffix(filepath.Base(argv[0]), ".exe"), "0123456789.") // python3.12
		if r := byProgram[program]; r != "" {
			runtime = r
		}
	}
	return Options{Entrypoint: argvLine(argv), Runtime: runtime}
}
