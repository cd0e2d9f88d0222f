package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/setting"
)

// maxMemoryUsage is the help text of --max-memory.
const maxMemoryUsage = "memory the command may use, e.g. 8GiB or 500MB, instead of what the cgroup limit\n" +
	"and MemAvailable of /proc/meminfo leave; a job estimated to need more is refused before it starts"

// addMaxMemoryFlag registers --max-memory on cmd, stored in max.
func addMaxMemoryFlag(cmd *cobra.Command, max *memlimit.Size) {
	cmd.Flags().Var(max, "max-memory", maxMemoryUsage)
}

// memoryCheck refuses jobs whose memory estimate exceeds what a command may
// use: --max-memory if set, otherwise the memory available (memlimit.Detect).
type memoryCheck struct {
	// name is the command's name for messages, e.g. "run".
	name string
	// max is --max-memory, 0 if not set.
	max memlimit.Size
	// setting names the setting a part of an estimate grows with, as the
	// user gave it (a flag, a YAML key, a file), and says how to lower it.
	setting func(p pipeline.MemoryPart) (name, remedy string)
}

// check returns an error if est needs more memory than the command may use.
// held is the part of est already allocated: the memory available then
// excludes it, while --max-memory bounds the whole estimate. If the memory
// available cannot be found (on systems other than Linux) and --max-memory is
// not set, check accepts everything.
func (c memoryCheck) check(est pipeline.MemoryEstimate, held float64) error {
	need := est.Bytes()
	var limit, source string
	var avail float64
	if c.max != 0 {
		avail = float64(c.max)
		limit, source = memlimit.Format(avail)+" is allowed", "--max-memory "+c.max.String()
	} else {
		a, err := memlimit.Detect()
		if err != nil {
			return nil
		}
		need -= held
		avail = float64(a.Bytes)
		limit, source = memlimit.Format(avail)+" is available", a.Source
	}
	if need <= avail {
		return nil
	}
	big := est.Largest()
	name, remedy := c.setting(big)
	pass := "pass --max-memory"
	if c.max != 0 {
		pass = "raise --max-memory"
	}
	return fmt.Errorf("%s: %s needs about %s for %s, %s in all; %s (%s); %s or %s",
		c.name, name, memlimit.Format(big.Bytes), big.What, memlimit.Format(need), limit, source, remedy, pass)
}

// flagSetting returns the setting function of a command whose estimate parts
// map to its flags by flags (key → flag name without dashes). A key without a
// flag is named by its YAML key, and so is, if fromConfig (the value may come
// from a configuration file), a key whose flag cmd was not given; cmd is only
// used then.
func flagSetting(cmd *cobra.Command, flags map[string]string, fromConfig bool) func(p pipeline.MemoryPart) (string, string) {
	return func(p pipeline.MemoryPart) (string, string) {
		verb := "lower "
		if _, ok := p.Value.(string); ok {
			verb = "change "
		}
		if fl, ok := flags[p.Key]; ok && (!fromConfig || cmd.Flags().Changed(fl)) {
			if path, ok := p.Value.(dataFile); ok {
				return "--" + fl + " " + string(path), "use a smaller --" + fl
			}
			return "--" + fl + " " + setting.FormatValue(p.Value), verb + "--" + fl
		}
		return p.Key + " = " + setting.FormatValue(p.Value), verb + p.Key
	}
}

// dataFile is the path of a data file as the value of a memory part.
type dataFile string

// descrItem finds the item size of an .npy header's dtype, e.g. '<f4'.
var descrItem = regexp.MustCompile(`'descr':\s*'[<>|=]?[a-z](\d+)'`)

// dataFileMemory estimates the memory the arrays of the data file at path
// take once read as float64, from its size and, for a .npz archive, the
// sizes and types of its arrays, without reading the data. Its key is
// "data", the flag that names the file. It returns an empty estimate if the
// file cannot be examined; reading it then reports why.
func dataFileMemory(path string) pipeline.MemoryEstimate {
	part := func(bytes float64) pipeline.MemoryEstimate {
		return pipeline.MemoryEstimate{{What: "its arrays", Key: "data", Value: dataFile(path), Bytes: bytes}}
	}
	if !strings.EqualFold(filepath.Ext(path), ".npz") {
		st, err := os.Stat(path)
		if err != nil {
			return nil
		}
		// A CSV number takes about as many characters as a float64 bytes.
		return part(float64(st.Size()))
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil
	}
	defer zr.Close()
	var bytes float64
	for _, f := range zr.File {
		switch f.Name {
		case "x.npy", "y.npy", "dydx.npy", "gamma.npy", "hessian.npy":
		default:
			continue
		}
		widen := 1.0
		if rc, err := f.Open(); err == nil {
			head := make([]byte, 256)
			k, _ := io.ReadFull(rc, head)
			rc.Close()
			if m := descrItem.FindSubmatch(head[:k]); m != nil {
				if size, err := strconv.Atoi(string(m[1])); err == nil && size >= 1 && size < 8 {
					widen = 8 / float64(size)
				}
			}
		}
		bytes += float64(f.UncompressedSize64) * widen
	}
	return part(bytes)
}
