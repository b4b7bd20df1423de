package dirlock

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// holderEnv makes the test binary a lock holder: it locks the directory
// named by the variable, says "locked" on stdout and waits for stdin to
// close (or to be killed).
const holderEnv = "DIRLOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		l, err := Acquire(dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startHolder runs a second process that holds the lock on dir.
func startHolder(t *testing.T, dir string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("holder process: %q", line)
	}
	return cmd, stdin
}

func TestSecondProcessFailsNamingDirAndPID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	holder, stdin := startHolder(t, dir)

	_, err := Acquire(dir)
	want := fmt.Sprintf("directory %s is in use by process %d (another run writes into it)", dir, holder.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Acquire while another process holds the lock: err = %v, want it to contain %q", err, want)
	}

	// A clean release frees the directory.
	stdin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder released: %v", err)
	}
	l.Release()
}

func TestKilledHolderLeavesNoStaleLock(t *testing.T) {
	if !flockSupported {
		t.Skip("no flock(2) on this system: a killed holder leaves its lock file")
	}
	dir := filepath.Join(t.TempDir(), "out")
	holder, _ := startHolder(t, dir)
	if err := holder.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	holder.Wait()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	defer l.Release()
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	if got, want := strings.TrimSpace(string(data)), fmt.Sprint(os.Getpid()); got != want {
		t.Errorf("lock file holds %q, want this process's PID %s", got, want)
	}
}

func TestSameProcessSecondAcquireFails(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("directory %s is in use by process %d", dir, os.Getpid())
	if _, err := Acquire(dir); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second Acquire: err = %v, want %q", err, want)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}
