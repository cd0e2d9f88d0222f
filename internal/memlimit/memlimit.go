// Package memlimit tells how much memory the process may still allocate, and
// reads and writes byte sizes such as "8GiB".
//
// The memory available is the smaller of what the kernel reports free for new
// allocations (MemAvailable in /proc/meminfo) and what the memory cgroups of
// the process leave below their limits (cgroup v2 memory.max, or v1
// memory.limit_in_bytes, minus the memory in use), so that a program can
// refuse a job it cannot finish instead of being killed half way.
package memlimit

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
)

// Available is an amount of memory the process may still allocate.
type Available struct {
	// Bytes is the memory available, in bytes.
	Bytes uint64
	// Source says where Bytes comes from, e.g. "MemAvailable in
	// /proc/meminfo" or "the cgroup limit memory.max of
	// /sys/fs/cgroup/user.slice, 8 GiB with 1.2 GiB in use".
	Source string
}

// unlimited is the smallest cgroup v1 limit read as "no limit": the kernel
// reports an unset limit as the largest multiple of the page size below 2⁶³.
const unlimited = 1 << 62

// Detect returns the memory available to the process: the smaller of
// MemAvailable in /proc/meminfo and, for every memory cgroup from the
// process's own up to the root of its hierarchy that has a limit, that limit
// minus the memory the cgroup uses (its usage less its inactive file cache,
// which the kernel reclaims before it fails an allocation). It returns an
// error if neither figure can be read, as on systems other than Linux.
func Detect() (Available, error) {
	return detect(os.DirFS("/"))
}

// detect is Detect on the file system fsys, rooted at "/".
func detect(fsys fs.FS) (Available, error) {
	best := Available{Bytes: math.MaxUint64}
	found := false
	if b, err := memAvailable(fsys); err == nil {
		best, found = Available{Bytes: b, Source: "MemAvailable in /proc/meminfo"}, true
	}
	for _, c := range cgroupDirs(fsys) {
		a, ok := c.available(fsys)
		if ok && a.Bytes < best.Bytes {
			best, found = a, true
		}
	}
	if !found {
		return Available{}, errors.New("memlimit: cannot tell the memory available: neither /proc/meminfo nor a cgroup memory limit is readable")
	}
	return best, nil
}

// memAvailable returns MemAvailable of /proc/meminfo in bytes.
func memAvailable(fsys fs.FS) (uint64, error) {
	f, err := fsys.Open("proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// MemAvailable:   24319452 kB
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("memlimit: /proc/meminfo: cannot read %q", sc.Text())
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil || kb > math.MaxUint64/1024 {
			return 0, fmt.Errorf("memlimit: /proc/meminfo: cannot read %q", sc.Text())
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("memlimit: /proc/meminfo has no MemAvailable line")
}

// cgroupDir is the directory of one memory cgroup of the process, below the
// mount point of its hierarchy.
type cgroupDir struct {
	dir, mount string
	v2         bool
}

// cgroupDirs returns the memory cgroups of the process: the cgroup v2 one and
// the v1 memory one, whichever are mounted.
func cgroupDirs(fsys fs.FS) []cgroupDir {
	own, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return nil
	}
	mounts, err := fs.ReadFile(fsys, "proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var dirs []cgroupDir
	for line := range strings.Lines(string(own)) {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		v2 := parts[0] == "0" && parts[1] == ""
		if !v2 && !hasItem(parts[1], "memory") {
			continue
		}
		root, mount, ok := findMount(string(mounts), v2)
		if !ok {
			continue
		}
		rel := parts[2]
		if root != "/" {
			if r, ok := strings.CutPrefix(rel, root); ok && (r == "" || r[0] == '/') {
				rel = r
			} else {
				rel = "/" // the process's cgroup is outside the mount: use its root
			}
		}
		dirs = append(dirs, cgroupDir{dir: path.Join(mount, rel), mount: path.Clean(mount), v2: v2})
	}
	return dirs
}

// findMount returns the root and the mount point of the cgroup v2 hierarchy
// (v2) or of the v1 hierarchy with the memory controller, from
// /proc/self/mountinfo.
func findMount(mountinfo string, v2 bool) (root, mount string, ok bool) {
	for line := range strings.Lines(mountinfo) {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		left, right, found := strings.Cut(strings.TrimSpace(line), " - ")
		if !found {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) < 5 || len(rf) < 1 {
			continue
		}
		switch {
		case v2 && rf[0] == "cgroup2":
		case !v2 && rf[0] == "cgroup" && len(rf) >= 3 && hasItem(rf[2], "memory"):
		default:
			continue
		}
		return unescape(lf[3]), unescape(lf[4]), true
	}
	return "", "", false
}

// available returns the smallest of limit − usage over c and its ancestors up
// to the mount point, and false if none of them has a readable limit.
func (c cgroupDir) available(fsys fs.FS) (Available, bool) {
	best := Available{Bytes: math.MaxUint64}
	found := false
	for d := c.dir; ; d = path.Dir(d) {
		if limit, used, ok := c.read(fsys, d); ok {
			free := uint64(0)
			if used < limit {
				free = limit - used
			}
			if free < best.Bytes {
				file := "memory.limit_in_bytes"
				if c.v2 {
					file = "memory.max"
				}
				best = Available{Bytes: free, Source: fmt.Sprintf("the cgroup limit %s of %s, %s with %s in use",
					file, d, Format(float64(limit)), Format(float64(used)))}
				found = true
			}
		}
		if d == c.mount || d == "/" || d == "." {
			return best, found
		}
	}
}

// read returns the limit and the usage of the cgroup directory d, and false
// if it has no limit or they cannot be read.
func (c cgroupDir) read(fsys fs.FS, d string) (limit, used uint64, ok bool) {
	limitFile, usageFile, inactive := "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"
	if c.v2 {
		limitFile, usageFile, inactive = "memory.max", "memory.current", "inactive_file"
	}
	text, err := fs.ReadFile(fsys, fsPath(path.Join(d, limitFile)))
	if err != nil {
		return 0, 0, false
	}
	s := strings.TrimSpace(string(text))
	if s == "max" {
		return 0, 0, false
	}
	limit, err = strconv.ParseUint(s, 10, 64)
	if err != nil || limit >= unlimited {
		return 0, 0, false
	}
	text, err = fs.ReadFile(fsys, fsPath(path.Join(d, usageFile)))
	if err != nil {
		return 0, 0, false
	}
	if used, err = strconv.ParseUint(strings.TrimSpace(string(text)), 10, 64); err != nil {
		return 0, 0, false
	}
	if stat, err := fs.ReadFile(fsys, fsPath(path.Join(d, "memory.stat"))); err == nil {
		for line := range strings.Lines(string(stat)) {
			name, value, _ := strings.Cut(strings.TrimSpace(line), " ")
			if name != inactive {
				continue
			}
			if v, err := strconv.ParseUint(value, 10, 64); err == nil && v <= used {
				used -= v
			}
			break
		}
	}
	return limit, used, true
}

// fsPath returns the fs.FS name of the absolute path p.
func fsPath(p string) string {
	p = strings.TrimPrefix(path.Clean(p), "/")
	if p == "" {
		return "."
	}
	return p
}

// hasItem reports whether the comma-separated list holds item.
func hasItem(list, item string) bool {
	for f := range strings.SplitSeq(list, ",") {
		if f == item {
			return true
		}
	}
	return false
}

// unescape undoes the octal escapes (\040 for a space) of a mountinfo field.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
