package main

// NFS datastores as ESXi mounts them. Follows the vSphere Web Services API reference:
// HostDatastoreSystem.CreateNasDatastore and HostDatastoreSystem.RemoveDatastore (managed object
// HostDatastoreSystem), the data object HostNasVolumeSpec, and VirtualMachine.RelocateVM_Task
// with VirtualMachineRelocateSpecDiskLocator (a disk moved to another datastore while the VM
// keeps running).
//
// govmomi's simulator takes HostNasVolumeSpec.localPath as a directory of this machine and never
// contacts remoteHost:remotePath. ESXi takes localPath as the datastore's name and mounts the
// share over NFS v3: it asks the portmapper on remoteHost (port 111) for the MOUNT and NFS
// programs, mounts remotePath and from then on reads and writes the datastore's files through
// NFS only. So does this harness, with real NFS clients: Debian's libnfs tools (nfs-ls, nfs-cat)
// and qemu-img/qemu-io through qemu-block-extra's nfs driver (both libnfs; they mount the folder
// of the file they open, a sub-directory of the export, where ESXi mounts the export once and
// looks files up in it). Through NFS go:
//   - the mount itself (CreateNasDatastore fails with NasConfigFault when the share cannot be listed),
//   - the datastore browser (SearchDatastore_Task, SearchDatastoreSubFolders_Task),
//   - guest writes and reads of disks on the datastore (/lifeline-sim/disks/write and /read),
//   - powering on a VM whose disks are on it (each disk's descriptor and flat file must be there),
//   - attaching an existing disk from it (ReconfigVM_Task; the file must exist on the share),
//   - RelocateVM_Task copying a disk from it to a local datastore (relocate.go).
// The simulator still wants a local directory per datastore for its bookkeeping: the harness gives
// it an empty one, in which it keeps only empty names of attached disks (the simulator stats them
// when a disk is attached); no byte of the datastore's files is stored there.
//
// Every second the harness asks the server's portmapper for its NULL procedure; while it gets no
// answer the datastore is inaccessible (summary.accessible and each host mount's accessible are
// false), as ESXi marks an NFS datastore whose server went away.
//
// Differences from ESXi, stated so no test relies on them: only NFS v3 (type "NFS"); no Kerberos;
// a guest read or write while the server is away fails at once (ESXi holds the VM's I/O until the
// server is back); a relocate does not remove the source files from
// an NFS datastore (libnfs-utils have no remove; ESXi deletes them); files cannot be uploaded to an
// NFS datastore through /folder (refused with 405), nor can disks be created on one; changed
// block tracking does not follow guest writes to disks on an NFS datastore.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// nasMount is one NFS share mounted as a datastore.
type nasMount struct {
	ref        types.ManagedObjectReference
	name       string
	remoteHost string
	remotePath string
	readOnly   bool
	shadow     string // the simulator's empty local directory for this datastore
	hosts      []types.ManagedObjectReference
}

type nasTable struct {
	mu     sync.Mutex
	root   string
	seq    int
	mounts map[string]*nasMount // by datastore moref value
	// Guest writes hold it for reading; a relocate holds it for writing while it copies a disk,
	// so no guest write lands in a file that is being copied (Storage vMotion mirrors such writes).
	io sync.RWMutex
}

func newNasTable(root string) *nasTable {
	return &nasTable{root: root, mounts: map[string]*nasMount{}}
}

func (t *nasTable) byRef(ref types.ManagedObjectReference) *nasMount {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mounts[ref.Value]
}

func (t *nasTable) byName(name string) *nasMount {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.mounts {
		if m.name == name {
			return m
		}
	}
	return nil
}

func (t *nasTable) byRemote(host, p string) *nasMount {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.mounts {
		if m.remoteHost == host && m.remotePath == p {
			return m
		}
	}
	return nil
}

// url is the libnfs URL of a file on the share; rel is a datastore-relative path.
func (m *nasMount) url(rel string) string {
	p := path.Join("/", m.remotePath, rel)
	u := url.URL{Scheme: "nfs", Host: m.remoteHost, Path: p}
	return u.String()
}

// ---- NFS clients ----

const nfsToolTimeout = 10 * time.Minute

func runTool(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), nfsToolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

type nfsEntry struct {
	name  string
	size  int64
	isDir bool
}

// nfsList lists a folder of the share with nfs-ls (lines like ls -l: mode, links, uid, gid, size, name).
func nfsList(m *nasMount, rel string) ([]nfsEntry, error) {
	out, err := runTool("nfs-ls", m.url(rel))
	if err != nil {
		if strings.Contains(err.Error(), "NOENT") {
			return nil, os.ErrNotExist
		}
		return nil, err
	}
	var entries []nfsEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			continue
		}
		name := strings.Join(f[5:], " ")
		if name == "." || name == ".." {
			continue
		}
		size, _ := strconv.ParseInt(f[4], 10, 64)
		entries = append(entries, nfsEntry{name: name, size: size, isDir: strings.HasPrefix(f[0], "d")})
	}
	return entries, nil
}

// nfsStat finds one file through a listing of its folder; nil when it is not there.
func nfsStat(m *nasMount, rel string) (*nfsEntry, error) {
	entries, err := nfsList(m, path.Dir(rel))
	if err == os.ErrNotExist {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.name == path.Base(rel) {
			e := e
			return &e, nil
		}
	}
	return nil, nil
}

// nfsReadRange reads [offset, offset+length) of a file on the share: a small file whole with
// nfs-cat, a disk's flat file with qemu-img (raw driver with offset and size, which must be
// multiples of 512, over the nfs protocol driver).
func nfsReadRange(m *nasMount, rel string, offset, length int64) ([]byte, error) {
	if offset+length <= 4<<20 && !strings.HasSuffix(rel, "-flat.vmdk") {
		all, err := nfsCat(m, rel)
		if err != nil {
			return nil, err
		}
		if offset+length > int64(len(all)) {
			return nil, fmt.Errorf("%s: read past the end", rel)
		}
		return all[offset : offset+length], nil
	}
	start := offset &^ 511
	end := (offset + length + 511) &^ 511
	tmp, err := ioutil.TempFile("", "nas-read-")
	if err != nil {
		return nil, err
	}
	name := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(name)
	if err := os.Truncate(name, end-start); err != nil {
		return nil, err
	}
	src := fmt.Sprintf("driver=raw,offset=%d,size=%d,file.driver=nfs,file.server.type=inet,file.server.host=%s,file.path=%s",
		start, end-start, m.remoteHost, path.Join("/", m.remotePath, rel))
	if _, err := runTool("qemu-img", "convert", "-n", "--image-opts", src, "--target-image-opts", "driver=raw,file.driver=file,file.filename="+name); err != nil {
		return nil, err
	}
	data, err := ioutil.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return data[offset-start : offset-start+length], nil
}

// nfsWrite writes data at offset into a file on the share with qemu-io.
func nfsWrite(m *nasMount, rel string, offset int64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	tmp, err := ioutil.TempFile("", "nas-write-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	_ = tmp.Close()
	_, err = runTool("qemu-io", "-f", "raw", "-c", fmt.Sprintf("write -q -s %s %d %d", tmp.Name(), offset, len(data)), m.url(rel))
	return err
}

// nfsCopyOut copies a whole file from the share to a local file (holes stay holes).
func nfsCopyOut(m *nasMount, rel, local string) error {
	_, err := runTool("qemu-img", "convert", "-f", "raw", "-O", "raw", m.url(rel), local)
	return err
}

func nfsCat(m *nasMount, rel string) ([]byte, error) {
	return runTool("nfs-cat", m.url(rel))
}

// ---- CreateNasDatastore / RemoveDatastore ----

var localPathElement = regexp.MustCompile(`<((?:[\w.-]+:)?localPath)(?:\s[^>]*)?>[^<]*</(?:[\w.-]+:)?localPath>`)

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (h *harness) createNasDatastore(w http.ResponseWriter, r *http.Request, body []byte, req *types.CreateNasDatastore) {
	s := req.Spec
	invalid := func(prop, why string) {
		writeFault(w, why, &types.InvalidArgument{InvalidProperty: prop})
	}
	switch {
	case s.RemoteHost == "":
		invalid("spec.remoteHost", "A specified parameter was not correct: spec.remoteHost")
		return
	case s.RemotePath == "" || !strings.HasPrefix(s.RemotePath, "/"):
		invalid("spec.remotePath", "A specified parameter was not correct: spec.remotePath")
		return
	case s.LocalPath == "" || strings.ContainsAny(s.LocalPath, "/[]"):
		invalid("spec.localPath", "A specified parameter was not correct: spec.localPath (the datastore's name)")
		return
	case s.Type != "" && s.Type != string(types.HostFileSystemVolumeFileSystemTypeNFS):
		writeFault(w, "only NFS v3 shares (type NFS) are simulated, not "+s.Type, &types.NotSupported{})
		return
	case s.AccessMode != string(types.HostMountModeReadWrite) && s.AccessMode != string(types.HostMountModeReadOnly):
		invalid("spec.accessMode", "A specified parameter was not correct: spec.accessMode")
		return
	}
	host, ok := h.datastoreSystemHost(req.This)
	if !ok {
		writeFault(w, "no such HostDatastoreSystem", &types.ManagedObjectNotFound{Obj: req.This})
		return
	}
	if m := h.nas.byRemote(s.RemoteHost, s.RemotePath); m != nil {
		for _, mh := range m.hosts {
			if mh == host {
				writeFault(w, fmt.Sprintf("%s:%s is already mounted on this host as %s", s.RemoteHost, s.RemotePath, m.name), &types.AlreadyExists{Name: m.name})
				return
			}
		}
		if m.name != s.LocalPath {
			writeFault(w, fmt.Sprintf("%s:%s is mounted on other hosts as %s", s.RemoteHost, s.RemotePath, m.name), &types.DuplicateName{Name: m.name, Object: m.ref})
			return
		}
		// The same share on another host is the same datastore, mounted there too.
		h.addNasHost(m, host)
		writeResult(w, &types.CreateNasDatastoreResponse{Returnval: m.ref})
		return
	}
	probe := &nasMount{name: s.LocalPath, remoteHost: s.RemoteHost, remotePath: s.RemotePath}
	if _, err := nfsList(probe, ""); err != nil {
		writeFault(w, fmt.Sprintf("NFS mount %s:%s failed: %v", s.RemoteHost, s.RemotePath, err), &types.NasConfigFault{Name: s.LocalPath})
		return
	}

	h.nas.mu.Lock()
	h.nas.seq++
	shadow := filepath.Join(h.nas.root, fmt.Sprintf("nas-%d", h.nas.seq), s.LocalPath)
	h.nas.mu.Unlock()
	if err := os.MkdirAll(shadow, 0o700); err != nil {
		writeFault(w, err.Error(), &types.HostConfigFault{})
		return
	}
	rewritten := localPathElement.ReplaceAll(body, []byte("<${1}>"+xmlEscape(shadow)+"</${1}>"))
	rec := h.invoke(r, rewritten)
	if rec.Code != http.StatusOK {
		_ = os.RemoveAll(filepath.Dir(shadow))
		copyResponse(w, rec)
		return
	}
	m := regexp.MustCompile(`<returnval type="Datastore">([^<]+)</returnval>`).FindSubmatch(rec.Body.Bytes())
	if m == nil {
		copyResponse(w, rec)
		return
	}
	mount := &nasMount{
		ref:        types.ManagedObjectReference{Type: "Datastore", Value: string(m[1])},
		name:       s.LocalPath,
		remoteHost: s.RemoteHost,
		remotePath: s.RemotePath,
		readOnly:   s.AccessMode == string(types.HostMountModeReadOnly),
		shadow:     shadow,
	}
	h.nas.mu.Lock()
	h.nas.mounts[mount.ref.Value] = mount
	h.nas.mu.Unlock()
	h.addNasHost(mount, host)
	go h.watchNas(mount)
	log.Printf("NAS datastore %s mounted from %s:%s", mount.name, mount.remoteHost, mount.remotePath)
	copyResponse(w, rec)
}

func (h *harness) datastoreSystemHost(dss types.ManagedObjectReference) (types.ManagedObjectReference, bool) {
	obj, ok := simulator.Map.Get(dss).(*simulator.HostDatastoreSystem)
	if !ok || obj.Host == nil {
		return types.ManagedObjectReference{}, false
	}
	return obj.Host.Reference(), true
}

// addNasHost records a host's mount of the share on the datastore (Datastore.host), as ESXi
// reports it, and lists the datastore on that host.
func (h *harness) addNasHost(m *nasMount, host types.ManagedObjectReference) {
	ds, ok := simulator.Map.Get(m.ref).(*simulator.Datastore)
	if !ok {
		return
	}
	mode := types.HostMountModeReadWrite
	if m.readOnly {
		mode = types.HostMountModeReadOnly
	}
	simulator.Map.WithLock(ds, func() {
		ds.Host = append(ds.Host, types.DatastoreHostMount{
			Key: host,
			MountInfo: types.HostMountInfo{
				Path:       "/vmfs/volumes/" + m.name,
				AccessMode: string(mode),
				Mounted:    types.NewBool(true),
				Accessible: types.NewBool(true),
			},
		})
	})
	if hs, ok := simulator.Map.Get(host).(*simulator.HostSystem); ok {
		simulator.Map.AddReference(hs, &hs.Datastore, m.ref)
	}
	m.hosts = append(m.hosts, host)
}

func (h *harness) removeDatastore(w http.ResponseWriter, r *http.Request, req *types.RemoveDatastore) {
	ds, ok := simulator.Map.Get(req.Datastore).(*simulator.Datastore)
	if !ok {
		writeFault(w, "The object or item referred to could not be found.", &types.NotFound{})
		return
	}
	if users := vmsUsing(req.Datastore); len(ds.Vm) != 0 || users > 0 {
		writeFault(w, fmt.Sprintf("The datastore %s is in use by virtual machines.", ds.Name), &types.ResourceInUse{Type: "Datastore", Name: ds.Name})
		return
	}
	destroy := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><Destroy_Task xmlns="urn:vim25"><_this type="Datastore">%s</_this></Destroy_Task></soapenv:Body></soapenv:Envelope>`, xmlEscape(req.Datastore.Value))
	rec := h.invoke(r, []byte(destroy))
	task := finishedTask(rec.Body.Bytes())
	if rec.Code != http.StatusOK || task == nil {
		copyResponse(w, rec)
		return
	}
	if task.Info.Error != nil {
		writeFault(w, task.Info.Error.LocalizedMessage, task.Info.Error.Fault)
		return
	}
	if dss, ok := simulator.Map.Get(req.This).(*simulator.HostDatastoreSystem); ok {
		simulator.Map.WithLock(dss, func() { simulator.RemoveReference(&dss.Datastore, req.Datastore) })
	}
	if m := h.nas.byRef(req.Datastore); m != nil {
		h.nas.mu.Lock()
		delete(h.nas.mounts, req.Datastore.Value)
		h.nas.mu.Unlock()
		_ = os.RemoveAll(filepath.Dir(m.shadow))
		log.Printf("NAS datastore %s unmounted", m.name)
	}
	writeResult(w, &types.RemoveDatastoreResponse{})
}

// vmsUsing counts the VMs with a disk on the datastore (the simulator does not list a VM in
// Datastore.vm for a disk attached later).
func vmsUsing(ds types.ManagedObjectReference) int {
	n := 0
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		simulator.Map.WithLock(vm, func() {
			for _, dev := range vm.Config.Hardware.Device {
				if _, backing, ok := flatDisk(dev); ok && backing.Datastore != nil && *backing.Datastore == ds {
					n++
					return
				}
			}
		})
	}
	return n
}

// ---- the datastore browser ----

func (h *harness) searchNas(w http.ResponseWriter, method string, this types.ManagedObjectReference, dsPath string, spec *types.HostDatastoreBrowserSearchSpec, recurse bool) bool {
	var p object.DatastorePath
	if !p.FromString(dsPath) {
		return false
	}
	m := h.nas.byName(p.Datastore)
	if m == nil {
		return false
	}
	task := newTask(method, this)
	startTask(task)
	var results []types.HostDatastoreBrowserSearchResults
	var walk func(rel, folder string) error
	walk = func(rel, folder string) error {
		entries, err := nfsList(m, rel)
		if err != nil {
			return err
		}
		res := types.HostDatastoreBrowserSearchResults{Datastore: &m.ref, FolderPath: folder}
		for _, e := range entries {
			if browserMatch(spec, e.name) {
				info := types.FileInfo{Path: e.name, FileSize: e.size}
				if e.isDir {
					res.File = append(res.File, &types.FolderFileInfo{FileInfo: info})
				} else if strings.HasSuffix(e.name, ".vmdk") && !strings.HasSuffix(e.name, "-flat.vmdk") {
					res.File = append(res.File, &types.VmDiskFileInfo{FileInfo: info, CapacityKb: 0})
				} else {
					res.File = append(res.File, &info)
				}
			}
		}
		results = append(results, res)
		if recurse {
			for _, e := range entries {
				if e.isDir {
					if err := walk(path.Join(rel, e.name), strings.TrimSuffix(folder, "/")+"/"+e.name); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	err := walk(p.Path, dsPath)
	switch {
	case err != nil && strings.Contains(err.Error(), "NFS3ERR_NOENT") || err != nil && strings.Contains(strings.ToLower(err.Error()), "no such file"):
		finishTask(task, nil, &types.FileNotFound{FileFault: types.FileFault{File: dsPath}}, "File "+dsPath+" was not found")
	case err != nil:
		finishTask(task, nil, &types.FileFault{File: dsPath}, err.Error())
	case recurse:
		finishTask(task, types.ArrayOfHostDatastoreBrowserSearchResults{HostDatastoreBrowserSearchResults: results}, nil, "")
	default:
		finishTask(task, results[0], nil, "")
	}
	writeResult(w, taskResponse(method, task.Self))
	return true
}

func browserMatch(spec *types.HostDatastoreBrowserSearchSpec, name string) bool {
	if spec == nil || len(spec.MatchPattern) == 0 {
		return true
	}
	for _, pat := range spec.MatchPattern {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// ---- disks on NFS datastores ----

// nasDisk is a VM's disk whose files are on an NFS datastore.
type nasDisk struct {
	mount      *nasMount
	descriptor string // datastore-relative
	flat       string
	fileName   string // "[ds] dir/name.vmdk"
	capacity   int64
}

func (h *harness) nasDiskOf(backing *types.VirtualDiskFlatVer2BackingInfo, capacity int64) (*nasDisk, bool) {
	if backing == nil || backing.Datastore == nil {
		return nil, false
	}
	m := h.nas.byRef(*backing.Datastore)
	if m == nil {
		return nil, false
	}
	var p object.DatastorePath
	if !p.FromString(backing.FileName) {
		return nil, false
	}
	return &nasDisk{mount: m, descriptor: p.Path, flat: flatName(p.Path), fileName: backing.FileName, capacity: capacity}, true
}

// nasDisks lists a VM's disks on NFS datastores.
func (h *harness) nasDisks(vm *simulator.VirtualMachine) []*nasDisk {
	var out []*nasDisk
	simulator.Map.WithLock(vm, func() {
		for _, dev := range vm.Config.Hardware.Device {
			disk, backing, ok := flatDisk(dev)
			if !ok {
				continue
			}
			if d, ok := h.nasDiskOf(backing, diskCapacity(disk)); ok {
				out = append(out, d)
			}
		}
	})
	return out
}

// checkNasFiles finds a disk's descriptor and flat file on the share, as ESXi opens them.
func checkNasFiles(d *nasDisk) (string, error) {
	for _, rel := range []string{d.descriptor, d.flat} {
		e, err := nfsStat(d.mount, rel)
		if err != nil {
			return fmt.Sprintf("[%s] %s", d.mount.name, rel), err
		}
		if e == nil || e.isDir {
			return fmt.Sprintf("[%s] %s", d.mount.name, rel), os.ErrNotExist
		}
	}
	return "", nil
}

// powerOnNas: ESXi opens every disk when it powers a VM on; a disk on an NFS datastore must be
// reachable through NFS. Returns false when the call is left to the simulator.
func (h *harness) powerOnNas(w http.ResponseWriter, req *types.PowerOnVM_Task) bool {
	vm, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return false
	}
	for _, d := range h.nasDisks(vm) {
		if file, err := checkNasFiles(d); err != nil {
			task := newTask("PowerOnVM_Task", req.This)
			startTask(task)
			if err == os.ErrNotExist {
				finishTask(task, nil, &types.FileNotFound{FileFault: types.FileFault{File: file}}, "File "+file+" was not found")
			} else {
				finishTask(task, nil, &types.FileFault{File: file}, "Unable to access file "+file+": "+err.Error())
			}
			writeResult(w, taskResponse("PowerOnVM_Task", task.Self))
			return true
		}
	}
	return false
}

// reconfigNas checks the existing disks a ReconfigVM_Task attaches from an NFS datastore through
// NFS and leaves their empty names in the simulator's directory (it stats them); creating a disk
// on an NFS datastore is refused. Returns true when it answered the call.
func (h *harness) reconfigNas(w http.ResponseWriter, req *types.ReconfigVM_Task) bool {
	for _, dc := range req.Spec.DeviceChange {
		spec := dc.GetVirtualDeviceConfigSpec()
		if spec.Operation != types.VirtualDeviceConfigSpecOperationAdd && spec.Operation != types.VirtualDeviceConfigSpecOperationEdit {
			continue
		}
		disk, ok := spec.Device.(*types.VirtualDisk)
		if !ok {
			continue
		}
		backing, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		if !ok {
			continue
		}
		var p object.DatastorePath
		if !p.FromString(backing.FileName) {
			continue
		}
		m := h.nas.byName(p.Datastore)
		if m == nil {
			continue
		}
		fail := func(fault types.BaseMethodFault, msg string) bool {
			task := newTask("ReconfigVM_Task", req.This)
			startTask(task)
			finishTask(task, nil, fault, msg)
			writeResult(w, taskResponse("ReconfigVM_Task", task.Self))
			return true
		}
		if spec.FileOperation != "" {
			return fail(&types.NotSupported{}, "creating disks on an NFS datastore is not simulated")
		}
		d := &nasDisk{mount: m, descriptor: p.Path, flat: flatName(p.Path), fileName: backing.FileName}
		if file, err := checkNasFiles(d); err != nil {
			if err == os.ErrNotExist {
				return fail(&types.FileNotFound{FileFault: types.FileFault{File: file}}, "File "+file+" was not found")
			}
			return fail(&types.FileFault{File: file}, "Unable to access file "+file+": "+err.Error())
		}
		for _, rel := range []string{d.descriptor, d.flat} {
			local := filepath.Join(m.shadow, filepath.FromSlash(rel))
			_ = os.MkdirAll(filepath.Dir(local), 0o700)
			if f, err := os.OpenFile(local, os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
				_ = f.Close()
			}
		}
	}
	return false
}

// ---- guest reads ----

// GET /lifeline-sim/disks/read?vm=<moref>&key=<device key>&offset=<bytes>&length=<bytes>: the
// guest's view of a disk's bytes, read as its hypervisor reads them (through NFS for a disk on an
// NFS datastore).
func (h *harness) serveDiskRead(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key, kerr := strconv.ParseInt(q.Get("key"), 10, 32)
	offset, oerr := strconv.ParseInt(q.Get("offset"), 10, 64)
	length, lerr := strconv.ParseInt(q.Get("length"), 10, 64)
	if q.Get("vm") == "" || kerr != nil || oerr != nil || lerr != nil || offset < 0 || length <= 0 || length > 256<<20 {
		writeJSON(w, http.StatusBadRequest, problem{"query must be ?vm=<moref>&key=<device key>&offset=<bytes, >= 0>&length=<bytes, 1..256 MiB>"})
		return
	}
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: q.Get("vm")}
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		writeJSON(w, http.StatusNotFound, problem{"no such VM: " + ref.Value})
		return
	}
	var local string
	var capacity int64
	var nd *nasDisk
	found := false
	simulator.Map.WithLock(vm, func() {
		for _, dev := range vm.Config.Hardware.Device {
			disk, backing, ok := flatDisk(dev)
			if !ok || int64(disk.Key) != key {
				continue
			}
			found = true
			capacity = diskCapacity(disk)
			if d, ok := h.nasDiskOf(backing, capacity); ok {
				nd = d
			} else {
				_, local, _, _ = flatPath(backing)
			}
		}
	})
	if !found {
		writeJSON(w, http.StatusNotFound, problem{"VM " + ref.Value + " has no flat disk with key " + q.Get("key")})
		return
	}
	if offset+length > capacity {
		writeJSON(w, http.StatusBadRequest, problem{"the read goes past the end of the disk (capacity " + itoa(capacity) + " bytes)"})
		return
	}
	h.nas.io.RLock()
	defer h.nas.io.RUnlock()
	var data []byte
	var err error
	if nd != nil {
		data, err = nfsReadRange(nd.mount, nd.flat, offset, length)
	} else {
		data = make([]byte, length)
		var f *os.File
		if f, err = os.Open(local); err == nil {
			var n int
			n, err = f.ReadAt(data, offset)
			if err == io.EOF {
				err = nil
				for i := n; i < len(data); i++ {
					data[i] = 0
				}
			}
			_ = f.Close()
		}
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, problem{err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// writeNasDisk is a guest write into a disk on an NFS datastore: through NFS with qemu-io.
func (h *harness) writeNasDisk(w http.ResponseWriter, r *http.Request, d *nasDisk, offset, capacity int64) {
	if d.mount.readOnly {
		writeJSON(w, http.StatusConflict, problem{"datastore " + d.mount.name + " is mounted read-only"})
		return
	}
	data, err := ioutil.ReadAll(io.LimitReader(r.Body, capacity-offset+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, problem{err.Error()})
		return
	}
	if int64(len(data)) > capacity-offset {
		writeJSON(w, http.StatusBadRequest, problem{"the write goes past the end of the disk (capacity " + itoa(capacity) + " bytes); 0 bytes were written"})
		return
	}
	h.nas.io.RLock()
	err = nfsWrite(d.mount, d.flat, offset, data)
	h.nas.io.RUnlock()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, problem{err.Error() + "; 0 bytes were written"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"written": int64(len(data))})
}

func (h *harness) refreshVmDatastores(vm *simulator.VirtualMachine) {
	used := map[types.ManagedObjectReference]bool{}
	var list []types.ManagedObjectReference
	var old []types.ManagedObjectReference
	var devices []types.BaseVirtualDevice
	simulator.Map.WithLock(vm, func() {
		var p object.DatastorePath
		if p.FromString(vm.Config.Files.VmPathName) {
			for _, ref := range vm.Datastore {
				if ds, ok := simulator.Map.Get(ref).(*simulator.Datastore); ok && ds.Name == p.Datastore {
					used[ref] = true
					list = append(list, ref)
				}
			}
		}
		for _, dev := range vm.Config.Hardware.Device {
			if _, backing, ok := flatDisk(dev); ok && backing.Datastore != nil && !used[*backing.Datastore] {
				used[*backing.Datastore] = true
				list = append(list, *backing.Datastore)
			}
		}
		old = append(old, vm.Datastore...)
		devices = vm.Config.Hardware.Device
	})
	for _, ref := range old {
		if !used[ref] {
			if ds, ok := simulator.Map.Get(ref).(*simulator.Datastore); ok {
				simulator.Map.RemoveReference(ds, &ds.Vm, vm.Self)
			}
		}
	}
	simulator.Map.Update(vm, []types.PropertyChange{
		{Name: "datastore", Val: list},
		{Name: "config.hardware.device", Val: devices},
	})
}

// ---- /folder on an NFS datastore ----

// serveNasFolder answers /folder requests for files of an NFS datastore through NFS: a GET (whole
// file, or one byte range) is read with libnfs; anything else is refused with 405, since the
// harness cannot upload or delete there. Returns false for other datastores.
func (h *harness) serveNasFolder(w http.ResponseWriter, r *http.Request) bool {
	m := h.nas.byName(r.URL.Query().Get("dsName"))
	if m == nil {
		return false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/folder"), "/")
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "the simulator serves files of an NFS datastore for reading only", http.StatusMethodNotAllowed)
		return true
	}
	e, err := nfsStat(m, rel)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return true
	}
	if e == nil || e.isDir {
		http.NotFound(w, r)
		return true
	}
	start, end := int64(0), e.size-1
	status := http.StatusOK
	if v := r.Header.Get("Range"); v != "" {
		s, en, ok := parseRange(v)
		if !ok || s >= e.size {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", e.size))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return true
		}
		start = s
		if en >= 0 && en < end {
			end = en
		}
		status = http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, e.size))
	}
	var data []byte
	if end >= start {
		if data, err = nfsReadRange(m, rel, start, end-start+1); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return true
		}
	}
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
	return true
}

// ---- accessibility ----

// nasProbeInterval is how often the harness checks that each NFS server still answers, as ESXi's
// NFS client notices a server that went away and marks the datastore inaccessible (and
// accessible again once the server answers).
const nasProbeInterval = time.Second

// pmapNull sends the portmapper's NULL procedure (program 100000, version 2, procedure 0) to
// host:111 over TCP and reads the reply: whether the NFS server's host answers RPC at all.
func pmapNull(host string) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, "111"), 2*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	call := make([]byte, 4+40)
	binary.BigEndian.PutUint32(call[0:], 0x80000000|40) // last fragment, 40 bytes
	words := []uint32{0x4c4c5052, 0, 2, 100000, 2, 0, 0, 0, 0, 0}
	for i, w := range words {
		binary.BigEndian.PutUint32(call[4+4*i:], w)
	}
	if _, err := conn.Write(call); err != nil {
		return false
	}
	reply := make([]byte, 4+24)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return false
	}
	// xid, REPLY (1), MSG_ACCEPTED (0), verifier (flavour, length 0), SUCCESS (0)
	return binary.BigEndian.Uint32(reply[4:]) == 0x4c4c5052 && binary.BigEndian.Uint32(reply[8:]) == 1 &&
		binary.BigEndian.Uint32(reply[12:]) == 0 && binary.BigEndian.Uint32(reply[24:]) == 0
}

// watchNas keeps the datastore's summary.accessible and each host mount's accessible flag in
// step with whether its NFS server answers, until the datastore is removed.
func (h *harness) watchNas(m *nasMount) {
	accessible := true
	for {
		time.Sleep(nasProbeInterval)
		if h.nas.byRef(m.ref) != m {
			return
		}
		now := pmapNull(m.remoteHost)
		if now == accessible {
			continue
		}
		accessible = now
		ds, ok := simulator.Map.Get(m.ref).(*simulator.Datastore)
		if !ok {
			return
		}
		var mounts []types.DatastoreHostMount
		simulator.Map.WithLock(ds, func() {
			for i := range ds.Host {
				ds.Host[i].MountInfo.Accessible = types.NewBool(now)
			}
			mounts = append(mounts, ds.Host...)
		})
		simulator.Map.Update(ds, []types.PropertyChange{
			{Name: "summary.accessible", Val: now},
			{Name: "host", Val: mounts},
		})
		log.Printf("NAS datastore %s: accessible=%v", m.name, now)
	}
}
