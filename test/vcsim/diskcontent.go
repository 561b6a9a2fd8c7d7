package main

// What the simulator knows of the content of its disks' data files, for Changed Block Tracking.
//
// A hypervisor tracks changed blocks in its I/O path, as the guest writes; the simulator's disks
// are plain files that tests write straight into, so it learns their content by reading them. It
// keeps, per data file, a fingerprint of every 64 KiB block and two ways to keep it current:
//
//   - Writes made through the simulator (POST /lifeline-sim/disks/write, as a guest writes through
//     its hypervisor) re-fingerprint just the blocks they touch, as they happen. (The first one on
//     a file the simulator does not know yet reads the file first: at once while it is empty.)
//   - Any other change to the file (a test writing into it directly, an upload replacing it) is
//     seen at the next snapshot, which then reads the whole file again (its data extents only:
//     SEEK_DATA/SEEK_HOLE skip the holes of a sparse file, several goroutines share the work).
//
// "Any other change" is told by the file's status: after each full read and each write of its
// own, the simulator sets the file's modification time one nanosecond after its current value, a
// time the kernel never gives a write (a write stamps the time of the clock, which moves in ticks
// of milliseconds), and notes the file's change time. Any later write, truncate or replacement
// changes the modification time, the size or the inode, and so the status no longer matches. The
// change time catches a copy that puts the modification time back (cp -p, touch -r): no call can
// set it, and it moves with the data and with the modification time. A filesystem that cannot
// store that nanosecond makes the simulator read the whole file at every snapshot, which is
// slower but exact.
//
// Fingerprints are a 64-bit seeded hash (hash/maphash, the AES-based hash of Go's maps): two
// different blocks share one with probability 2^-64, far below anything a test could meet, and
// it runs at memory speed where SHA-256 ran at 0.5 GB/s. Zero blocks have fingerprint 0 and are
// never stored: a sparse disk costs memory for the 64 MiB pages it has data in only.
//
// A snapshot takes the current fingerprints by sharing their pages; a later write through the
// simulator copies a page before it changes it, so a snapshot's view never moves.

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"log"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

const (
	pageBlocks  = 1024    // blocks per page of fingerprints: 64 MiB of disk
	scanPiece   = 8 << 20 // bytes one goroutine reads and fingerprints at a time
	seekData    = 3       // SEEK_DATA: next offset holding data (Linux)
	seekHole    = 4       // SEEK_HOLE
	maxScanners = 4
)

var fingerprintSeed = maphash.MakeSeed()

// fingerprint of one block: 0 for a block of zeros, else its seeded hash (never 0).
func fingerprint(b []byte) uint64 {
	if isZero(b) {
		return 0
	}
	h := maphash.Bytes(fingerprintSeed, b)
	if h == 0 {
		h = 1
	}
	return h
}

var zeroBlock = make([]byte, cbtBlockSize)

func isZero(b []byte) bool {
	for len(b) > 0 {
		n := len(b)
		if n > len(zeroBlock) {
			n = len(zeroBlock)
		}
		if !bytes.Equal(b[:n], zeroBlock[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

type fingerprintPage [pageBlocks]uint64

// blockMap holds the fingerprints of a disk's blocks; blocks it has no page for are zeros.
type blockMap struct {
	pages map[int64]*fingerprintPage
}

func newBlockMap() *blockMap { return &blockMap{pages: map[int64]*fingerprintPage{}} }

func (m *blockMap) get(block int64) uint64 {
	if p := m.pages[block/pageBlocks]; p != nil {
		return p[block%pageBlocks]
	}
	return 0
}

// liveDisk is the simulator's knowledge of one data file's current content.
type liveDisk struct {
	blocks *blockMap
	// shared: pages that a snapshot's record also holds, copied before they change.
	shared map[int64]bool
	// stamp: the file's status when blocks last described it exactly.
	stamp fileStamp
}

type fileStamp struct {
	dev, ino uint64
	size     int64
	mtimeNs  int64
	ctimeNs  int64 // the change time, which no call can set
}

func statFile(f *os.File) (fileStamp, syscall.Stat_t, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return fileStamp{}, st, err
	}
	return fileStamp{dev: uint64(st.Dev), ino: uint64(st.Ino), size: st.Size, mtimeNs: st.Mtim.Nano(), ctimeNs: st.Ctim.Nano()}, st, nil
}

// restamp moves the file's modification time on by one nanosecond (see the top of this file) and
// returns the status to recognise it by, or ok=false when the filesystem did not keep it or the
// file is no longer as `expect` (when given) says.
func restamp(f *os.File, expect *fileStamp) (fileStamp, bool) {
	before, st, err := statFile(f)
	if err != nil || (expect != nil && before != *expect) {
		return fileStamp{}, false
	}
	ts := []syscall.Timespec{st.Atim, syscall.NsecToTimespec(before.mtimeNs + 1)}
	if err := syscall.UtimesNano(f.Name(), ts); err != nil {
		return fileStamp{}, false
	}
	after, _, err := statFile(f)
	if err != nil || after.mtimeNs != before.mtimeNs+1 || after.ino != before.ino || after.size != before.size {
		return fileStamp{}, false
	}
	return after, true
}

// diskContents: the live knowledge of every data file, by local path. Callers hold cbtTracker.mu.
type diskContents struct {
	files map[string]*liveDisk
}

func newDiskContents() *diskContents { return &diskContents{files: map[string]*liveDisk{}} }

// current returns the fingerprints of the file as it is now, for a snapshot to keep: from what
// the simulator already knows when nothing else touched the file, else by reading it.
func (c *diskContents) current(path string) (*blockMap, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		delete(c.files, path)
		return newBlockMap(), nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	now, _, err := statFile(f)
	if err != nil {
		return nil, err
	}
	live := c.files[path]
	if live == nil || live.stamp != now {
		if live, err = c.learn(f, path, now); err != nil {
			return nil, err
		}
	}
	// The snapshot shares every page; the live view copies one before changing it.
	view := &blockMap{pages: make(map[int64]*fingerprintPage, len(live.blocks.pages))}
	for i, p := range live.blocks.pages {
		view.pages[i] = p
		live.shared[i] = true
	}
	return view, nil
}

// learn reads the whole file (its data extents) to know its content as it is now, `now` being its
// status. The knowledge is kept only if later changes can be told from the file's status.
func (c *diskContents) learn(f *os.File, path string, now fileStamp) (*liveDisk, error) {
	started := time.Now()
	blocks, read, err := scanFile(f, now.size)
	if err != nil {
		return nil, err
	}
	log.Printf("CBT: read %s to learn its content: %.1f MiB of data in %v", path, float64(read)/(1<<20), time.Since(started).Round(time.Millisecond))
	live := &liveDisk{blocks: blocks, shared: map[int64]bool{}}
	if stamp, ok := restamp(f, &now); ok {
		live.stamp = stamp
		c.files[path] = live
	} else {
		delete(c.files, path) // cannot tell later changes apart: read again next time
	}
	return live, nil
}

// write puts guest data into a data file at offset, as a guest's write through its hypervisor:
// the blocks it touches are fingerprinted now, so the next snapshot need not read the file.
// Callers hold cbtTracker.mu.
func (c *diskContents) write(path string, offset int64, body io.Reader, limit int64) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	before, _, err := statFile(f)
	if err != nil {
		return 0, err
	}
	live := c.files[path]
	if live == nil || live.stamp != before {
		// Not known, or changed behind the simulator's back: learn it now (cheap while the disk is
		// still empty and sparse), so that this write and the next ones are all the next snapshot
		// needs to know.
		if live, err = c.learn(f, path, before); err != nil {
			return 0, err
		}
		if c.files[path] == nil {
			live = nil // the file's status cannot tell later changes: the next snapshot reads it
		}
	}
	buf := make([]byte, 1<<20)
	written := int64(0)
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if written+int64(n) > limit {
				return written, errBeyondDisk
			}
			if _, err := f.WriteAt(buf[:n], offset+written); err != nil {
				return written, err
			}
			written += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return written, rerr
		}
	}
	if live == nil || written == 0 {
		return written, nil
	}
	// Fingerprint the touched blocks anew, from the file: a write of part of a block changes it
	// only if the bytes differ.
	first, end := offset/cbtBlockSize, (offset+written+cbtBlockSize-1)/cbtBlockSize
	block := make([]byte, cbtBlockSize)
	for b := first; b < end; b++ {
		n, err := f.ReadAt(block, b*cbtBlockSize)
		if err != nil && err != io.EOF {
			delete(c.files, path)
			return written, err
		}
		live.set(b, fingerprint(block[:n]))
	}
	if stamp, ok := restamp(f, nil); ok {
		live.stamp = stamp
	} else {
		delete(c.files, path)
	}
	return written, nil
}

var errBeyondDisk = fmt.Errorf("the write goes past the end of the disk")

// set records a block's fingerprint, copying its page first if a snapshot shares it.
func (l *liveDisk) set(block int64, fp uint64) {
	i := block / pageBlocks
	p := l.blocks.pages[i]
	if p == nil {
		if fp == 0 {
			return
		}
		p = &fingerprintPage{}
		l.blocks.pages[i] = p
	} else if l.shared[i] {
		cp := *p
		p = &cp
		l.blocks.pages[i] = p
		delete(l.shared, i)
	}
	p[block%pageBlocks] = fp
}

// scanFile fingerprints every block of a (sparse) file: holes are skipped without being read, the
// data extents are read in pieces by several goroutines. It returns the map and the bytes read.
func scanFile(f *os.File, size int64) (*blockMap, int64, error) {
	type piece struct{ start, end int64 }
	var pieces []piece
	m := newBlockMap()
	off := int64(0)
	for off < size {
		data, err := f.Seek(off, seekData)
		if err != nil && isENXIO(err) {
			break // no data after off
		}
		if err != nil {
			data = off // no SEEK_DATA here: read everything
		}
		hole, err := f.Seek(data, seekHole)
		if err != nil || hole > size {
			hole = size
		}
		start := data / cbtBlockSize * cbtBlockSize
		end := (hole + cbtBlockSize - 1) / cbtBlockSize * cbtBlockSize
		for s := start; s < end; s += scanPiece {
			e := s + scanPiece
			if e > end {
				e = end
			}
			pieces = append(pieces, piece{s, e})
			// Pages are made here, so that the goroutines only fill distinct slots of them.
			for p := s / cbtBlockSize / pageBlocks; p <= (e-1)/cbtBlockSize/pageBlocks; p++ {
				if m.pages[p] == nil {
					m.pages[p] = &fingerprintPage{}
				}
			}
		}
		if end <= off {
			end = off + cbtBlockSize
		}
		off = end
	}

	workers := runtime.NumCPU()
	if workers > maxScanners {
		workers = maxScanners
	}
	if workers > len(pieces) {
		workers = len(pieces)
	}
	next := make(chan piece)
	errs := make(chan error, workers)
	var read int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, scanPiece)
			n := int64(0)
			var failed error
			for p := range next {
				if failed != nil {
					continue // drain
				}
				got, err := f.ReadAt(buf[:p.end-p.start], p.start)
				if err != nil && err != io.EOF {
					failed = err
					continue
				}
				n += int64(got)
				for o := 0; o < got; o += cbtBlockSize {
					e := o + cbtBlockSize
					if e > got {
						e = got
					}
					b := (p.start + int64(o)) / cbtBlockSize
					m.pages[b/pageBlocks][b%pageBlocks] = fingerprint(buf[o:e])
				}
			}
			mu.Lock()
			read += n
			mu.Unlock()
			errs <- failed
		}()
	}
	for _, p := range pieces {
		next <- p
	}
	close(next)
	wg.Wait()
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			return nil, 0, err
		}
	}
	// Pages that turned out to hold only zeros are dropped, as if never made.
	for i, p := range m.pages {
		if *p == (fingerprintPage{}) {
			delete(m.pages, i)
		}
	}
	return m, read, nil
}

func isENXIO(err error) bool {
	if err == syscall.ENXIO {
		return true
	}
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err == syscall.ENXIO
	}
	return false
}
