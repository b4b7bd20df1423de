// Package mpitest runs a test binary's helper under mpirun: the test
// re-executes its own binary (os.Args[0]) with -test.run selecting a helper
// test, which does the rank's work when HelperEnv is set.
//
// Without an mpirun on PATH the calling test is skipped with a message,
// except under CI=true (where .ci/run installs Open MPI) where it fails.
package mpitest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// HelperEnv is set (to the helper's argument) in the environment of the
// processes mpirun starts.
const HelperEnv = "DISTILGO_MPI_HELPER"

// Mpirun returns the path of mpirun, or skips tb (fails it under CI=true).
func Mpirun(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("mpirun")
	if err != nil {
		msg := "mpirun not found (apt-get install openmpi-bin libopenmpi-dev): " + err.Error()
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return p
}

// Result is what one mpirun job left.
type Result struct {
	Output string // stdout and stderr of mpirun and every rank
	Err    error  // nil when mpirun exited 0
}

// Run starts mpirun with mpiArgs (e.g. -np 2) on this test binary running
// the test named helper, with HelperEnv=arg and extraEnv in every rank's
// environment, and waits at most timeout.
func Run(tb testing.TB, timeout time.Duration, mpiArgs []string, helper, arg string, extraEnv ...string) Result {
	tb.Helper()
	mpirun := Mpirun(tb)
	args := append([]string{}, mpiArgs...)
	// Pass the helper's variables to every rank (mpirun forwards only what
	// -x names, for remote ranks).
	env := append([]string{HelperEnv + "=" + arg}, extraEnv...)
	for _, kv := range env {
		args = append(args, "-x", kv)
	}
	args = append(args, os.Args[0], "-test.run=^"+helper+"$", "-test.v", "-test.count=1")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, mpirun, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, RootEnv()...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("mpirun timed out after %v: %w", timeout, err)
	}
	tb.Logf("mpirun %s", strings.Join(args, " "))
	return Result{Output: out.String(), Err: err}
}

// RootEnv returns the variables that let Open MPI's mpirun run as root
// (containers, CI), where it otherwise refuses to start.
func RootEnv() []string {
	if os.Geteuid() != 0 {
		return nil
	}
	return []string{"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"}
}

// Helper returns HelperEnv's value and whether this process is a helper.
func Helper() (string, bool) { return os.LookupEnv(HelperEnv) }
