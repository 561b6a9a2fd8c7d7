package main

// Checks of the block fingerprints behind CBT without SOAP: what writes through the simulator
// teach it equals what reading the file teaches it, snapshots' views do not move, and changed
// areas are right across 64 MiB pages of fingerprints.

import (
	"bytes"
	"fmt"
	"io/ioutil"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

func sameBlocks(t *testing.T, what string, got, want *blockMap, blocks int64) {
	t.Helper()
	for b := int64(0); b < blocks; b++ {
		if got.get(b) != want.get(b) {
			t.Fatalf("%s: block %d: %x, want %x", what, b, got.get(b), want.get(b))
		}
	}
}

func TestGuestWritesMatchAReadOfTheFile(t *testing.T) {
	dir, err := ioutil.TempDir("", "lifeline-vcsim-content-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "disk-flat.vmdk")
	const size = 200 << 20 // four pages of fingerprints
	if err := ioutil.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, size); err != nil {
		t.Fatal(err)
	}
	writeAt(t, p, 70<<20, bytes.Repeat([]byte{3}, 3<<20)) // straight into the file

	c := newDiskContents()
	first, err := c.current(p)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(7))
	for i := 0; i < 40; i++ {
		off := rnd.Int63n(size - (1 << 20))
		data := make([]byte, 1+rnd.Intn(300<<10))
		if i%3 != 0 {
			rnd.Read(data) // else zeros
		}
		if n, err := c.write(p, off, bytes.NewReader(data), size-off); err != nil || n != int64(len(data)) {
			t.Fatalf("write %d at %d: %d %v", len(data), off, n, err)
		}
	}
	if c.files[p] == nil {
		t.Fatal("the simulator lost track of the file after its own writes")
	}
	second, err := c.current(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	truth, _, err := scanFile(f, size)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	sameBlocks(t, "after writes through the simulator", second, truth, size/cbtBlockSize)

	// The first snapshot's view is still the file as it was then.
	if first.get(70<<20/cbtBlockSize) == 0 || first.get(0) != 0 {
		t.Fatal("the first view moved")
	}
	for b := int64(0); b < size/cbtBlockSize; b++ {
		if b >= 70<<20/cbtBlockSize && b < 73<<20/cbtBlockSize {
			continue
		}
		if first.get(b) != 0 {
			t.Fatalf("first view: block %d not zero", b)
		}
	}

	// A write behind the simulator's back is seen at the next snapshot.
	writeAt(t, p, 5<<20, []byte{1})
	third, err := c.current(p)
	if err != nil {
		t.Fatal(err)
	}
	if third.get(5<<20/cbtBlockSize) == 0 {
		t.Fatal("a direct write was missed")
	}
}

// The first write through the simulator on a file it does not know learns the file, direct
// writes included, so that the next snapshot needs no read.
func TestFirstGuestWriteLearnsTheFile(t *testing.T) {
	dir, err := ioutil.TempDir("", "lifeline-vcsim-content-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "disk-flat.vmdk")
	if err := ioutil.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 8<<20); err != nil {
		t.Fatal(err)
	}
	writeAt(t, p, 1<<20, []byte{4}) // straight into the file
	c := newDiskContents()
	if _, err := c.write(p, 3<<20, bytes.NewReader([]byte{5}), 5<<20); err != nil {
		t.Fatal(err)
	}
	live := c.files[p]
	if live == nil {
		t.Fatal("not learnt")
	}
	got, err := c.current(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.files[p] != live {
		t.Fatal("the snapshot read the file again")
	}
	if got.get(1<<20/cbtBlockSize) == 0 || got.get(3<<20/cbtBlockSize) == 0 || got.get(0) != 0 {
		t.Fatal("wrong blocks")
	}
}

func TestChangedAreasAcrossPages(t *testing.T) {
	page := func(fill map[int]uint64) *fingerprintPage {
		p := &fingerprintPage{}
		for i, v := range fill {
			p[i] = v
		}
		return p
	}
	shared := page(map[int]uint64{0: 1, 5: 2})
	then := &blockMap{pages: map[int64]*fingerprintPage{
		0: shared,
		1: page(map[int]uint64{10: 3, 11: 4}),
		2: page(map[int]uint64{pageBlocks - 1: 5}),
	}}
	now := &blockMap{pages: map[int64]*fingerprintPage{
		0: shared,
		1: page(map[int]uint64{10: 3, 11: 9, 12: 6}),
		3: page(map[int]uint64{0: 7}),
	}}
	block := int64(cbtBlockSize)
	at := func(pg, i int64) int64 { return (pg*pageBlocks + i) * block }
	end := 4 * pageBlocks * block
	for _, tc := range []struct {
		what       string
		since      *blockMap
		start, end int64
		want       []types.DiskChangeExtent
	}{
		{"*", nil, 0, end, []types.DiskChangeExtent{
			{Start: 0, Length: block}, {Start: at(0, 5), Length: block}, {Start: at(1, 10), Length: 3 * block}, {Start: at(3, 0), Length: block}}},
		{"since", then, 0, end, []types.DiskChangeExtent{
			{Start: at(1, 11), Length: 2 * block}, {Start: at(2, pageBlocks-1), Length: 2 * block}}},
		{"since, a span within", then, at(1, 12), at(3, 0) + block/2, []types.DiskChangeExtent{
			{Start: at(1, 12), Length: block}, {Start: at(2, pageBlocks-1), Length: block + block/2}}},
	} {
		got := changedAreas(now, tc.since, tc.start, tc.end)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("%s: %+v, want %+v", tc.what, got, tc.want)
		}
	}
}

// A copy that keeps the modification time (cp -p, rsync -t, touch -r) puts back the very time the
// simulator marked the file with; the change must still be seen.
func TestDirectWriteThatRestoresTheModificationTimeIsSeen(t *testing.T) {
	dir, err := ioutil.TempDir("", "lifeline-vcsim-content-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "disk-flat.vmdk")
	if err := ioutil.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 4<<20); err != nil {
		t.Fatal(err)
	}
	c := newDiskContents()
	if _, err := c.current(p); err != nil {
		t.Fatal(err)
	}
	if c.files[p] == nil {
		t.Skip("this filesystem cannot keep the simulator's mark: every snapshot reads the file")
	}
	marked, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	writeAt(t, p, 2<<20, []byte{9})
	if err := os.Chtimes(p, marked.ModTime(), marked.ModTime()); err != nil {
		t.Fatal(err)
	}
	got, err := c.current(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.get(2<<20/cbtBlockSize) == 0 {
		t.Fatal("a direct write whose modification time was put back was missed")
	}
}
