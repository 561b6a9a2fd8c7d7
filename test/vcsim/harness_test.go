package main

// SOAP-level checks of what Lifeline's simulator adds, through govmomi's client: run with
//   GOPATH=/usr/share/gocode GO111MODULE=off go test ./test/vcsim
// (the TypeScript spec harness.spec.ts is what the project's test command runs).

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var (
	th    *harness
	thRdy *ready
)

func TestMain(m *testing.M) {
	root, err := ioutil.TempDir("", "lifeline-vcsim-test-")
	if err != nil {
		panic(err)
	}
	o, err := parseFlags([]string{"--vms", "2", "--disks", "2", "--disk-size", "4MiB", "--cbt-span", "1MiB",
		"--user", "reader:secret:System.View"})
	if err != nil {
		panic(err)
	}
	th, err = start(o, root)
	if err != nil {
		panic(err)
	}
	if thRdy, err = th.readyLine(); err != nil {
		panic(err)
	}
	code := m.Run()
	th.stop()
	_ = os.RemoveAll(root)
	os.Exit(code)
}

func httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func login(t *testing.T, user, pass string) *vim25.Client {
	t.Helper()
	ctx := context.Background()
	u, _ := url.Parse(thRdy.URL)
	sc := soap.NewClient(u, true)
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(user, pass)); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

func sessionID(c *vim25.Client) string {
	u, _ := url.Parse(thRdy.URL)
	for _, ck := range c.Client.Jar.Cookies(u) {
		if ck.Name == soap.SessionCookieName {
			return ck.Value
		}
	}
	return ""
}

// faultName names the vim25 fault in err ("InvalidLogin"), from a SOAP fault or a task error.
func faultName(err error) string {
	var f interface{}
	switch {
	case err == nil:
		return "<nil>"
	case soap.IsSoapFault(err):
		f = soap.ToSoapFault(err).VimFault()
	case soap.IsVimFault(err):
		f = soap.ToVimFault(err)
	default:
		if te, ok := err.(task.Error); ok {
			f = te.LocalizedMethodFault.Fault
		} else {
			return fmt.Sprintf("%T: %v", err, err)
		}
	}
	return reflect.Indirect(reflect.ValueOf(f)).Type().Name()
}

func control(t *testing.T, method, path string, body interface{}) (int, string) {
	t.Helper()
	data, _ := json.Marshal(body)
	u := strings.TrimSuffix(thRdy.URL, "/sdk") + path
	req, _ := http.NewRequest(method, u, bytes.NewReader(data))
	res, err := httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := ioutil.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

func TestLoginAndAuthentication(t *testing.T) {
	ctx := context.Background()
	u, _ := url.Parse(thRdy.URL)
	c, err := vim25.NewClient(ctx, soap.NewClient(u, true))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ServiceContent.About.InstanceUuid; got != thRdy.InstanceUUID {
		t.Fatalf("about.instanceUuid %q, ready line %q", got, thRdy.InstanceUUID)
	}
	err = session.NewManager(c).Login(ctx, url.UserPassword(thRdy.Username, "wrong"))
	if faultName(err) != "InvalidLogin" {
		t.Fatalf("wrong password: %v", err)
	}
	// The simulator answers RetrieveProperties without a session; a vCenter does not.
	var vm mo.VirtualMachine
	err = property.DefaultCollector(c).RetrieveOne(ctx, types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[0].Moref}, []string{"name"}, &vm)
	if faultName(err) != "NotAuthenticated" {
		t.Fatalf("unauthenticated RetrieveProperties: %v", err)
	}
}

func TestCloneTicketEndpoint(t *testing.T) {
	c := login(t, "reader", "secret")
	base := strings.TrimSuffix(thRdy.URL, "/sdk")
	post := func(token, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+cloneTicketPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("vmware-api-session-id", token)
		}
		res, err := httpClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := ioutil.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	good := fmt.Sprintf(`{"vc_guid":%q}`, thRdy.InstanceUUID)
	if code, _ := post("", good); code != 401 {
		t.Fatalf("missing session: %d", code)
	}
	if code, _ := post("nope", good); code != 401 {
		t.Fatalf("unknown session: %d", code)
	}
	if code, _ := post(sessionID(c), `{"vc_guid":"x"}`); code != 404 {
		t.Fatalf("wrong guid: %d", code)
	}
	code, body := post(sessionID(c), good)
	if code != 200 {
		t.Fatalf("clone ticket: %d %s", code, body)
	}
	var res struct {
		Ticket string `json:"session_clone_ticket"`
	}
	_ = json.Unmarshal([]byte(body), &res)

	ctx := context.Background()
	u, _ := url.Parse(thRdy.URL)
	c2, err := vim25.NewClient(ctx, soap.NewClient(u, true))
	if err != nil {
		t.Fatal(err)
	}
	sm := session.NewManager(c2)
	if err := sm.CloneSession(ctx, res.Ticket); err != nil {
		t.Fatalf("CloneSession: %v", err)
	}
	us, err := sm.UserSession(ctx)
	if err != nil || us == nil || us.UserName != "reader" {
		t.Fatalf("cloned session user: %v %v", us, err)
	}
	// The cloned session has the user's privileges, not more.
	admin := login(t, thRdy.Username, thRdy.Password)
	vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[0].Moref}
	hp, err := methods.HasPrivilegeOnEntities(ctx, admin, &types.HasPrivilegeOnEntities{
		This: *admin.ServiceContent.AuthorizationManager, Entity: []types.ManagedObjectReference{vmRef},
		SessionId: us.Key, PrivId: []string{"System.View", "VirtualMachine.State.CreateSnapshot"},
	})
	if err != nil || !hp.Returnval[0].PrivAvailability[0].IsGranted || hp.Returnval[0].PrivAvailability[1].IsGranted {
		t.Fatalf("cloned session privileges: %+v %v", hp, err)
	}
	if err := session.NewManager(c2).CloneSession(ctx, res.Ticket); err == nil {
		t.Fatal("a clone ticket must be single-use")
	}
}

func TestPrivileges(t *testing.T) {
	ctx := context.Background()
	admin := login(t, thRdy.Username, thRdy.Password)
	reader := login(t, "reader", "secret")
	vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[0].Moref}
	authz := *admin.ServiceContent.AuthorizationManager
	ask := func(sid string) []types.PrivilegeAvailability {
		res, err := methods.HasPrivilegeOnEntities(ctx, admin, &types.HasPrivilegeOnEntities{
			This: authz, Entity: []types.ManagedObjectReference{vmRef}, SessionId: sid,
			PrivId: []string{"System.View", "VirtualMachine.State.CreateSnapshot"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res.Returnval[0].PrivAvailability
	}
	if p := ask(sessionID(admin)); !p[0].IsGranted || !p[1].IsGranted {
		t.Fatalf("admin: %+v", p)
	}
	if p := ask(sessionID(reader)); !p[0].IsGranted || p[1].IsGranted {
		t.Fatalf("reader: %+v", p)
	}
	_, err := object.NewVirtualMachine(reader, vmRef).CreateSnapshot(ctx, "x", "", false, false)
	if faultName(err) != "NoPermission" {
		t.Fatalf("reader snapshot: %v", err)
	}
	// Grant on the VM only, through the control endpoint.
	code, body := control(t, "POST", "/lifeline-sim/users", map[string]interface{}{
		"username": "operator", "password": "pw",
		"entityPrivileges": map[string][]string{vmRef.Value: {"VirtualMachine.State.CreateSnapshot"}},
	})
	if code != 201 {
		t.Fatal(code, body)
	}
	op := login(t, "operator", "pw")
	if p := ask(sessionID(op)); !p[1].IsGranted {
		t.Fatalf("operator: %+v", p)
	}
	other := types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[1].Moref}
	res, err := methods.HasPrivilegeOnEntities(ctx, admin, &types.HasPrivilegeOnEntities{
		This: authz, Entity: []types.ManagedObjectReference{other}, SessionId: sessionID(op),
		PrivId: []string{"VirtualMachine.State.CreateSnapshot"},
	})
	if err != nil || res.Returnval[0].PrivAvailability[0].IsGranted {
		t.Fatalf("operator on another VM: %+v %v", res, err)
	}
}

func TestExtensionManager(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	m := object.NewExtensionManager(c)
	ext := types.Extension{
		Description: &types.Description{Label: "Lifeline", Summary: "Backup"},
		Key:         "com.example.lifeline",
		Version:     "1.0.0.1",
		Client: []types.ExtensionClientInfo{{
			Version: "1.0.0.1", Description: &types.Description{Label: "Lifeline", Summary: "Backup"},
			Company: "Lifeline", Type: "vsphere-client-remote", Url: "https://127.0.0.1:8443/plugin.json",
		}},
		PrivilegeList: []types.ExtensionPrivilegeInfo{{PrivID: "com.example.lifeline.Protect", PrivGroupName: "com.example.lifeline"}},
	}
	if err := m.Register(ctx, ext); err != nil {
		t.Fatal(err)
	}
	if err := m.Register(ctx, ext); faultName(err) != "InvalidArgument" {
		t.Fatalf("duplicate register: %v", err)
	}
	found, err := m.Find(ctx, ext.Key)
	if err != nil || found == nil || found.Version != "1.0.0.1" || found.Client[0].Url != ext.Client[0].Url {
		t.Fatalf("find: %+v %v", found, err)
	}
	ext.Version = "1.0.0.2"
	if err := m.Update(ctx, ext); err != nil {
		t.Fatal(err)
	}
	list, err := m.List(ctx)
	if err != nil || len(list) != 1 || list[0].Version != "1.0.0.2" {
		t.Fatalf("extensionList: %+v %v", list, err)
	}
	if none, err := m.Find(ctx, "com.example.none"); err != nil || none != nil {
		t.Fatalf("find unknown: %+v %v", none, err)
	}
	if err := m.Unregister(ctx, "com.example.none"); faultName(err) != "NotFound" {
		t.Fatalf("unregister unknown: %v", err)
	}
	missing := ext
	missing.Key = "com.example.none"
	if err := m.Update(ctx, missing); faultName(err) != "NotFound" {
		t.Fatalf("update unknown: %v", err)
	}
	if err := m.Unregister(ctx, ext.Key); err != nil {
		t.Fatal(err)
	}
	if list, _ := m.List(ctx); len(list) != 0 {
		t.Fatalf("after unregister: %+v", list)
	}
}

func writeAt(t *testing.T, path string, off int64, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, off); err != nil {
		t.Fatal(err)
	}
}

// queryAll loops over the disk as a client must and returns the changed areas.
func queryAll(t *testing.T, c *vim25.Client, vm, snap types.ManagedObjectReference, key int32, capacity int64, changeID string) ([]types.DiskChangeExtent, int, error) {
	t.Helper()
	var out []types.DiskChangeExtent
	calls := 0
	for off := int64(0); off < capacity; {
		res, err := methods.QueryChangedDiskAreas(context.Background(), c, &types.QueryChangedDiskAreas{
			This: vm, Snapshot: &snap, DeviceKey: key, StartOffset: off, ChangeId: changeID,
		})
		if err != nil {
			return nil, calls, err
		}
		calls++
		info := res.Returnval
		if info.StartOffset != off || info.Length <= 0 {
			t.Fatalf("bad reply %+v at %d", info, off)
		}
		for _, a := range info.ChangedArea {
			if a.Start < off || a.Start+a.Length > off+info.Length {
				t.Fatalf("area %+v outside reply %+v", a, info)
			}
			if n := len(out); n > 0 && out[n-1].Start+out[n-1].Length == a.Start {
				out[n-1].Length += a.Length
			} else {
				out = append(out, a)
			}
		}
		off = info.StartOffset + info.Length
	}
	return out, calls, nil
}

// takeSnapshot snapshots vm and returns the snapshot and the changeId it gives the disk with key.
func takeSnapshot(t *testing.T, c *vim25.Client, vm *object.VirtualMachine, name string, key int32) (types.ManagedObjectReference, string) {
	t.Helper()
	ctx := context.Background()
	task, err := vm.CreateSnapshot(ctx, name, "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := info.Result.(types.ManagedObjectReference)
	return snap, snapshotDiskChangeID(t, c, snap, key)
}

func snapshotDiskChangeID(t *testing.T, c *vim25.Client, snap types.ManagedObjectReference, key int32) string {
	t.Helper()
	var s mo.VirtualMachineSnapshot
	if err := property.DefaultCollector(c).RetrieveOne(context.Background(), snap, []string{"config.hardware.device"}, &s); err != nil {
		t.Fatal(err)
	}
	for _, d := range s.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok && disk.Key == key {
			return disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo).ChangeId
		}
	}
	t.Fatalf("no disk %d in snapshot", key)
	return ""
}

func TestChangedBlockTracking(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	rvm := thRdy.VMs[0]
	disk := rvm.Disks[0]
	vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: rvm.Moref}
	vm := object.NewVirtualMachine(c, vmRef)

	// Without CBT: a snapshot has no changeId, and the query fails as on vSphere.
	task, err := vm.CreateSnapshot(ctx, "nocbt", "", false, false)
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap0 := info.Result.(types.ManagedObjectReference)
	if _, _, err := queryAll(t, c, vmRef, snap0, disk.Key, disk.Capacity, "*"); faultName(err) != "FileFault" {
		t.Fatalf("query without CBT: %v", err)
	}

	task, err = vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ChangeTrackingEnabled: types.NewBool(true)})
	if err != nil || task.Wait(ctx) != nil {
		t.Fatalf("enable CBT: %v", err)
	}

	block := int64(cbtBlockSize)
	writeAt(t, disk.Path, 0, []byte("hello"))
	writeAt(t, disk.Path, 5*block+10, bytes.Repeat([]byte{1}, int(block))) // blocks 5 and 6
	writeAt(t, disk.Path, 40*block, []byte{9})                             // block 40 (second reply)

	task, _ = vm.CreateSnapshot(ctx, "s1", "", false, false)
	info, err = task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap1 := info.Result.(types.ManagedObjectReference)
	cid1 := snapshotDiskChangeID(t, c, snap1, disk.Key)
	if !strings.HasPrefix(cid1, "52 ") || !strings.HasSuffix(cid1, "/1") {
		t.Fatalf("changeId %q", cid1)
	}
	areas, calls, err := queryAll(t, c, vmRef, snap1, disk.Key, disk.Capacity, "*")
	if err != nil {
		t.Fatal(err)
	}
	want := []types.DiskChangeExtent{{Start: 0, Length: block}, {Start: 5 * block, Length: 2 * block}, {Start: 40 * block, Length: block}}
	if fmt.Sprint(areas) != fmt.Sprint(want) || calls != 4 {
		t.Fatalf("* areas %+v in %d calls, want %+v in 4", areas, calls, want)
	}

	writeAt(t, disk.Path, 6*block, bytes.Repeat([]byte{2}, 10)) // changes block 6 only
	writeAt(t, disk.Path, 0, []byte("hello"))                   // same content: unchanged
	writeAt(t, disk.Path, 40*block, []byte{0})                  // back to zeros: changed
	task, _ = vm.CreateSnapshot(ctx, "s2", "", false, false)
	info, err = task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap2 := info.Result.(types.ManagedObjectReference)
	if cid2 := snapshotDiskChangeID(t, c, snap2, disk.Key); cid2 == cid1 || !strings.HasSuffix(cid2, "/2") {
		t.Fatalf("second changeId %q after %q", cid2, cid1)
	}
	if again := snapshotDiskChangeID(t, c, snap1, disk.Key); again != cid1 {
		t.Fatalf("snapshot 1 changeId moved to %q", again)
	}
	areas, _, err = queryAll(t, c, vmRef, snap2, disk.Key, disk.Capacity, cid1)
	if err != nil {
		t.Fatal(err)
	}
	want = []types.DiskChangeExtent{{Start: 6 * block, Length: block}, {Start: 40 * block, Length: block}}
	if fmt.Sprint(areas) != fmt.Sprint(want) {
		t.Fatalf("incremental areas %+v, want %+v", areas, want)
	}

	// changeIds outlive their snapshot, as on vSphere.
	if rt, err := vm.RemoveAllSnapshot(ctx, nil); err != nil || rt.Wait(ctx) != nil {
		t.Fatalf("RemoveAllSnapshot: %v", err)
	}
	task, _ = vm.CreateSnapshot(ctx, "s3", "", false, false)
	info, _ = task.WaitForResult(ctx, nil)
	snap3 := info.Result.(types.ManagedObjectReference)
	if areas, _, err = queryAll(t, c, vmRef, snap3, disk.Key, disk.Capacity, cid1); err != nil || len(areas) != 2 {
		t.Fatalf("query after removing the base snapshot: %+v %v", areas, err)
	}

	if _, _, err := queryAll(t, c, vmRef, snap3, disk.Key, disk.Capacity, "52 00/9"); faultName(err) != "FileFault" {
		t.Fatalf("unknown changeId: %v", err)
	}
	if _, _, err := queryAll(t, c, vmRef, snap3, 99, disk.Capacity, "*"); faultName(err) != "InvalidArgument" {
		t.Fatalf("unknown device: %v", err)
	}
	var vmo mo.VirtualMachine
	_ = property.DefaultCollector(c).RetrieveOne(ctx, vmRef, []string{"config.hardware.device"}, &vmo)
	for _, d := range vmo.Config.Hardware.Device {
		if dd, ok := d.(*types.VirtualDisk); ok && dd.Key == disk.Key {
			if got := dd.Backing.(*types.VirtualDiskFlatVer2BackingInfo).ChangeId; !strings.HasSuffix(got, "/3") {
				t.Fatalf("VM's current changeId %q", got)
			}
		}
	}

	// A CBT reset makes old changeIds unknown.
	if code, body := control(t, "POST", "/lifeline-sim/cbt/reset", map[string]string{"vm": rvm.Moref}); code != 200 {
		t.Fatal(code, body)
	}
	if _, _, err := queryAll(t, c, vmRef, snap3, disk.Key, disk.Capacity, cid1); faultName(err) != "FileFault" {
		t.Fatalf("after reset: %v", err)
	}
}

// guestWrite writes through POST /lifeline-sim/disks/write and returns the status and body.
func guestWrite(t *testing.T, vm string, key int32, off int64, data []byte) (int, string) {
	t.Helper()
	u := fmt.Sprintf("%s/lifeline-sim/disks/write?vm=%s&key=%d&offset=%d", strings.TrimSuffix(thRdy.URL, "/sdk"), vm, key, off)
	res, err := httpClient().Post(u, "application/octet-stream", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := ioutil.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// Writes through the simulator and writes straight into the file, mixed: CBT reports exactly the
// blocks whose content changed, whichever way they were written.
func TestChangedBlockTrackingGuestWrites(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	rvm := thRdy.VMs[1]
	disk := rvm.Disks[1]
	vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: rvm.Moref}
	vm := object.NewVirtualMachine(c, vmRef)
	task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ChangeTrackingEnabled: types.NewBool(true)})
	if err != nil || task.Wait(ctx) != nil {
		t.Fatalf("enable CBT: %v", err)
	}
	snapshot := func(name string) (types.ManagedObjectReference, string) {
		t.Helper()
		return takeSnapshot(t, c, vm, name, disk.Key)
	}
	expect := func(what string, snap types.ManagedObjectReference, since string, blocks ...int64) {
		t.Helper()
		areas, _, err := queryAll(t, c, vmRef, snap, disk.Key, disk.Capacity, since)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var want []types.DiskChangeExtent
		for _, b := range blocks {
			if n := len(want); n > 0 && want[n-1].Start+want[n-1].Length == b*cbtBlockSize {
				want[n-1].Length += cbtBlockSize
			} else {
				want = append(want, types.DiskChangeExtent{Start: b * cbtBlockSize, Length: cbtBlockSize})
			}
		}
		if fmt.Sprint(areas) != fmt.Sprint(want) {
			t.Fatalf("%s: areas %+v, want %+v", what, areas, want)
		}
	}
	write := func(off int64, data []byte) {
		t.Helper()
		if code, body := guestWrite(t, rvm.Moref, disk.Key, off, data); code != 200 || !strings.Contains(body, fmt.Sprintf(`"written":%d`, len(data))) {
			t.Fatalf("guest write at %d: %d %s", off, code, body)
		}
	}
	block := int64(cbtBlockSize)
	ones := bytes.Repeat([]byte{1}, int(block))

	writeAt(t, disk.Path, 3*block, ones) // straight into the file
	s1, cid1 := snapshot("g1")
	expect("* at g1", s1, "*", 3)

	write(10*block+5, []byte("guest data")) // through the simulator
	write(3*block, ones)                    // same bytes again: not a change
	s2, cid2 := snapshot("g2")
	expect("g2 since g1", s2, cid1, 10)

	write(12*block+block-2, []byte{7, 7, 7, 7}) // spans blocks 12 and 13
	writeAt(t, disk.Path, 20*block, []byte{5})  // behind the simulator's back
	s3, cid3 := snapshot("g3")
	expect("g3 since g2", s3, cid2, 12, 13, 20)
	expect("g3 since g1", s3, cid1, 10, 12, 13, 20)

	// A direct write right after a snapshot (within the same clock tick) is still seen.
	writeAt(t, disk.Path, 30*block, []byte{6})
	write(31*block, []byte{8})
	s4, cid4 := snapshot("g4")
	expect("g4 since g3", s4, cid3, 30, 31)

	write(10*block, make([]byte, block)) // back to zeros
	s5, _ := snapshot("g5")
	expect("g5 since g4", s5, cid4, 10)
	expect("* at g5", s5, "*", 3, 12, 13, 20, 30, 31)
	// An earlier snapshot's view does not move with later writes.
	expect("* at g2", s2, "*", 3, 10)

	if code, _ := guestWrite(t, rvm.Moref, disk.Key, disk.Capacity-1, []byte{1, 2}); code != 400 {
		t.Fatalf("write past the end: %d", code)
	}
	if code, _ := guestWrite(t, rvm.Moref, 99, 0, []byte{1}); code != 404 {
		t.Fatalf("unknown disk: %d", code)
	}
	if code, _ := guestWrite(t, "vm-999999", disk.Key, 0, []byte{1}); code != 404 {
		t.Fatalf("unknown VM: %d", code)
	}
	if rt, err := vm.RemoveAllSnapshot(ctx, nil); err != nil || rt.Wait(ctx) != nil {
		t.Fatalf("RemoveAllSnapshot: %v", err)
	}
}

// Ranged GETs as a backup makes them, and the edge cases a file server answers.
func TestDatastoreRangeReads(t *testing.T) {
	disk := thRdy.VMs[1].Disks[0]
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	writeAt(t, disk.Path, 0, data)
	ds := strings.SplitN(strings.TrimPrefix(disk.FlatFile, "["), "] ", 2)
	u := strings.TrimSuffix(thRdy.URL, "/sdk") + "/folder/" + ds[1] + "?dcPath=" + url.QueryEscape(thRdy.VMs[1].Datacenter) + "&dsName=" + url.QueryEscape(ds[0])
	c := login(t, thRdy.Username, thRdy.Password)
	get := func(rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Range", rng)
		req.AddCookie(&http.Cookie{Name: soap.SessionCookieName, Value: sessionID(c)})
		res, err := httpClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := ioutil.ReadAll(res.Body)
		res.Body.Close()
		return res, body
	}
	size := disk.Capacity
	for _, tc := range []struct {
		rng          string
		start, end   int64
		contentRange string
	}{
		{"bytes=5-70004", 5, 70004, fmt.Sprintf("bytes 5-70004/%d", size)},
		{"bytes=4096-8191", 4096, 8191, fmt.Sprintf("bytes 4096-8191/%d", size)},
		{fmt.Sprintf("bytes=%d-", size-3), size - 3, size - 1, fmt.Sprintf("bytes %d-%d/%d", size-3, size-1, size)},
		{fmt.Sprintf("bytes=%d-%d", size-3, size+100), size - 3, size - 1, fmt.Sprintf("bytes %d-%d/%d", size-3, size-1, size)},
	} {
		res, body := get(tc.rng)
		if res.StatusCode != 206 || res.Header.Get("Content-Range") != tc.contentRange || int64(len(body)) != tc.end-tc.start+1 {
			t.Fatalf("%s: %d %q %d bytes", tc.rng, res.StatusCode, res.Header.Get("Content-Range"), len(body))
		}
		want := make([]byte, tc.end-tc.start+1)
		if tc.start < int64(len(data)) {
			copy(want, data[tc.start:])
		}
		if !bytes.Equal(body, want) {
			t.Fatalf("%s: wrong bytes", tc.rng)
		}
	}
	if res, _ := get(fmt.Sprintf("bytes=%d-%d", size, size+10)); res.StatusCode != 416 {
		t.Fatalf("range past the end: %d", res.StatusCode)
	}
	if res, body := get("bytes=0-1,10-11"); res.StatusCode != 206 || !strings.HasPrefix(res.Header.Get("Content-Type"), "multipart/byteranges") || !bytes.Contains(body, []byte("01")) {
		t.Fatalf("two ranges: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestDatastoreFiles(t *testing.T) {
	disk := thRdy.VMs[1].Disks[0]
	writeAt(t, disk.Path, 1000, []byte("lifeline!"))
	ds := strings.SplitN(strings.TrimPrefix(disk.FlatFile, "["), "] ", 2)
	u := strings.TrimSuffix(thRdy.URL, "/sdk") + "/folder/" + ds[1] + "?dcPath=" + url.QueryEscape(thRdy.VMs[1].Datacenter) + "&dsName=" + url.QueryEscape(ds[0])

	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Range", "bytes=1000-1008")
	res, err := httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("unauthenticated /folder: %d", res.StatusCode)
	}

	c := login(t, thRdy.Username, thRdy.Password)
	req.AddCookie(&http.Cookie{Name: soap.SessionCookieName, Value: sessionID(c)})
	res, err = httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := ioutil.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 206 || string(body) != "lifeline!" {
		t.Fatalf("range GET: %d %q", res.StatusCode, body)
	}

	put, _ := http.NewRequest(http.MethodPut, strings.Replace(u, "-flat.vmdk", "-copy.bin", 1), strings.NewReader("abc"))
	put.SetBasicAuth(thRdy.Username, thRdy.Password)
	res, err = httpClient().Do(put)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 && res.StatusCode != 201 {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	if got, _ := ioutil.ReadFile(strings.Replace(disk.Path, "-flat.vmdk", "-copy.bin", 1)); string(got) != "abc" {
		t.Fatalf("PUT content %q", got)
	}
}

func TestFaultAndDelayInjection(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[1].Moref}
	vm := object.NewVirtualMachine(c, vmRef)

	code, body := control(t, "POST", "/lifeline-sim/faults", map[string]interface{}{
		"method": "CreateSnapshot_Task", "count": 1, "fault": "InvalidState", "message": "busy",
	})
	if code != 201 {
		t.Fatal(code, body)
	}
	task, err := vm.CreateSnapshot(ctx, "f", "", false, false)
	if err != nil {
		t.Fatalf("a task fault must come from the task, not the call: %v", err)
	}
	_, err = task.WaitForResult(ctx, nil)
	if faultName(err) != "InvalidState" || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("task fault: %v", err)
	}
	task, _ = vm.CreateSnapshot(ctx, "ok", "", false, false)
	if _, err := task.WaitForResult(ctx, nil); err != nil {
		t.Fatalf("second call must succeed: %v", err)
	}

	// A non-task method gets a SOAP fault.
	control(t, "POST", "/lifeline-sim/faults", map[string]interface{}{"method": "FindExtension", "fault": "NotAuthenticated"})
	if _, err := object.NewExtensionManager(c).Find(ctx, "x"); faultName(err) != "NotAuthenticated" {
		t.Fatalf("SOAP fault: %v", err)
	}

	// A delayed task is returned at once and finishes later.
	control(t, "POST", "/lifeline-sim/faults", map[string]interface{}{"method": "CreateSnapshot_Task", "delayMs": 300})
	began := time.Now()
	task, err = vm.CreateSnapshot(ctx, "slow", "", false, false)
	if err != nil || time.Since(began) > 200*time.Millisecond {
		t.Fatalf("delayed task call took %v: %v", time.Since(began), err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil || time.Since(began) < 300*time.Millisecond {
		t.Fatalf("delayed task finished after %v: %v", time.Since(began), err)
	}
	if _, ok := info.Result.(types.ManagedObjectReference); !ok {
		t.Fatalf("delayed task result %v", info.Result)
	}
	if code, body := control(t, "POST", "/lifeline-sim/faults", map[string]interface{}{"method": "X", "fault": "NoSuchFault"}); code != 400 {
		t.Fatal(code, body)
	}
	if code, _ := control(t, "DELETE", "/lifeline-sim/faults", nil); code != 200 {
		t.Fatal(code)
	}
}

func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	sm := session.NewManager(c)
	if us, err := sm.UserSession(ctx); err != nil || us == nil {
		t.Fatalf("active: %v %v", us, err)
	}
	code, body := control(t, "POST", "/lifeline-sim/sessions/expire", nil)
	if code != 200 || !strings.Contains(body, `"expired"`) {
		t.Fatal(code, body)
	}
	var vm mo.VirtualMachine
	err := property.DefaultCollector(c).RetrieveOne(ctx, types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[0].Moref}, []string{"name"}, &vm)
	if faultName(err) != "NotAuthenticated" {
		t.Fatalf("after expiry: %v", err)
	}
	if err := sm.Login(ctx, url.UserPassword(thRdy.Username, thRdy.Password)); err != nil {
		t.Fatalf("login again: %v", err)
	}
	if err := property.DefaultCollector(c).RetrieveOne(ctx, types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[0].Moref}, []string{"name"}, &vm); err != nil {
		t.Fatal(err)
	}
}

// vmsSeen lists the VMs a session's property collector returns, through a container view from
// the root (as Lifeline lists them) and, one by one, as direct objects.
func vmsSeen(t *testing.T, c *vim25.Client) (viewed []string, direct []string) {
	ctx := context.Background()
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &vms); err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		viewed = append(viewed, vm.Self.Value)
	}
	for _, r := range thRdy.VMs {
		res, err := methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{
			This: c.ServiceContent.PropertyCollector,
			SpecSet: []types.PropertyFilterSpec{{
				ObjectSet: []types.ObjectSpec{{Obj: types.ManagedObjectReference{Type: "VirtualMachine", Value: r.Moref}}},
				PropSet:   []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name"}}},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Returnval != nil {
			for _, o := range res.Returnval.Objects {
				direct = append(direct, o.Obj.Value)
			}
		}
	}
	return viewed, direct
}

func TestObjectVisibility(t *testing.T) {
	all := []string{thRdy.VMs[0].Moref, thRdy.VMs[1].Moref}
	sorted := func(s []string) []string {
		out := append([]string{}, s...)
		sort.Strings(out)
		return out
	}
	expectSees := func(who string, c *vim25.Client, want []string) {
		t.Helper()
		viewed, direct := vmsSeen(t, c)
		if !reflect.DeepEqual(sorted(viewed), sorted(want)) || !reflect.DeepEqual(sorted(direct), sorted(want)) {
			t.Fatalf("%s sees %v (view) and %v (direct), want %v", who, viewed, direct, want)
		}
	}
	expectSees("admin", login(t, thRdy.Username, thRdy.Password), all)
	// A permission at the root, whatever its privileges: everything.
	expectSees("reader", login(t, "reader", "secret"), all)

	add := func(name string, entity map[string][]string) *vim25.Client {
		code, body := control(t, "POST", "/lifeline-sim/users", map[string]interface{}{
			"username": name, "password": "pw", "entityPrivileges": entity,
		})
		if code != 201 {
			t.Fatal(code, body)
		}
		return login(t, name, "pw")
	}
	// A permission on one VM only: that VM.
	expectSees("vm0 user", add("vm0-user", map[string][]string{thRdy.VMs[0].Moref: {"VirtualMachine.State.CreateSnapshot"}}), all[:1])
	// A permission on an ancestor (the datacenter): every VM below it.
	dcRef := th.dcs[0].dc.Reference()
	expectSees("datacenter user", add("dc-user", map[string][]string{dcRef.Value: {}}), all)
	// No permission anywhere: no VM.
	expectSees("nobody", add("nobody", map[string][]string{}), nil)
}

// ShutdownGuest as the vim25 reference has it: ToolsUnavailable while VMware Tools is not running
// (the VM keeps running), a clean shutdown once it runs, and a guest that ignores the request.
func TestShutdownGuestNeedsTools(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	moref := thRdy.VMs[0].Moref
	vm := object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: moref})
	power := func() types.VirtualMachinePowerState {
		s, err := vm.PowerState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	defer func() {
		control(t, "POST", "/lifeline-sim/vms/tools", map[string]interface{}{"vm": moref, "running": false})
		if power() != types.VirtualMachinePowerStatePoweredOn {
			task, _ := vm.PowerOn(ctx)
			_ = task.Wait(ctx)
		}
	}()
	if err := vm.ShutdownGuest(ctx); faultName(err) != "ToolsUnavailable" {
		t.Fatalf("without Tools: %v", err)
	}
	if s := power(); s != types.VirtualMachinePowerStatePoweredOn {
		t.Fatalf("a refused shutdown left the VM %s", s)
	}
	if code, body := control(t, "POST", "/lifeline-sim/vms/tools", map[string]interface{}{"vm": moref, "running": true, "ignoreShutdown": true}); code != 200 {
		t.Fatal(code, body)
	}
	if err := vm.ShutdownGuest(ctx); err != nil {
		t.Fatalf("with Tools: %v", err)
	}
	if s := power(); s != types.VirtualMachinePowerStatePoweredOn {
		t.Fatalf("a guest that ignores the shutdown is %s", s)
	}
	control(t, "POST", "/lifeline-sim/vms/tools", map[string]interface{}{"vm": moref, "running": true})
	if err := vm.ShutdownGuest(ctx); err != nil {
		t.Fatalf("with Tools: %v", err)
	}
	if s := power(); s != types.VirtualMachinePowerStatePoweredOff {
		t.Fatalf("after a clean shutdown the VM is %s", s)
	}
	if err := vm.ShutdownGuest(ctx); faultName(err) != "InvalidPowerState" {
		t.Fatalf("powered off: %v", err)
	}
}

// The relocation of disks as vCenter documents it (relocate.go): the spec checked before a task
// starts, a cancelable task that CancelTask ends with RequestCanceled, the VM busy meanwhile,
// progress 100 on success, and a rule that refuses the call outright.
func TestRelocationTask(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: thRdy.VMs[0].Moref}
	vm := object.NewVirtualMachine(c, vmRef)
	ds := types.ManagedObjectReference{Type: "Datastore", Value: thRdy.Datastores[0].Moref}
	key := thRdy.VMs[0].Disks[0].Key
	spec := func(k int32) types.VirtualMachineRelocateSpec {
		return types.VirtualMachineRelocateSpec{Disk: []types.VirtualMachineRelocateSpecDiskLocator{{DiskId: k, Datastore: ds}}}
	}
	taskInfo := func(ref types.ManagedObjectReference) types.TaskInfo {
		var task mo.Task
		if err := property.DefaultCollector(c).RetrieveOne(ctx, ref, []string{"info"}, &task); err != nil {
			t.Fatal(err)
		}
		return task.Info
	}
	defer control(t, "DELETE", "/lifeline-sim/faults", nil)

	// A wrong spec faults the call itself: no task.
	if _, err := vm.Relocate(ctx, spec(9999), types.VirtualMachineMovePriorityDefaultPriority); !soap.IsSoapFault(err) || faultName(err) != "InvalidArgument" {
		t.Fatalf("a disk the VM lacks: %v", err)
	}

	// Held under way: cancelable, the VM busy, then cancelled.
	if code, body := control(t, "POST", "/lifeline-sim/faults", map[string]interface{}{"method": "RelocateVM_Task", "delayMs": 60000, "moref": vmRef.Value}); code != 201 {
		t.Fatal(code, body)
	}
	task, err := vm.Relocate(ctx, spec(key), types.VirtualMachineMovePriorityDefaultPriority)
	if err != nil {
		t.Fatal(err)
	}
	for taskInfo(task.Reference()).State != types.TaskInfoStateRunning {
		time.Sleep(10 * time.Millisecond)
	}
	if !taskInfo(task.Reference()).Cancelable {
		t.Fatal("a relocation's task is cancelable")
	}
	off, err := vm.PowerOff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := off.WaitForResult(ctx, nil); faultName(err) != "TaskInProgress" {
		t.Fatalf("the VM is busy while its disks move: %v", err)
	}
	if err := task.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := task.WaitForResult(ctx, nil); faultName(err) != "RequestCanceled" {
		t.Fatalf("cancelled: %v", err)
	}
	if info := taskInfo(task.Reference()); !info.Cancelled || info.State != types.TaskInfoStateError {
		t.Fatalf("cancelled task info: %+v", info)
	}
	if err := task.Cancel(ctx); faultName(err) != "InvalidState" {
		t.Fatalf("a cancelled task cannot be cancelled again: %v", err)
	}
	if err := off.Cancel(ctx); faultName(err) != "InvalidState" {
		t.Fatalf("a completed task cannot be cancelled: %v", err)
	}

	// Not held: it succeeds with progress 100, and the VM is free again.
	task, err = vm.Relocate(ctx, spec(key), types.VirtualMachineMovePriorityDefaultPriority)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := task.WaitForResult(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if p := taskInfo(task.Reference()).Progress; p != 100 {
		t.Fatalf("progress %d", p)
	}

	// Refused outright by a rule: a SOAP fault, no task.
	if code, body := control(t, "POST", "/lifeline-sim/faults", map[string]interface{}{"method": "RelocateVM_Task", "fault": "InvalidState", "noTask": true}); code != 201 {
		t.Fatal(code, body)
	}
	if _, err := vm.Relocate(ctx, spec(key), types.VirtualMachineMovePriorityDefaultPriority); !soap.IsSoapFault(err) || faultName(err) != "InvalidState" {
		t.Fatalf("refused outright: %v", err)
	}
	if code, body := control(t, "POST", "/lifeline-sim/faults", map[string]interface{}{"method": "FindExtension", "fault": "InvalidState", "noTask": true}); code != 400 {
		t.Fatal("noTask only for a task method:", code, body)
	}
}
