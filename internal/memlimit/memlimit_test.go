package memlimit

import (
	"strings"
	"testing"
	"testing/fstest"
)

const (
	meminfo = "MemTotal:       24683784 kB\nMemFree:         1000000 kB\nMemAvailable:   24319452 kB\n"
	// memAvail is MemAvailable of meminfo in bytes.
	memAvail = 24319452 * 1024

	mountsV2 = "25 1 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
	mountsV1 = "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:12 - cgroup cgroup rw,memory\n" +
		"31 25 0:27 / /sys/fs/cgroup/cpu rw,nosuid shared:13 - cgroup cgroup rw,cpu,cpuacct\n"
)

// fakeFS returns a file system with meminfo and the given files.
func fakeFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{"proc/meminfo": {Data: []byte(meminfo)}}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

func TestDetect(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		name   string
		files  map[string]string
		want   uint64
		source string
	}{
		{"meminfo only", nil, memAvail, "MemAvailable in /proc/meminfo"},
		{"v2 without a limit", map[string]string{
			"proc/self/cgroup": "0::/user.slice\n", "proc/self/mountinfo": mountsV2,
			"sys/fs/cgroup/user.slice/memory.max": "max\n", "sys/fs/cgroup/user.slice/memory.current": "1000\n",
		}, memAvail, "MemAvailable"},
		{"v2 limit, inactive file cache reclaimed", map[string]string{
			"proc/self/cgroup": "0::/user.slice/job\n", "proc/self/mountinfo": mountsV2,
			"sys/fs/cgroup/user.slice/job/memory.max":     "8589934592\n",
			"sys/fs/cgroup/user.slice/job/memory.current": "3221225472\n",
			"sys/fs/cgroup/user.slice/job/memory.stat":    "anon 1\nfile 2\ninactive_file 1073741824\nactive_file 3\n",
		}, 6 * gib, "the cgroup limit memory.max of /sys/fs/cgroup/user.slice/job, 8.00 GiB with 2.00 GiB in use"},
		{"v2 parent's limit is tighter", map[string]string{
			"proc/self/cgroup": "0::/user.slice/job\n", "proc/self/mountinfo": mountsV2,
			"sys/fs/cgroup/user.slice/job/memory.max":     "8589934592\n",
			"sys/fs/cgroup/user.slice/job/memory.current": "1073741824\n",
			"sys/fs/cgroup/user.slice/memory.max":         "4294967296\n",
			"sys/fs/cgroup/user.slice/memory.current":     "3221225472\n",
		}, 1 * gib, "of /sys/fs/cgroup/user.slice,"},
		{"v2 over its limit", map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": mountsV2,
			"sys/fs/cgroup/memory.max": "1000\n", "sys/fs/cgroup/memory.current": "2000\n",
		}, 0, "memory.max of /sys/fs/cgroup,"},
		{"v2 limit above MemAvailable", map[string]string{
			"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": mountsV2,
			"sys/fs/cgroup/memory.max": "107374182400\n", "sys/fs/cgroup/memory.current": "0\n",
		}, memAvail, "MemAvailable"},
		{"v2 in a container whose mount root is its own cgroup", map[string]string{
			"proc/self/cgroup":         "0::/docker/abc\n",
			"proc/self/mountinfo":      "25 1 0:23 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			"sys/fs/cgroup/memory.max": "2147483648\n", "sys/fs/cgroup/memory.current": "1073741824\n",
		}, 1 * gib, "of /sys/fs/cgroup,"},
		{"v1 limit", map[string]string{
			"proc/self/cgroup":    "5:devices:/\n4:memory:/process_api/x\n1:cpu,cpuacct:/\n",
			"proc/self/mountinfo": mountsV1,
			"sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": "4294967296\n",
			"sys/fs/cgroup/memory/process_api/x/memory.usage_in_bytes": "1610612736\n",
			"sys/fs/cgroup/memory/process_api/x/memory.stat":           "cache 5\ninactive_file 7\ntotal_inactive_file 536870912\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":               "9223372036854771712\n",
			"sys/fs/cgroup/memory/memory.usage_in_bytes":               "123\n",
		}, 3 * gib, "the cgroup limit memory.limit_in_bytes of /sys/fs/cgroup/memory/process_api/x, 4.00 GiB with 1.00 GiB in use"},
		{"v1 without a limit", map[string]string{
			"proc/self/cgroup":    "4:memory:/process_api/x\n",
			"proc/self/mountinfo": mountsV1,
			"sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": "9223372036854771712\n",
			"sys/fs/cgroup/memory/process_api/x/memory.usage_in_bytes": "5300224\n",
		}, memAvail, "MemAvailable"},
		{"mount point with a space", map[string]string{
			"proc/self/cgroup":              "0::/a\n",
			"proc/self/mountinfo":           `25 1 0:23 / /sys/fs/my\040cgroup rw - cgroup2 cgroup2 rw` + "\n",
			"sys/fs/my cgroup/a/memory.max": "2147483648\n", "sys/fs/my cgroup/a/memory.current": "0\n",
		}, 2 * gib, "of /sys/fs/my cgroup/a,"},
		{"unreadable cgroup files", map[string]string{
			"proc/self/cgroup": "0::/a\n", "proc/self/mountinfo": mountsV2,
			"sys/fs/cgroup/a/memory.max": "lots\n", "sys/fs/cgroup/a/memory.current": "0\n",
		}, memAvail, "MemAvailable"},
	} {
		got, err := detect(fakeFS(tc.files))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.Bytes != tc.want || !strings.Contains(got.Source, tc.source) {
			t.Errorf("%s: %d bytes from %q, want %d from a source containing %q", tc.name, got.Bytes, got.Source, tc.want, tc.source)
		}
	}
}

func TestDetectCgroupWithoutMeminfo(t *testing.T) {
	fsys := fstest.MapFS{
		"proc/self/cgroup":             {Data: []byte("0::/\n")},
		"proc/self/mountinfo":          {Data: []byte(mountsV2)},
		"sys/fs/cgroup/memory.max":     {Data: []byte("1048576\n")},
		"sys/fs/cgroup/memory.current": {Data: []byte("0\n")},
	}
	if got, err := detect(fsys); err != nil || got.Bytes != 1<<20 {
		t.Errorf("cgroup limit without /proc/meminfo: %+v, %v; want 1 MiB", got, err)
	}
}

func TestDetectNothing(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"empty":       {},
		"bad meminfo": {"proc/meminfo": {Data: []byte("MemAvailable: many kB\n")}},
		"no line":     {"proc/meminfo": {Data: []byte("MemTotal: 1 kB\n")}},
	} {
		if got, err := detect(fsys); err == nil {
			t.Errorf("%s: %+v, want an error", name, got)
		}
	}
}

// TestDetectHere checks that the memory available on the test machine is
// found and plausible.
func TestDetectHere(t *testing.T) {
	got, err := Detect()
	if err != nil {
		t.Skipf("no memory figure on this system: %v", err)
	}
	if got.Bytes < 1<<20 || got.Source == "" {
		t.Errorf("Detect() = %+v, want at least 1 MiB and a source", got)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Size
	}{
		{"1048576", 1 << 20},
		{"8GiB", 8 << 30},
		{"8 gib", 8 << 30},
		{"500MB", 500e6},
		{"1.5GiB", 3 << 29},
		{" 2 TiB ", 2 << 40},
		{"1kB", 1000},
		{"1KiB", 1024},
		{"7B", 7},
		{"0.5KiB", 512},
		{"2.9", 2},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "GiB", "8G", "8 gigabytes", "-1GiB", "0", "0.1", "NaN", "Inf", "1e9", "1..2MB", "99999999999PiB"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestSizeFlag(t *testing.T) {
	var s Size
	if s.String() != "0" || s.Type() != "size" {
		t.Errorf("zero Size: String %q, Type %q; want \"0\" (pflag hides it) and \"size\"", s.String(), s.Type())
	}
	for _, in := range []string{"8GiB", "3MiB", "1536KiB", "1000", "1PiB"} {
		if err := s.Set(in); err != nil {
			t.Fatal(err)
		}
		if s.String() != in {
			t.Errorf("Set(%q).String() = %q", in, s.String())
		}
	}
	if err := s.Set("x"); err == nil || s.String() != "1PiB" {
		t.Errorf("Set(\"x\"): error %v, value %v; want an error and the value unchanged", err, s)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1536, "1.50 KiB"},
		{23.4 * (1 << 30), "23.4 GiB"},
		{128e12, "116 TiB"},
		{1 << 60, "1.00 EiB"},
		{1e22, "8674 EiB"},
	} {
		if got := Format(tc.in); got != tc.want {
			t.Errorf("Format(%g) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
