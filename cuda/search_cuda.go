//go:build cuda && cgo

package cuda

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
)

// searchDirs lists the directories where the CUDA libraries are looked for
// when the dynamic loader does not find them by soname: the toolkit
// ($CUDA_HOME, $CUDA_PATH, /usr/local/cuda, /usr/local/cuda-X.Y, newest
// first), the distribution's library directories, and the lib directories
// of NVIDIA's Python wheels (nvidia/*/lib) of system, /usr/local, virtual
// environment and /opt/torch installs.
func searchDirs() []string {
	arch, multiarch := "x86_64-linux", "x86_64-linux-gnu"
	if runtime.GOARCH == "arm64" {
		arch, multiarch = "sbsa-linux", "aarch64-linux-gnu"
	}
	var dirs []string
	for _, env := range []string{"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"} {
		if v := os.Getenv(env); v != "" {
			dirs = append(dirs, v+"/lib64", v+"/lib", v+"/targets/"+arch+"/lib")
		}
	}
	dirs = append(dirs, "/usr/local/cuda/lib64", "/usr/local/cuda/targets/"+arch+"/lib")
	versioned := globSorted("/usr/local/cuda-*")
	sortByVersionDesc(versioned)
	for _, v := range versioned {
		dirs = append(dirs, v+"/lib64", v+"/targets/"+arch+"/lib")
	}
	// The driver's libraries in NVIDIA's container images, then the system's.
	dirs = append(dirs, "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib")
	dirs = append(dirs, "/usr/lib/"+multiarch, "/usr/lib64", "/usr/lib", "/usr/lib/wsl/lib")
	var py []string
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		py = append(py, v+"/lib/python3*/site-packages")
	}
	py = append(py,
		"/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"/usr/lib/python3*/site-packages",
		"/opt/torch/.venv/lib/python3*/site-packages",
		"/opt/conda/lib/python3*/site-packages",
	)
	for _, p := range py {
		dirs = append(dirs, globSorted(p+"/nvidia/*/lib")...)
		dirs = append(dirs, globSorted(p+"/torch/lib")...)
	}
	return dirs
}

// candidates returns the names to try for a library, best first: the
// sonames as they are (the dynamic loader searches LD_LIBRARY_PATH and the
// ldconfig cache), then in each directory the sonames that exist there,
// then the other files matching glob there, newest version first.
func candidates(sonames []string, glob string, dirs []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range sonames {
		add(s)
	}
	for _, d := range dirs {
		for _, s := range sonames {
			p := filepath.Join(d, s)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				add(p)
			}
		}
		matches := globSorted(filepath.Join(d, glob))
		sortByVersionDesc(matches)
		for _, p := range matches {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				add(p)
			}
		}
	}
	return out
}

// globSorted is filepath.Glob with a malformed pattern treated as no match.
func globSorted(pattern string) []string {
	m, err := filepath.Glob(pattern)
	if err != nil {
		return nil
	}
	sort.Strings(m)
	return m
}

// sortByVersionDesc orders paths by the numbers in their base names,
// highest first ("cuda-13.0" before "cuda-12.8", "libx.so.13" before
// "libx.so.12.1"), and by name where those are equal.
func sortByVersionDesc(paths []string) {
	sort.SliceStable(paths, func(i, j int) bool {
		a, b := versionOf(filepath.Base(paths[i])), versionOf(filepath.Base(paths[j]))
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return paths[i] < paths[j]
	})
}

// versionOf returns the runs of digits in s as numbers.
func versionOf(s string) []int {
	var v []int
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(s[i:j])
		v = append(v, n)
		i = j
	}
	return v
}
