package main

// Uploads through PUT /folder (folderput.go): the file reads back as sent, its zero blocks are
// holes, a replaced file is new content for change tracking, and a body cut short keeps what
// arrived.

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io/ioutil"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// folderURL is the /folder URL of a datastore file named as "[ds] dir/file".
func folderURL(datastorePath, datacenter string) string {
	ds := strings.SplitN(strings.TrimPrefix(datastorePath, "["), "] ", 2)
	return strings.TrimSuffix(thRdy.URL, "/sdk") + "/folder/" + ds[1] + "?dcPath=" + url.QueryEscape(datacenter) + "&dsName=" + url.QueryEscape(ds[0])
}

func putFile(t *testing.T, u string, body []byte, auth bool) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	if auth {
		req.SetBasicAuth(thRdy.Username, thRdy.Password)
	}
	res, err := httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = ioutil.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode
}

// dataAt: the offset of the first data at or after off, or the file's size (SEEK_DATA).
func dataAt(t *testing.T, path string, off int64) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	at, err := f.Seek(off, seekData)
	if err != nil {
		st, _ := f.Stat()
		return st.Size() // ENXIO: no data after off
	}
	return at
}

func TestFolderPutWritesDataAndLeavesHoles(t *testing.T) {
	vm := thRdy.VMs[0]
	local := strings.Replace(vm.Disks[0].Path, "-flat.vmdk", "-put.bin", 1)
	u := folderURL(strings.Replace(vm.Disks[0].FlatFile, "-flat.vmdk", "-put.bin", 1), vm.Datacenter)
	defer os.Remove(local)

	if code := putFile(t, u, []byte("x"), false); code != 401 {
		t.Fatalf("unauthenticated PUT: %d", code)
	}
	if _, err := os.Stat(local); !os.IsNotExist(err) {
		t.Fatalf("an unauthenticated PUT made the file: %v", err)
	}

	// An older, longer file of 0xff is replaced whole: where the new body has zeros, zeros.
	if code := putFile(t, u, bytes.Repeat([]byte{0xff}, 5<<20), true); code != 200 {
		t.Fatalf("first PUT: %d", code)
	}
	block := cbtBlockSize
	body := make([]byte, 3<<20+100)
	copy(body, bytes.Repeat([]byte("lifeline"), block/8))                     // block 0
	copy(body[1<<20-10:], []byte("across the first piece boundary"))          // blocks 15 and 16
	copy(body[2<<20+block+7:], []byte("one block, not aligned to its start")) // block 33
	// The last 100 bytes and most blocks stay zeros.
	if code := putFile(t, u, body, true); code != 200 {
		t.Fatalf("PUT: %d", code)
	}
	got, err := ioutil.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("the file (%d bytes) differs from the body (%d bytes)", len(got), len(body))
	}
	// Zero blocks were not written: the data extents are where the data is.
	for _, tc := range []struct{ from, want int64 }{
		{int64(block), 15 * int64(block)},
		{17 * int64(block), 33 * int64(block)},
		{34 * int64(block), int64(len(body))},
	} {
		if at := dataAt(t, local, tc.from); at != tc.want {
			t.Fatalf("first data at or after %d: %d, want %d (zero blocks written?)", tc.from, at, tc.want)
		}
	}

	// A body of zeros only: the right size, and no data at all.
	zeros := make([]byte, 2<<20)
	if code := putFile(t, u, zeros, true); code != 200 {
		t.Fatalf("PUT of zeros: %d", code)
	}
	if st, err := os.Stat(local); err != nil || st.Size() != int64(len(zeros)) {
		t.Fatalf("zeros: %v %v", st, err)
	}
	if at := dataAt(t, local, 0); at != int64(len(zeros)) {
		t.Fatalf("a file of zeros has data at %d", at)
	}
}

// A client that goes away halfway leaves the bytes that arrived, as after a network failure.
func TestFolderPutCutShort(t *testing.T) {
	vm := thRdy.VMs[0]
	local := strings.Replace(vm.Disks[0].Path, "-flat.vmdk", "-cut.bin", 1)
	u, _ := url.Parse(folderURL(strings.Replace(vm.Disks[0].FlatFile, "-flat.vmdk", "-cut.bin", 1), vm.Datacenter))
	defer os.Remove(local)

	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	sent := bytes.Repeat([]byte{7}, 1<<20+5000) // more than a piece, then a zero block
	sent = append(sent, make([]byte, cbtBlockSize)...)
	req := fmt.Sprintf("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nAuthorization: Basic %s\r\n\r\n",
		u.RequestURI(), u.Host, 4<<20, basicAuth(thRdy.Username, thRdy.Password))
	if _, err := conn.Write(append([]byte(req), sent...)); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	// The server notices the end of the connection on its own time.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := ioutil.ReadFile(local)
		if bytes.Equal(got, sent) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the cut the file has %d bytes, want the %d sent", len(got), len(sent))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func basicAuth(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "https://x/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// A disk's data file replaced by an upload is new content for CBT.
func TestFolderPutIsChangedContent(t *testing.T) {
	ctx := context.Background()
	c := login(t, thRdy.Username, thRdy.Password)
	rvm := thRdy.VMs[1]
	disk := rvm.Disks[0]
	u := folderURL(disk.FlatFile, rvm.Datacenter)
	vmRef := types.ManagedObjectReference{Type: "VirtualMachine", Value: rvm.Moref}
	vm := object.NewVirtualMachine(c, vmRef)
	setCBT := func(on bool) {
		t.Helper()
		task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ChangeTrackingEnabled: types.NewBool(on)})
		if err != nil || task.Wait(ctx) != nil {
			t.Fatalf("CBT %v: %v", on, err)
		}
	}
	snapshot := func(name string) (types.ManagedObjectReference, string) {
		t.Helper()
		return takeSnapshot(t, c, vm, name, disk.Key)
	}
	blocks := func(at ...int64) []byte {
		b := make([]byte, disk.Capacity)
		for _, blk := range at {
			copy(b[blk*cbtBlockSize:], fmt.Sprintf("block %d", blk))
		}
		return b
	}
	setCBT(true)
	// Leave the VM as the other tests expect it: no snapshots, no CBT, a disk of zeros.
	defer func() {
		if rt, err := vm.RemoveAllSnapshot(ctx, nil); err != nil || rt.Wait(ctx) != nil {
			t.Errorf("RemoveAllSnapshot: %v", err)
		}
		setCBT(false)
		if code := putFile(t, u, make([]byte, disk.Capacity), true); code != 200 {
			t.Errorf("PUT of zeros: %d", code)
		}
	}()

	if code := putFile(t, u, blocks(2, 5), true); code != 200 {
		t.Fatalf("PUT: %d", code)
	}
	s1, cid1 := snapshot("put-1")
	// Right after the snapshot the file is replaced: block 2 the same, 5 zeroed, 40 new.
	if code := putFile(t, u, blocks(2, 40), true); code != 200 {
		t.Fatalf("PUT: %d", code)
	}
	s2, _ := snapshot("put-2")
	for _, tc := range []struct {
		snap  types.ManagedObjectReference
		since string
		want  string
	}{
		{s1, "*", fmt.Sprint([]types.DiskChangeExtent{{Start: 2 * cbtBlockSize, Length: cbtBlockSize}, {Start: 5 * cbtBlockSize, Length: cbtBlockSize}})},
		{s2, "*", fmt.Sprint([]types.DiskChangeExtent{{Start: 2 * cbtBlockSize, Length: cbtBlockSize}, {Start: 40 * cbtBlockSize, Length: cbtBlockSize}})},
		{s2, cid1, fmt.Sprint([]types.DiskChangeExtent{{Start: 5 * cbtBlockSize, Length: cbtBlockSize}, {Start: 40 * cbtBlockSize, Length: cbtBlockSize}})},
	} {
		areas, _, err := queryAll(t, c, vmRef, tc.snap, disk.Key, disk.Capacity, tc.since)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(areas) != tc.want {
			t.Fatalf("since %q: %+v, want %s", tc.since, areas, tc.want)
		}
	}
}
