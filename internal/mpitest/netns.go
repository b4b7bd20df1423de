package mpitest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The two "hosts" of RunTwoHosts: network namespaces joined by a veth pair,
// with addresses of a private /30 that exist only inside them.
const (
	subnet = "10.213.0.0/30"
	hostA  = "10.213.0.1"
	hostB  = "10.213.0.2"
)

var nsCounter atomic.Int64

// TwoHostResult is a RunTwoHosts job's outcome.
type TwoHostResult struct {
	Result
	// TxBytes and RxBytes are the bytes host A's end of the veth sent and
	// received during the job: the traffic between the two ranks.
	TxBytes, RxBytes int64
}

// RunTwoHosts runs helper (as Run does) as a job of 2 ranks on two hosts
// that share nothing but a network link: network namespaces A and B joined
// by a veth pair, one rank in each, mpirun in A starting B's daemon through
// `ip netns exec` (as its rsh agent), and Open MPI restricted to its TCP
// transport on that link. tb is skipped with a message when namespaces
// cannot be made (not root, no iproute2, no CAP_SYS_ADMIN).
func RunTwoHosts(tb testing.TB, timeout time.Duration, helper, arg string, extraEnv ...string) TwoHostResult {
	tb.Helper()
	mpirun := Mpirun(tb)
	ip, err := exec.LookPath("ip")
	if err != nil {
		tb.Skip("two-host test: no ip command (apt-get install iproute2)")
	}
	if os.Geteuid() != 0 {
		tb.Skip("two-host test: network namespaces need root")
	}
	id := fmt.Sprintf("dg%d-%d", os.Getpid(), nsCounter.Add(1))
	nsA, nsB := id+"a", id+"b"
	run := func(args ...string) error {
		out, err := exec.Command(ip, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		return nil
	}
	if err := run("netns", "add", nsA); err != nil {
		tb.Skipf("two-host test: cannot create a network namespace: %v", err)
	}
	tb.Cleanup(func() { run("netns", "del", nsA) })
	if err := run("netns", "add", nsB); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { run("netns", "del", nsB) })
	// The veth ends are created inside the namespaces: nothing appears in
	// this machine's own network.
	for _, args := range [][]string{
		{"link", "add", "v0", "netns", nsA, "type", "veth", "peer", "name", "v1", "netns", nsB},
		{"-n", nsA, "addr", "add", hostA + "/30", "dev", "v0"},
		{"-n", nsB, "addr", "add", hostB + "/30", "dev", "v1"},
		{"-n", nsA, "link", "set", "lo", "up"},
		{"-n", nsB, "link", "set", "lo", "up"},
		{"-n", nsA, "link", "set", "v0", "up"},
		{"-n", nsB, "link", "set", "v1", "up"},
	} {
		if err := run(args...); err != nil {
			tb.Fatal(err)
		}
	}

	dir := tb.TempDir()
	agent := filepath.Join(dir, "netns-agent")
	// mpirun calls its rsh agent as `agent HOST COMMAND...` with a command
	// line for a remote shell.
	script := fmt.Sprintf(`#!/bin/sh
host=$1; shift
case $host in %s) ns=%s;; %s) ns=%s;; *) echo "netns-agent: unknown host $host" >&2; exit 1;; esac
exec %s netns exec $ns /bin/sh -c "$*"
`, hostA, nsA, hostB, nsB, ip)
	if err := os.WriteFile(agent, []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
	hosts := filepath.Join(dir, "hostfile")
	if err := os.WriteFile(hosts, []byte(hostA+" slots=1\n"+hostB+" slots=1\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	counters := func() (tx, rx int64) {
		read := func(name string) int64 {
			out, err := exec.Command(ip, "netns", "exec", nsA, "cat", "/sys/class/net/v0/statistics/"+name).Output()
			if err != nil {
				tb.Fatalf("read %s of the veth: %v", name, err)
			}
			n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
		return read("tx_bytes"), read("rx_bytes")
	}
	tx0, rx0 := counters()

	args := []string{"netns", "exec", nsA, mpirun, "-np", "2", "--hostfile", hosts,
		"--mca", "plm_rsh_agent", agent,
		"--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", subnet,
		"--mca", "oob_tcp_if_include", subnet}
	env := append([]string{HelperEnv + "=" + arg}, extraEnv...)
	for _, kv := range env {
		args = append(args, "-x", kv)
	}
	args = append(args, os.Args[0], "-test.run=^"+helper+"$", "-test.v", "-test.count=1")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ip, args...)
	cmd.Env = append(append(os.Environ(), env...), RootEnv()...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("mpirun timed out after %v: %w", timeout, err)
	}
	tb.Logf("ip %s", strings.Join(args, " "))
	tx1, rx1 := counters()
	return TwoHostResult{Result: Result{Output: out.String(), Err: err}, TxBytes: tx1 - tx0, RxBytes: rx1 - rx0}
}
