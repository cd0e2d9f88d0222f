// Package k8s holds the tests of the Kubernetes deployment of sobolev study:
// the manifests in this folder decode strictly into the Kubernetes API types
// and follow the contract of the study command, the Dockerfile builds the
// static binary they run, and run.sh chains the phases.
package k8s

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The names the manifests, run.sh and the Dockerfile must agree on.
const (
	resultsClaim     = "sobolev-results" // the PersistentVolumeClaim of the results
	configMapName    = "sobolev-study"   // the ConfigMap run.sh makes of the study config
	configKey        = "study.yaml"      // its key, a file name under the config mount
	resultsMount     = "/results"
	configMount      = "/config"
	studyDir         = "/results/study" // DIR of sobolev study --out DIR and study merge DIR
	placeholderImage = "sobolev:latest" // the image run.sh replaces by $IMAGE
	nonrootUID       = 65532            // the user nonroot of the distroless image
)

// kindOf is the apiVersion and kind of the one document of each manifest.
var kindOf = map[string]metav1.TypeMeta{
	"pvc.yaml":       {APIVersion: "v1", Kind: "PersistentVolumeClaim"},
	"job-large.yaml": {APIVersion: "batch/v1", Kind: "Job"},
	"job-cells.yaml": {APIVersion: "batch/v1", Kind: "Job"},
	"job-merge.yaml": {APIVersion: "batch/v1", Kind: "Job"},
	"fetch.yaml":     {APIVersion: "v1", Kind: "Pod"},
}

// phaseOf is the sobolev study phase each Job runs; "merge" is study merge.
var phaseOf = map[string]string{
	"job-large.yaml": "large",
	"job-cells.yaml": "cells",
	"job-merge.yaml": "merge",
}

// contractFlags are the flags of sobolev study (the contract in README).
var contractFlags = []string{"config", "preset", "out", "shard", "shard-count", "phase"}

// manifests are the decoded objects of the manifest files.
type manifests struct {
	pvc   *corev1.PersistentVolumeClaim
	jobs  map[string]*batchv1.Job // by file name
	fetch *corev1.Pod
}

// readManifests returns the contents of the manifest files by name.
func readManifests(t *testing.T) map[string][]byte {
	t.Helper()
	files := make(map[string][]byte)
	for name := range kindOf {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	return files
}

// documents splits a YAML stream into its non-empty documents.
func documents(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		if v != nil {
			docs = append(docs, doc)
		}
	}
}

// decode decodes each file's one document strictly (an unknown or
// duplicated field is an error) into the API type of its kind.
func decode(files map[string][]byte) (manifests, error) {
	m := manifests{jobs: make(map[string]*batchv1.Job)}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(files)) {
		want, ok := kindOf[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: not a known manifest", name))
			continue
		}
		docs, err := documents(files[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
			continue
		}
		if len(docs) != 1 {
			errs = append(errs, fmt.Errorf("%s: %d documents, want 1", name, len(docs)))
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(docs[0], &tm); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
			continue
		}
		if tm != want {
			errs = append(errs, fmt.Errorf("%s: apiVersion %q kind %q, want apiVersion %q kind %q", name, tm.APIVersion, tm.Kind, want.APIVersion, want.Kind))
			continue
		}
		var obj any
		switch want.Kind {
		case "PersistentVolumeClaim":
			m.pvc = new(corev1.PersistentVolumeClaim)
			obj = m.pvc
		case "Job":
			j := new(batchv1.Job)
			m.jobs[name] = j
			obj = j
		case "Pod":
			m.fetch = new(corev1.Pod)
			obj = m.fetch
		}
		if err := yaml.UnmarshalStrict(docs[0], obj); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return manifests{}, err
	}
	if m.pvc == nil || m.fetch == nil || len(m.jobs) != len(phaseOf) {
		return manifests{}, fmt.Errorf("missing manifests: have %d jobs, a claim %t, a fetch pod %t", len(m.jobs), m.pvc != nil, m.fetch != nil)
	}
	return m, nil
}

// check returns every way the manifests break the contract of the study
// command or the rules of the Job API that strict decoding cannot see.
func check(m manifests) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if m.pvc.Name != resultsClaim {
		fail("pvc.yaml: name %q, want %q (the claim the jobs mount)", m.pvc.Name, resultsClaim)
	}
	if !slices.Contains(m.pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		fail("pvc.yaml: access modes %v lack ReadWriteMany: pods on several nodes write the results", m.pvc.Spec.AccessModes)
	}
	if q := m.pvc.Spec.Resources.Requests[corev1.ResourceStorage]; q.Sign() <= 0 {
		fail("pvc.yaml: no storage request")
	}

	for _, file := range slices.Sorted(maps.Keys(m.jobs)) {
		errs = append(errs, checkJob(file, m.jobs[file])...)
	}
	errs = append(errs, checkPod("fetch.yaml", &m.fetch.Spec, true)...)
	if mnt, ok := mountAt(m.fetch.Spec.Containers[0], resultsMount); !ok || !mnt.ReadOnly {
		fail("fetch.yaml: the results volume must be mounted read-only at %s", resultsMount)
	}
	return errors.Join(errs...)
}

// checkJob checks one Job of file against the contract of its phase.
func checkJob(file string, j *batchv1.Job) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(file+": "+format, args...))
	}
	s := &j.Spec
	phase := phaseOf[file]
	indexed := s.CompletionMode != nil && *s.CompletionMode == batchv1.IndexedCompletion

	if errs := validation.IsDNS1123Label(j.Name); len(errs) > 0 {
		fail("name %q: %s", j.Name, strings.Join(errs, "; "))
	}
	if s.TTLSecondsAfterFinished == nil || *s.TTLSecondsAfterFinished <= 0 {
		fail("no ttlSecondsAfterFinished: finished Jobs would stay forever")
	}
	if s.BackoffLimit == nil && s.BackoffLimitPerIndex == nil {
		fail("neither backoffLimit nor backoffLimitPerIndex is set")
	}
	rp := s.Template.Spec.RestartPolicy
	if rp != corev1.RestartPolicyNever && rp != corev1.RestartPolicyOnFailure {
		fail("restartPolicy %q, want Never or OnFailure", rp)
	}
	if (s.BackoffLimitPerIndex != nil || s.PodFailurePolicy != nil) && rp != corev1.RestartPolicyNever {
		fail("restartPolicy %q: backoffLimitPerIndex and podFailurePolicy need Never", rp)
	}
	if s.PodFailurePolicy != nil && (s.PodReplacementPolicy == nil || *s.PodReplacementPolicy != batchv1.Failed) {
		fail("podFailurePolicy needs podReplacementPolicy Failed")
	}

	errs = append(errs, checkPod(file, &s.Template.Spec, false)...)
	if len(s.Template.Spec.Containers) != 1 {
		return errs
	}
	c := s.Template.Spec.Containers[0]

	if phase == "merge" {
		if indexed {
			fail("the merge Job is Indexed: it runs once")
		}
		if want := []string{"study", "merge", studyDir}; !slices.Equal(c.Args, want) {
			fail("args %q, want %q: merge must read the DIR the phases wrote", c.Args, want)
		}
		return errs
	}

	if !indexed {
		fail("completionMode is not Indexed: JOB_COMPLETION_INDEX would be unset")
		return errs
	}
	if s.Completions == nil || *s.Completions < 1 {
		fail("completions must be set and at least 1")
		return errs
	}
	n := *s.Completions
	if s.Parallelism == nil || *s.Parallelism < 1 || *s.Parallelism > n {
		fail("parallelism must be between 1 and completions (%d)", n)
	}
	if host := j.Name + "-" + strconv.Itoa(int(n-1)); len(host) > validation.DNS1123LabelMaxLength {
		fail("pod hostname %q is longer than %d characters", host, validation.DNS1123LabelMaxLength)
	}
	count, ok := envValue(c, "SOBOLEV_SHARD_COUNT")
	if !ok {
		fail("no SOBOLEV_SHARD_COUNT in the environment: --shard auto needs the shard count")
	} else if count != strconv.Itoa(int(n)) {
		fail("SOBOLEV_SHARD_COUNT %q differs from completions %d: shards would be missed or run twice", count, n)
	}

	flags, err := studyFlags(c.Args)
	if err != nil {
		fail("args %q: %v", c.Args, err)
		return errs
	}
	if flags["phase"] != phase {
		fail("--phase %q, want %q", flags["phase"], phase)
	}
	if flags["shard"] != "auto" {
		fail("--shard %q, want auto (the shard from JOB_COMPLETION_INDEX)", flags["shard"])
	}
	if _, ok := flags["shard-count"]; ok {
		fail("--shard-count is set: the count comes from SOBOLEV_SHARD_COUNT, which the test ties to completions")
	}
	if flags["out"] != studyDir {
		fail("--out %q, want %q, the DIR the other phases and merge use", flags["out"], studyDir)
	}
	if want := path.Join(configMount, configKey); flags["config"] != want {
		fail("--config %q, want %q, the ConfigMap's key under its mount", flags["config"], want)
	}
	mnt, ok := mountAt(c, configMount)
	if !ok {
		fail("no volume mounted at %s: --config reads the study config there", configMount)
		return errs
	}
	if !mnt.ReadOnly {
		fail("the config mount %s is not read-only", configMount)
	}
	v := volume(s.Template.Spec, mnt.Name)
	switch {
	case v == nil || v.ConfigMap == nil:
		fail("the volume mounted at %s is not a ConfigMap", configMount)
	case v.ConfigMap.Name != configMapName:
		fail("the config volume's ConfigMap is %q, want %q, the one run.sh creates", v.ConfigMap.Name, configMapName)
	case len(v.ConfigMap.Items) > 0:
		fail("the config volume selects items: mount the whole ConfigMap so that %s is its key %s", flags["config"], configKey)
	}
	return errs
}

// checkPod checks what every pod of the study shares: one container, the
// image, non-root user, resources and the results volume. A fetch pod runs
// its own image and command.
func checkPod(file string, p *corev1.PodSpec, fetch bool) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(file+": "+format, args...))
	}
	if len(p.Containers) != 1 {
		fail("%d containers, want 1", len(p.Containers))
		return errs
	}
	c := p.Containers[0]
	if !fetch {
		if c.Image != placeholderImage {
			fail("image %q, want %q, which run.sh replaces by $IMAGE", c.Image, placeholderImage)
		}
		if len(c.Command) > 0 {
			fail("command %q overrides the image's ENTRYPOINT /sobolev", c.Command)
		}
	} else if len(c.Command) == 0 {
		fail("the fetch pod has no command")
	}
	if c.ImagePullPolicy == "" {
		fail("no imagePullPolicy: a :latest image would always be pulled")
	}
	sc := p.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != nonrootUID || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		fail("the pod must run as non-root user %d, the distroless image's nonroot", nonrootUID)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		switch {
		case !okReq || !okLim:
			fail("%s needs both a request and a limit", r)
		case req.Sign() <= 0:
			fail("%s request %s is not positive", r, req.String())
		case req.Cmp(lim) > 0:
			fail("%s request %s exceeds its limit %s", r, req.String(), lim.String())
		}
	}
	for _, mnt := range c.VolumeMounts {
		if volume(*p, mnt.Name) == nil {
			fail("mount %s names no volume %q", mnt.MountPath, mnt.Name)
		}
	}
	mnt, ok := mountAt(c, resultsMount)
	if !ok {
		fail("no volume mounted at %s", resultsMount)
		return errs
	}
	if v := volume(*p, mnt.Name); v != nil && (v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != resultsClaim) {
		fail("the volume at %s is not the claim %s", resultsMount, resultsClaim)
	}
	if !fetch && mnt.ReadOnly {
		fail("the results volume is read-only")
	}
	return errs
}

// studyFlags parses the args of a phase, "study --name value ..." (or
// --name=value), and returns the flags by name; a flag outside the contract,
// a repeated flag or a positional argument is an error.
func studyFlags(args []string) (map[string]string, error) {
	if len(args) == 0 || args[0] != "study" {
		return nil, errors.New("the first argument must be the subcommand study")
	}
	flags := make(map[string]string)
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			return nil, fmt.Errorf("positional argument %q", a)
		}
		name, value, hasValue := strings.Cut(name, "=")
		if !slices.Contains(contractFlags, name) {
			return nil, fmt.Errorf("flag --%s is not one of sobolev study's (--%s)", name, strings.Join(contractFlags, ", --"))
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, fmt.Errorf("flag --%s has no value", name)
			}
			i++
			value = args[i]
		}
		if _, dup := flags[name]; dup {
			return nil, fmt.Errorf("flag --%s given twice", name)
		}
		flags[name] = value
	}
	return flags, nil
}

// mountAt returns c's volume mount at dir.
func mountAt(c corev1.Container, dir string) (corev1.VolumeMount, bool) {
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) == dir {
			return m, true
		}
	}
	return corev1.VolumeMount{}, false
}

// volume returns p's volume of the given name, nil if there is none.
func volume(p corev1.PodSpec, name string) *corev1.Volume {
	for i := range p.Volumes {
		if p.Volumes[i].Name == name {
			return &p.Volumes[i]
		}
	}
	return nil
}

// envValue returns the literal value of c's environment variable name.
func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value, true
		}
	}
	return "", false
}

func TestManifests(t *testing.T) {
	m, err := decode(readManifests(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := check(m); err != nil {
		t.Fatal(err)
	}
}

// TestManifestsMutated checks that decode and check reject copies of the
// manifests with one typo or one broken rule each.
func TestManifestsMutated(t *testing.T) {
	for _, tc := range []struct {
		name, file, old, new string
		want                 string // in the error
	}{
		{"unknown field", "job-large.yaml", "  completions: 4\n", "  completion: 4\n", `unknown field "completion"`},
		{"unknown container field", "job-cells.yaml", "imagePullPolicy: IfNotPresent\n", "imagePullPolicy: IfNotPresent\n          imagePolicy: Always\n", "unknown field"},
		{"duplicate field", "job-merge.yaml", "  backoffLimit: 1\n", "  backoffLimit: 1\n  backoffLimit: 2\n", "already set"},
		{"apiVersion", "job-large.yaml", "apiVersion: batch/v1\n", "apiVersion: batch/v1beta1\n", "apiVersion"},
		{"kind", "pvc.yaml", "kind: PersistentVolumeClaim\n", "kind: PersistentVolume\n", "kind"},
		{"bad quantity", "job-large.yaml", "memory: 4Gi", "memory: 4GB", "quantities must match"},
		{"request over limit", "job-cells.yaml", "              cpu: \"2\"\n              memory: 4Gi\n            limits:", "              cpu: \"3\"\n              memory: 4Gi\n            limits:", "exceeds its limit"},
		{"shard count env", "job-cells.yaml", `value: "8"`, `value: "6"`, "SOBOLEV_SHARD_COUNT"},
		{"completions", "job-large.yaml", "  completions: 4\n", "  completions: 5\n", "differs from completions"},
		{"shard count name", "job-large.yaml", "name: SOBOLEV_SHARD_COUNT", "name: SOBOLEV_SHARDS", "no SOBOLEV_SHARD_COUNT"},
		{"parallelism", "job-cells.yaml", "  parallelism: 4\n", "  parallelism: 9\n", "parallelism"},
		{"not indexed", "job-cells.yaml", "  completionMode: Indexed\n", "", "not Indexed"},
		{"flag typo", "job-large.yaml", "- --phase\n", "- --phaze\n", "--phaze is not one of"},
		{"wrong phase", "job-cells.yaml", "            - cells\n", "            - large\n", `--phase "large", want "cells"`},
		{"fixed shard", "job-large.yaml", "            - auto\n", "            - 0/4\n", "want auto"},
		{"out dir", "job-cells.yaml", "            - /results/study\n", "            - /results/cells\n", "--out"},
		{"merge dir", "job-merge.yaml", "            - /results/study\n", "            - /results/studies\n", "merge must read the DIR"},
		{"config path", "job-large.yaml", "- /config/study.yaml\n", "- /config/grid.yaml\n", "--config"},
		{"results mount", "job-large.yaml", "mountPath: /results\n", "mountPath: /result\n", "no volume mounted at /results"},
		{"config mount", "job-cells.yaml", "mountPath: /config\n", "mountPath: /etc/sobolev\n", "no volume mounted at /config"},
		{"configmap name", "job-large.yaml", "            name: sobolev-study\n", "            name: sobolev-config\n", "the one run.sh creates"},
		{"claim name", "job-merge.yaml", "claimName: sobolev-results", "claimName: sobolev-result", "not the claim"},
		{"mount without volume", "job-merge.yaml", "- name: tmp\n              mountPath: /tmp", "- name: scratch\n              mountPath: /tmp", `names no volume "scratch"`},
		{"access mode", "pvc.yaml", "    - ReadWriteMany\n", "    - ReadWriteOnce\n", "lack ReadWriteMany"},
		{"restart policy", "job-large.yaml", "restartPolicy: Never", "restartPolicy: OnFailure", "need Never"},
		{"no backoff", "job-merge.yaml", "  backoffLimit: 1\n", "", "neither backoffLimit"},
		{"image", "job-cells.yaml", "image: sobolev:latest", "image: sobolev:v1", "which run.sh replaces"},
		{"root", "job-large.yaml", "runAsUser: 65532", "runAsUser: 0", "non-root user"},
		{"fetch writable", "fetch.yaml", "          readOnly: true\n", "", "read-only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := readManifests(t)
			if !bytes.Contains(files[tc.file], []byte(tc.old)) {
				t.Fatalf("%s does not contain %q: update the mutation", tc.file, tc.old)
			}
			files[tc.file] = bytes.Replace(files[tc.file], []byte(tc.old), []byte(tc.new), 1)
			m, err := decode(files)
			if err == nil {
				err = check(m)
			}
			if err == nil {
				t.Fatalf("accepted %s with %q replaced by %q", tc.file, tc.old, tc.new)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestStudyFlags(t *testing.T) {
	got, err := studyFlags([]string{"study", "--out=/r", "--shard", "auto"})
	if err != nil || len(got) != 2 || got["out"] != "/r" || got["shard"] != "auto" {
		t.Errorf("studyFlags = %v, %v; want out=/r shard=auto", got, err)
	}
	for _, args := range [][]string{
		nil,
		{"train", "--out", "/r"},
		{"study", "--out"},
		{"study", "--out", "/r", "--out", "/s"},
		{"study", "/r"},
		{"study", "--outdir", "/r"},
	} {
		if _, err := studyFlags(args); err == nil {
			t.Errorf("studyFlags(%q) accepted", args)
		}
	}
}
