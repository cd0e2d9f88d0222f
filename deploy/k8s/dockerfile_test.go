package k8s

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoRoot is the repository root, the Dockerfile's build context.
const repoRoot = "../.."

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	line int    // line number of its first line
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// parseDockerfile returns the instructions of a Dockerfile, without
// comments and blank lines.
func parseDockerfile(text string) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{start, strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// goDirectives returns the go and toolchain lines of a go.mod ("" for a
// missing toolchain line) as Go versions, e.g. "go1.26.8".
func goDirectives(gomod string) (goLine, toolchain string, err error) {
	sc := bufio.NewScanner(strings.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "go" {
			goLine = "go" + f[1]
		}
		if len(f) == 2 && f[0] == "toolchain" {
			toolchain = f[1]
		}
	}
	if goLine == "" {
		return "", "", errors.New("go.mod has no go line")
	}
	return goLine, toolchain, nil
}

// builderGo returns the Go version of a golang image reference such as
// golang:1.26.8 or golang:1.26-bookworm, e.g. "go1.26.8".
func builderGo(image string) (string, error) {
	m := regexp.MustCompile(`^(?:docker\.io/(?:library/)?)?golang:(1\.\d+(?:\.\d+)?)(?:-[a-z0-9.]+)?(?:@sha256:[0-9a-f]{64})?$`).FindStringSubmatch(image)
	if m == nil {
		return "", fmt.Errorf("builder image %q is not golang:<version>", image)
	}
	return "go" + m[1], nil
}

// checkBuilder checks that a builder of Go version v builds a module with
// the given go and toolchain lines without fetching another toolchain: the
// same language version, and a patch release (if the tag names one) no
// older than either line.
func checkBuilder(v, goLine, toolchain string) error {
	if version.Lang(v) != version.Lang(goLine) {
		return fmt.Errorf("builder Go %s, but go.mod's go line is %s: use golang:%s", v, goLine, strings.TrimPrefix(goLine, "go"))
	}
	if version.Lang(v) == v {
		return nil // golang:1.26 is the newest 1.26.x
	}
	for _, need := range []string{goLine, toolchain} {
		if need != "" && version.Compare(v, need) < 0 {
			return fmt.Errorf("builder Go %s is older than go.mod's %s", v, need)
		}
	}
	return nil
}

// dockerfile is what the test reads from the Dockerfile.
type dockerfile struct {
	builder    string   // the builder stage's image
	final      string   // the last stage's image
	buildEnv   []string // NAME=value before go build
	buildArgs  []string // the arguments of go build
	binary     string   // go build -o
	copied     string   // the binary the final stage copies from the builder
	user       string
	entrypoint []string
}

// readDockerfile parses the Dockerfile and checks its shape: a golang
// builder stage named build whose RUN builds the binary, and a final stage
// that copies only that binary and runs it.
func readDockerfile(text string) (dockerfile, error) {
	var d dockerfile
	var stages []string
	var errs []error
	for _, in := range parseDockerfile(text) {
		f := strings.Fields(in.args)
		switch in.cmd {
		case "FROM":
			stages = append(stages, in.args)
			if len(stages) == 1 {
				if len(f) != 3 || !strings.EqualFold(f[1], "AS") || f[2] != "build" {
					errs = append(errs, fmt.Errorf("line %d: the first stage must be FROM golang:<version> AS build", in.line))
				} else {
					d.builder = f[0]
				}
			} else {
				d.final = f[0]
			}
		case "RUN":
			if i := slices.Index(f, "go"); i >= 0 && i+1 < len(f) && f[i+1] == "build" {
				d.buildEnv, d.buildArgs = f[:i], f[i+2:]
			}
		case "COPY":
			if len(f) == 3 && f[0] == "--from=build" {
				d.copied = f[1]
				if f[2] != f[1] {
					errs = append(errs, fmt.Errorf("line %d: copy the binary to the same path %s", in.line, f[1]))
				}
			}
		case "USER":
			d.user = in.args
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.args), &d.entrypoint); err != nil {
				errs = append(errs, fmt.Errorf("line %d: ENTRYPOINT must be in exec form, a JSON array: %v", in.line, err))
			}
		}
	}
	if len(stages) != 2 {
		errs = append(errs, fmt.Errorf("%d stages, want 2 (build, final)", len(stages)))
	}
	if i := slices.Index(d.buildArgs, "-o"); i >= 0 && i+1 < len(d.buildArgs) {
		d.binary = d.buildArgs[i+1]
	} else {
		errs = append(errs, errors.New("no RUN go build -o <binary>"))
	}
	if !slices.Contains(d.buildEnv, "CGO_ENABLED=0") {
		errs = append(errs, fmt.Errorf("go build runs with %q, without CGO_ENABLED=0: the binary would not be static", d.buildEnv))
	}
	if !slices.Contains(d.buildArgs, "./cmd/sobolev") {
		errs = append(errs, fmt.Errorf("go build %q does not build ./cmd/sobolev", d.buildArgs))
	}
	if d.copied != d.binary {
		errs = append(errs, fmt.Errorf("the final stage copies %q, the build writes %q", d.copied, d.binary))
	}
	if !slices.Equal(d.entrypoint, []string{d.binary}) {
		errs = append(errs, fmt.Errorf("ENTRYPOINT %q, want [%q]: the Jobs pass only args", d.entrypoint, d.binary))
	}
	switch {
	case d.final == "scratch":
		if d.user != fmt.Sprint(nonrootUID) && d.user != fmt.Sprintf("%d:%d", nonrootUID, nonrootUID) {
			errs = append(errs, fmt.Errorf("a scratch image needs USER %d, the user the Jobs run as", nonrootUID))
		}
	case regexp.MustCompile(`^gcr\.io/distroless/static(-debian\d+)?:nonroot$`).MatchString(d.final):
		if d.user != "" && d.user != "nonroot" && d.user != fmt.Sprint(nonrootUID) && d.user != fmt.Sprintf("%d:%d", nonrootUID, nonrootUID) {
			errs = append(errs, fmt.Errorf("USER %s is not the image's nonroot %d, the user the Jobs run as", d.user, nonrootUID))
		}
	default:
		errs = append(errs, fmt.Errorf("final image %q is neither gcr.io/distroless/static…:nonroot nor scratch", d.final))
	}
	return d, errors.Join(errs...)
}

func TestDockerfile(t *testing.T) {
	text, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d, err := readDockerfile(string(text))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine, toolchain, err := goDirectives(string(gomod))
	if err != nil {
		t.Fatal(err)
	}
	v, err := builderGo(d.builder)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBuilder(v, goLine, toolchain); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "go.sum", "cmd/sobolev/main.go"} {
		if _, err := os.Stat(filepath.Join(repoRoot, f)); err != nil {
			t.Errorf("the build needs %s in the context: %v", f, err)
		}
	}
}

func TestDockerfileMutated(t *testing.T) {
	text, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new string }{
		{"CGO_ENABLED=0 ", ""},
		{"-o /sobolev", "-o /bin/sobolev"},
		{"./cmd/sobolev", "./cmd/sobolev/..."},
		{`ENTRYPOINT ["/sobolev"]`, `ENTRYPOINT /sobolev`},
		{`ENTRYPOINT ["/sobolev"]`, `ENTRYPOINT ["/sobolev", "study"]`},
		{"COPY --from=build /sobolev /sobolev", "COPY --from=build /sobolev /usr/bin/sobolev"},
		{"static-debian12:nonroot", "static-debian12:latest"},
		{"USER 65532:65532", "USER 0"},
		{" AS build", ""},
	} {
		mutated := strings.Replace(string(text), tc.old, tc.new, 1)
		if mutated == string(text) {
			t.Fatalf("the Dockerfile has no %q: update the mutation", tc.old)
		}
		if _, err := readDockerfile(mutated); err == nil {
			t.Errorf("accepted the Dockerfile with %q replaced by %q", tc.old, tc.new)
		}
	}
}

func TestCheckBuilder(t *testing.T) {
	for _, tc := range []struct {
		image, goLine, toolchain string
		ok                       bool
	}{
		{"golang:1.26.8", "go1.26.8", "", true},
		{"golang:1.26", "go1.26.8", "", true},
		{"golang:1.26.9-bookworm", "go1.26.8", "", true},
		{"golang:1.26.7", "go1.26.8", "", false},
		{"golang:1.26.8", "go1.26.0", "go1.26.9", false},
		{"golang:1.25.9", "go1.26.0", "", false},
		{"golang:1.27.0", "go1.26.8", "", false},
	} {
		v, err := builderGo(tc.image)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkBuilder(v, tc.goLine, tc.toolchain); (err == nil) != tc.ok {
			t.Errorf("checkBuilder(%s, go %s, toolchain %q) = %v, want ok %t", v, tc.goLine, tc.toolchain, err, tc.ok)
		}
	}
	for _, image := range []string{"golang", "golang:latest", "debian:12", "golang:1.26rc1"} {
		if v, err := builderGo(image); err == nil {
			t.Errorf("builderGo(%q) = %s, want an error", image, v)
		}
	}
}

// TestDockerBuild runs the Dockerfile's go build (its environment and
// arguments, another output path) on the repository, checks that the binary
// is static and runs, and runs the Jobs' commands with it (runPhases).
func TestDockerBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sobolev (about 25 s with a cold build cache)")
	}
	text, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d, err := readDockerfile(string(text))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "sobolev")
	args := slices.Clone(d.buildArgs)
	args[slices.Index(args, "-o")+1] = bin
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), d.buildEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", strings.Join(d.buildEnv, " "), cmd, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a program interpreter: it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %q (%v)", libs, err)
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
		t.Fatalf("sobolev version: %v\n%s", err, out)
	}

	t.Run("Phases", func(t *testing.T) { runPhases(t, bin) })
}

// runPhases runs the args of the three Jobs with the binary, the container
// paths moved into a temporary folder, as an empty shard (index 999 of
// 1000) so that no net is trained: the large and cells phases must accept
// the args and the study config and write the study's config.json, the
// quick grid's, into the DIR under the results mount; merge must then read
// that DIR and refuse it for its missing cells, which it names.
func runPhases(t *testing.T, bin string) {
	m, err := decode(readManifests(t))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	local := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	if err := os.MkdirAll(local(configMount), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(local(resultsMount), 0o755); err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(configKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local(path.Join(configMount, configKey)), config, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(file string) (string, error) {
		c := m.jobs[file].Spec.Template.Spec.Containers[0]
		args := slices.Clone(c.Args)
		for i, a := range args {
			for _, mnt := range c.VolumeMounts {
				if a == mnt.MountPath || strings.HasPrefix(a, mnt.MountPath+"/") {
					args[i] = local(a)
				}
			}
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "JOB_COMPLETION_INDEX=999", "SOBOLEV_SHARD_COUNT=1000")
		out, err := cmd.CombinedOutput()
		return fmt.Sprintf("sobolev %s:\n%s", strings.Join(args, " "), out), err
	}
	for _, file := range []string{"job-large.yaml", "job-cells.yaml"} {
		if out, err := run(file); err != nil {
			t.Fatalf("%s: %v\n%s", file, err, out)
		}
	}
	got, err := os.ReadFile(filepath.Join(local(studyDir), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	quick := filepath.Join(root, "quick")
	if out, err := exec.Command(bin, "study", "--preset", "quick", "--out", quick, "--phase", "large", "--shard", "999/1000").CombinedOutput(); err != nil {
		t.Fatalf("sobolev study --preset quick: %v\n%s", err, out)
	}
	want, err := os.ReadFile(filepath.Join(quick, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not the quick grid: the study's config.json is\n%s\nthe quick preset's is\n%s", configKey, got, want)
	}
	var grid struct{ Problems []string }
	if err := yaml.Unmarshal(config, &grid); err != nil || len(grid.Problems) == 0 {
		t.Fatalf("%s: no problems (%v)", configKey, err)
	}
	out, err := run("job-merge.yaml")
	if err == nil {
		t.Fatalf("merge accepted a study without cells\n%s", out)
	}
	if !strings.Contains(out, grid.Problems[0]+"-s0") {
		t.Errorf("merge does not name the missing cells of %s: it did not read the phases' DIR\n%s", grid.Problems[0], out)
	}
}

// dockerignored reports whether a context path is excluded by one of the
// patterns, for the pattern forms Dockerfile.dockerignore uses: a path
// pattern, which also excludes everything under a matching folder, and
// **/pattern, which matches at any depth.
func dockerignored(file string, patterns []string) bool {
	parts := strings.Split(file, "/")
	for _, p := range patterns {
		rest, anyDepth := strings.CutPrefix(p, "**/")
		for i := range parts {
			name := strings.Join(parts[:i+1], "/")
			if anyDepth {
				name = strings.Join(parts[i:], "/")
			}
			if ok, _ := path.Match(rest, name); ok {
				return true
			}
		}
	}
	return false
}

// TestDockerignore checks that the build context leaves out no file git
// tracks: the build needs them all, and a missing one would mark the binary's
// VCS stamp as modified.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"sobolev-out/run/net.json", true},
		{"mlp/mlp.test", true},
		{"cpu.prof", true},
		{"sobolev/doc.go", false},
		{"cmd/sobolev/main.go", false},
	} {
		if got := dockerignored(tc.file, patterns); got != tc.want {
			t.Errorf("dockerignored(%q) = %t, want %t", tc.file, got, tc.want)
		}
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git to list the tracked files")
	}
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a checkout)", err)
	}
	for _, f := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if dockerignored(f, patterns) {
			t.Errorf("Dockerfile.dockerignore leaves out %s, which git tracks", f)
		}
	}
}
