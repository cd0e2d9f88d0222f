package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// manifestName is the file that marks a folder as a finished "sobolev run"
// and lists the files the run wrote there.
const manifestName = ".sobolev-run.json"

// manifest is the content of manifestName.
type manifest struct {
	// Files are the paths of the run's files relative to its folder,
	// slash-separated and sorted; the manifest itself is not among them.
	Files []string `json:"files"`
}

// runOutputs returns the paths, relative to its folder, of the files a run
// writes, for the checks before it starts.
func runOutputs() []string {
	out := []string{"results.json", "run.log", "data/train.npz", "data/test.npz", "data/spec.json", "report/index.html", manifestName}
	for _, s := range []string{pipeline.StageLargeMSE, pipeline.StageLargeSobolev, pipeline.StagePruned,
		pipeline.StagePrunedMSE, pipeline.StagePrunedSobolev, pipeline.StageScratchSobolev} {
		out = append(out, "models/"+s+".onnx", "models/"+s+".greeks.onnx")
	}
	return out
}

// runOut is the output folder of "sobolev run". The run is built in a
// temporary folder on the same file system and moved into the output folder
// only when it is complete, so that a failure or an interruption leaves the
// folder as it was:
//
//   - a missing folder is built as .NAME.sobolev-tmp-*/NAME beside it and
//     renamed into place;
//   - in an existing folder the run is built in .sobolev-tmp-*/NAME inside
//     it; at the end the files of the earlier run are moved aside, the new
//     ones moved into place one by one, and the old ones removed. Files that
//     are not the earlier run's (a user's notes, say) are never touched.
//
// The temporary folder is named after the output folder so that the report
// built in it has the right title.
type runOut struct {
	// dir is the output folder, symbolic links resolved.
	dir string
	// existed says whether dir existed when the run started; owned then
	// holds the files of the earlier run in it.
	existed bool
	owned   []string
	// tmp is the temporary folder; build, inside it, is where the run is
	// built.
	tmp, build string
	// made lists the folders above dir that were made for the run, deepest
	// first, to be removed if it fails.
	made []string
}

// openRunOut checks the output folder out of a run before any work starts
// and makes the temporary folder the run is built in. A folder that exists
// and is neither empty nor a finished run (nothing in it but the files its
// manifest lists) is refused unless force; with force the run replaces only
// the files of an earlier run, and is refused if another file is in the way
// of one it writes. config, if not "", is the run's configuration file,
// which must not be a file the run replaces.
func openRunOut(out string, force bool, config string) (*runOut, error) {
	dir := out
	if fi, err := os.Lstat(out); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if dir, err = filepath.EvalSymlinks(out); err != nil {
			return nil, fmt.Errorf("--out %s is a symbolic link to a folder that does not exist (%v); create the folder or choose another", out, err)
		}
	}
	// An absolute path names the folder also when out is "." or ends in "..".
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	o := &runOut{dir: dir}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := o.mkdirParents(); err != nil {
			return nil, err
		}
		o.tmp, err = os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".sobolev-tmp-*")
		if err != nil {
			o.discard()
			return nil, fmt.Errorf("--out %s: cannot create a temporary folder beside it: %w", out, err)
		}
	case err != nil:
		return nil, fmt.Errorf("--out: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("--out %s is a file, not a folder; choose a folder (a missing one is created)", out)
	default:
		o.existed = true
		if err := o.classify(out, force); err != nil {
			return nil, err
		}
	}
	if err := o.checkConfig(out, config); err != nil {
		o.discard()
		return nil, err
	}
	if o.tmp == "" {
		if o.tmp, err = os.MkdirTemp(dir, ".sobolev-tmp-*"); err != nil {
			return nil, fmt.Errorf("--out %s: cannot create a temporary folder in it: %w", out, err)
		}
	}
	name := filepath.Base(dir)
	if name == string(filepath.Separator) {
		name = "run"
	}
	o.build = filepath.Join(o.tmp, name)
	if err := os.Mkdir(o.build, 0o777); err != nil {
		o.discard()
		return nil, fmt.Errorf("--out %s: cannot create a temporary folder: %w", out, err)
	}
	return o, nil
}

// mkdirParents makes the missing folders above o.dir and records them.
func (o *runOut) mkdirParents() error {
	var missing []string
	for p := filepath.Dir(o.dir); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || filepath.Dir(p) == p {
			break
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
			o.discard()
			return fmt.Errorf("--out %s: cannot create folder %s: %w", o.dir, missing[i], err)
		}
		o.made = append([]string{missing[i]}, o.made...)
	}
	return nil
}

// classify reads the existing folder o.dir: it records the files of an
// earlier run and refuses the folder as openRunOut says.
func (o *runOut) classify(out string, force bool) error {
	owned, marked := ownedFiles(o.dir)
	var foreign []string
	err := filepath.WalkDir(o.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(o.dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
		case d.IsDir():
			if !owned.parent(rel) {
				foreign = append(foreign, rel+"/")
				return fs.SkipDir
			}
		case owned[rel]:
			o.owned = append(o.owned, rel)
		default:
			foreign = append(foreign, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if len(foreign) == 0 && (marked || len(o.owned) == 0) {
		return nil // a finished run, or empty
	}
	switch {
	case force:
	case len(foreign) == 0:
		return fmt.Errorf("--out %s holds a sobolev run without the %s that marks a finished run (a run of an earlier version of sobolev); pass --force to replace it, or choose another folder",
			out, manifestName)
	default:
		return fmt.Errorf("--out %s holds files that sobolev did not write (%s); pass --force to build the run there, replacing only sobolev's files and keeping the others, or choose another folder",
			out, listFiles(foreign))
	}
	for _, rel := range runOutputs() {
		for p := rel; p != "."; p = path.Dir(p) {
			fi, err := os.Lstat(filepath.Join(o.dir, filepath.FromSlash(p)))
			if err != nil {
				continue
			}
			inWay := !owned[p] && (p == rel || !fi.IsDir())
			if inWay {
				return fmt.Errorf("--out %s: %s is in the way of a file the run writes and is not one sobolev wrote; move it away or choose another folder",
					out, filepath.Join(out, filepath.FromSlash(p)))
			}
		}
	}
	return nil
}

// fileSet is a set of slash-separated relative paths.
type fileSet map[string]bool

// parent reports whether the folder dir holds a file of s.
func (s fileSet) parent(dir string) bool {
	for f := range s {
		if strings.HasPrefix(f, dir+"/") {
			return true
		}
	}
	return false
}

// ownedFiles returns the files of the run in dir: those its manifest lists,
// and the manifest, if it has one (marked is then true); otherwise, if dir
// holds a results.json of a run, those that earlier versions of sobolev
// wrote; otherwise none.
func ownedFiles(dir string) (owned fileSet, marked bool) {
	owned = fileSet{}
	if data, err := os.ReadFile(filepath.Join(dir, manifestName)); err == nil {
		var m manifest
		if json.Unmarshal(data, &m) == nil && slices.Contains(m.Files, "results.json") {
			for _, f := range m.Files {
				if f == path.Clean(f) && !path.IsAbs(f) && f != ".." && !strings.HasPrefix(f, "../") {
					owned[f] = true
				}
			}
			owned[manifestName] = true
			return owned, true
		}
	}
	res, err := results.Read(filepath.Join(dir, "results.json"))
	if err != nil {
		return owned, false
	}
	for _, f := range []string{"results.json", "run.log", "data/train.npz", "data/test.npz", "data/spec.json", "report/index.html"} {
		owned[f] = true
	}
	for _, s := range res.Stages {
		for _, m := range []string{s.Model, s.GreeksModel} {
			if m = path.Clean(filepath.ToSlash(m)); strings.HasPrefix(m, "models/") {
				owned[m] = true
			}
		}
	}
	if plots, err := filepath.Glob(filepath.Join(dir, "report", "*.png")); err == nil {
		for _, p := range plots {
			owned["report/"+filepath.Base(p)] = true
		}
	}
	return owned, false
}

// listFiles names the first few of files for a message.
func listFiles(files []string) string {
	const show = 3
	if len(files) <= show {
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(files[:show], ", "), len(files)-show)
}

// checkConfig refuses a configuration file that is one of the files the run
// replaces in its folder.
func (o *runOut) checkConfig(out, config string) error {
	if config == "" || !o.existed {
		return nil
	}
	cfg, err := os.Stat(config)
	if err != nil {
		return nil // reported when the configuration is read
	}
	for _, f := range append(runOutputs(), o.owned...) {
		p := filepath.Join(out, filepath.FromSlash(f))
		if st, err := os.Stat(p); err == nil && os.SameFile(cfg, st) {
			return fmt.Errorf("--config %s is %s, which the run replaces; copy it elsewhere or choose another --out", config, p)
		}
	}
	return nil
}

// commit writes the manifest of the run built in o.build and moves the run
// into o.dir as runOut says. On failure o.dir is left as it was.
func (o *runOut) commit() error {
	files, err := regularFiles(o.build)
	if err != nil {
		return err
	}
	err = atomicfile.Write(filepath.Join(o.build, manifestName), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(manifest{Files: files})
	})
	if err != nil {
		return err
	}
	if !o.existed {
		if err := os.Rename(o.build, o.dir); err != nil {
			return fmt.Errorf("cannot move the run into place: %w", err)
		}
		o.made = nil // they hold the run now
		o.discard()
		return nil
	}
	// The manifest moves last, so that it is there only once the run is.
	return o.merge(append(files, manifestName))
}

// merge moves the files of the earlier run from o.dir into o.tmp/old, then
// the files of the new run from o.build into o.dir, and then removes the
// temporary folder with the earlier run's files in it and the folders of
// the earlier run that are left empty. If a step fails, the moves done so
// far are undone.
func (o *runOut) merge(files []string) (err error) {
	aside, err := os.MkdirTemp(o.tmp, "old-*")
	if err != nil {
		return err
	}
	type move struct{ from, to string }
	var done []move
	var madeDirs []string
	defer func() {
		if err == nil {
			return
		}
		for i := len(done) - 1; i >= 0; i-- {
			os.Rename(done[i].to, done[i].from)
		}
		for i := len(madeDirs) - 1; i >= 0; i-- {
			os.Remove(madeDirs[i])
		}
	}()
	mv := func(from, to string) error {
		if err := os.Rename(from, to); err != nil {
			return fmt.Errorf("cannot move the run into place: %w", err)
		}
		done = append(done, move{from, to})
		return nil
	}
	mkdir := func(root, dir string) error {
		var missing []string
		for p := dir; p != root; p = filepath.Dir(p) {
			if _, err := os.Lstat(p); err == nil {
				break
			}
			missing = append(missing, p)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			if err := os.Mkdir(missing[i], 0o777); err != nil {
				return fmt.Errorf("cannot move the run into place: %w", err)
			}
			madeDirs = append(madeDirs, missing[i])
		}
		return nil
	}
	for _, f := range o.owned {
		from, to := filepath.Join(o.dir, filepath.FromSlash(f)), filepath.Join(aside, filepath.FromSlash(f))
		if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
			continue // removed during the run
		}
		if err := mkdir(aside, filepath.Dir(to)); err != nil {
			return err
		}
		if err := mv(from, to); err != nil {
			return err
		}
	}
	for _, f := range files {
		from, to := filepath.Join(o.build, filepath.FromSlash(f)), filepath.Join(o.dir, filepath.FromSlash(f))
		if err := mkdir(o.dir, filepath.Dir(to)); err != nil {
			return err
		}
		if _, err := os.Lstat(to); err == nil {
			return fmt.Errorf("cannot move the run into place: %s appeared during the run and is in the way", to)
		}
		if err := mv(from, to); err != nil {
			return err
		}
	}
	// Folders of the earlier run that are now empty go; os.Remove leaves
	// any that are not.
	slices.SortFunc(o.owned, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, f := range o.owned {
		for d := path.Dir(f); d != "."; d = path.Dir(d) {
			os.Remove(filepath.Join(o.dir, filepath.FromSlash(d)))
		}
	}
	o.discard()
	return nil
}

// regularFiles returns the regular files under dir as sorted slash-separated
// relative paths.
func regularFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	slices.Sort(files)
	return files, err
}

// discard removes the temporary folder and the folders made above the
// output folder, if they are empty. After a successful commit only the
// emptied temporary folder is left to remove.
func (o *runOut) discard() {
	if o.tmp != "" {
		os.RemoveAll(o.tmp)
		o.tmp = ""
	}
	for _, d := range o.made {
		os.Remove(d)
	}
	o.made = nil
}

// staging writes files that belong together: each goes to a staging folder
// beside the file it replaces (symbolic links followed) and all are renamed
// into place at the end, so that a failure or an interruption leaves
// neither partial nor mismatched files.
type staging struct {
	// dest are the files to write, symbolic links resolved; staged are
	// where they are written first.
	dest, staged []string
	dirs         []string // the staging folders
}

// newStaging prepares the writing of paths. It refuses, before anything is
// written, a path that is not a regular file, is in a missing folder or
// is the same file as another of paths.
func newStaging(paths ...string) (*staging, error) {
	s := &staging{}
	byDir := map[string]string{}
	for _, p := range paths {
		d, err := atomicfile.Resolve(p)
		if err != nil {
			s.remove()
			return nil, err
		}
		for j, e := range s.dest {
			if e == d {
				s.remove()
				return nil, fmt.Errorf("%s and %s are the same file, %s", paths[j], p, d)
			}
		}
		dir := filepath.Dir(d)
		if byDir[dir] == "" {
			tmp, err := os.MkdirTemp(dir, ".sobolev-data-*")
			if err != nil {
				s.remove()
				return nil, fmt.Errorf("cannot write %s: %w", p, err)
			}
			byDir[dir] = tmp
			s.dirs = append(s.dirs, tmp)
		}
		s.dest = append(s.dest, d)
		s.staged = append(s.staged, filepath.Join(byDir[dir], filepath.Base(d)))
	}
	return s, nil
}

// commit renames the staged files into place; a replaced file keeps its
// mode.
func (s *staging) commit() error {
	for i, d := range s.dest {
		if fi, err := os.Stat(d); err == nil {
			if err := os.Chmod(s.staged[i], fi.Mode().Perm()); err != nil {
				return err
			}
		}
		if err := os.Rename(s.staged[i], d); err != nil {
			return err
		}
	}
	return nil
}

// remove removes the staging folders and what is left in them.
func (s *staging) remove() {
	for _, d := range s.dirs {
		os.RemoveAll(d)
	}
}
