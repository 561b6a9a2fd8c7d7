// Command lifeline-vcsim runs VMware's vCenter simulator (govmomi's simulator package) with the
// parts of the vSphere API that Lifeline needs and the simulator lacks: the ExtensionManager,
// Changed Block Tracking (QueryChangedDiskAreas), the vSphere Client's clone-ticket endpoint,
// several users with privileges, and fault, delay and session-expiry injection for tests.
//
// It prints exactly one JSON line on stdout once it is ready (see README.md); everything else goes
// to stderr, so a test can read stdout line by line without filtering.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

type userFlags []string

func (u *userFlags) String() string     { return strings.Join(*u, ",") }
func (u *userFlags) Set(v string) error { *u = append(*u, v); return nil }

type options struct {
	vms          int
	datacenters  int
	clusters     int
	hosts        int
	datastores   int
	disks        int
	diskSize     int64
	cbtSpan      int64
	cbtEnabled   bool
	powerOff     bool
	datastoreDir string
	username     string
	password     string
	users        userFlags
	portgroups   userFlags
	exitOnEOF    bool
	trace        bool
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("lifeline-vcsim", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	var diskSize, cbtSpan string
	fs.IntVar(&o.vms, "vms", 2, "number of virtual machines in total, spread over the clusters")
	fs.IntVar(&o.datacenters, "datacenters", 1, "number of datacenters")
	fs.IntVar(&o.clusters, "clusters", 1, "clusters per datacenter")
	fs.IntVar(&o.hosts, "hosts", 1, "hosts per cluster")
	fs.IntVar(&o.datastores, "datastores", 1, "local datastores per datacenter (mounted on all its hosts)")
	fs.IntVar(&o.disks, "disks", 1, "virtual disks per VM")
	fs.StringVar(&diskSize, "disk-size", "64MiB", "capacity of each disk: bytes, or with K/KiB, M/MiB, G/GiB, T/TiB (binary units)")
	fs.StringVar(&cbtSpan, "cbt-span", "16MiB", "largest span of the disk that one QueryChangedDiskAreas reply covers")
	fs.BoolVar(&o.cbtEnabled, "cbt", false, "create the VMs with changeTrackingEnabled=true")
	fs.BoolVar(&o.powerOff, "powered-off", false, "leave the VMs powered off (default: powered on)")
	fs.StringVar(&o.datastoreDir, "datastore-dir", "", "parent directory for the datastore directories (default: the system temp dir)")
	fs.StringVar(&o.username, "username", "administrator@vsphere.local", "administrator user name")
	fs.StringVar(&o.password, "password", "Lifeline-1!", "administrator password")
	fs.Var(&o.users, "user", "extra user NAME:PASSWORD[:PRIV,PRIV...] with only those privileges (repeatable)")
	fs.Var(&o.portgroups, "portgroup", "extra standard port group NAME on vSwitch0 of each datacenter's first host (repeatable)")
	fs.BoolVar(&o.exitOnEOF, "exit-on-stdin-eof", false, "exit when standard input closes (so the simulator dies with its parent)")
	fs.BoolVar(&o.trace, "trace", false, "write SOAP traffic to stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if o.diskSize, err = parseSize(diskSize); err != nil {
		return nil, fmt.Errorf("--disk-size: %v", err)
	}
	if o.diskSize <= 0 || o.diskSize%1024 != 0 {
		return nil, fmt.Errorf("--disk-size must be a positive multiple of 1024 bytes, got %d", o.diskSize)
	}
	if o.cbtSpan, err = parseSize(cbtSpan); err != nil {
		return nil, fmt.Errorf("--cbt-span: %v", err)
	}
	if o.cbtSpan < cbtBlockSize || o.cbtSpan%cbtBlockSize != 0 {
		return nil, fmt.Errorf("--cbt-span must be a positive multiple of %d bytes", cbtBlockSize)
	}
	if o.vms < 0 || o.disks < 0 || o.datacenters < 1 || o.clusters < 1 || o.hosts < 1 || o.datastores < 1 {
		return nil, fmt.Errorf("--datacenters, --clusters, --hosts and --datastores must be at least 1; --vms and --disks at least 0")
	}
	if o.username == "" || o.password == "" {
		return nil, fmt.Errorf("--username and --password must not be empty")
	}
	return o, nil
}

// parseSize reads "1048576", "64MiB", "8G" and the like; all units are binary.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s = strings.TrimSpace(strings.TrimSuffix(s, u.suffix))
			mult = u.mult
			break
		}
	}
	var n int64
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	if n < 0 || (n > 0 && mult > (1<<62)/n) {
		return 0, fmt.Errorf("size out of range: %q", s)
	}
	return n * mult, nil
}

func main() {
	// When the parent dies, our stderr pipe breaks; a log line must not kill us (SIGPIPE) before
	// the clean-up below has removed the datastore directories.
	signal.Ignore(syscall.SIGPIPE)
	// Catch stop signals from the start: one that arrives while the inventory is being built, or
	// just after the ready line, must still lead to the clean-up below.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	log.SetOutput(os.Stderr)
	log.SetPrefix("lifeline-vcsim: ")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		log.Printf("%v", err)
		os.Exit(2)
	}

	parent := opts.datastoreDir
	if parent == "" {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		log.Fatalf("datastore dir: %v", err)
	}
	root, err := ioutil.TempDir(parent, "lifeline-vcsim-")
	if err != nil {
		log.Fatalf("datastore dir: %v", err)
	}
	root, _ = filepath.Abs(root)

	h, err := start(opts, root)
	if err != nil {
		_ = os.RemoveAll(root)
		log.Fatalf("start: %v", err)
	}

	ready, err := h.readyLine()
	if err != nil {
		h.stop()
		_ = os.RemoveAll(root)
		log.Fatalf("ready line: %v", err)
	}
	line, _ := json.Marshal(ready)
	out := bufio.NewWriter(os.Stdout)
	_, _ = out.Write(append(line, '\n'))
	_ = out.Flush()
	log.Printf("ready at %s", ready.URL)

	done := make(chan string, 2)
	go func() { done <- (<-sigs).String() }()
	if opts.exitOnEOF {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			done <- "end of standard input"
		}()
	}
	why := <-done
	log.Printf("stopping (%s)", why)
	h.stop()
	_ = os.RemoveAll(root)
}
