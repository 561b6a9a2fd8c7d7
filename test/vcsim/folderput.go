package main

// Uploads of datastore files (PUT /folder/...), the path every byte of a restore takes. The
// simulator's own handler copies the body into the file 32 KiB at a time and writes every byte,
// zeros included; this one reads the body in 1 MiB pieces and leaves each all-zero 64 KiB block
// as a hole (the data around it is written at its offsets, the block itself never), as a
// thin-provisioned VMFS or NFS datastore does: the file reads back byte for byte the same, and a
// restored disk's unused space costs the simulator no writes. The reply is the simulator's: 200 with an empty body once
// the whole body is in the file; 500 when the file cannot be created. A body cut short (the
// client went away) leaves the bytes received so far in the file, as the simulator's handler
// does (which would then answer 200; this one answers 500, for a client that is still there).
//
// The file is replaced (truncated, then written), so change tracking sees new content: its status
// (modification time, size) changes, and what the simulator knew of the file's blocks is dropped
// as well (diskcontent.go), so that the next snapshot reads the file again.
//
// Anything else — POST, an unknown datastore — is left to the simulator's handler. Fault rules
// on uploads (cutUpload in server.go) are applied before this handler is reached.

import (
	"io"
	"log"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

const putPiece = 1 << 20 // bytes of the body read (and then written) at a time

var putBuffers = sync.Pool{New: func() interface{} { b := make([]byte, putPiece); return &b }}

// serveFolderPut answers an upload of a datastore file and returns true, or returns false (having
// written nothing) for the simulator's handler to answer.
func (h *harness) serveFolderPut(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPut {
		return false
	}
	q := r.URL.Query()
	dir := h.datastoreDir(q.Get("dcPath"), q.Get("dsName"))
	if dir == "" {
		return false
	}
	// As http.Dir does: the path is cleaned as if rooted, so it cannot climb out of the datastore.
	local := filepath.Join(dir, filepath.FromSlash(path.Clean("/"+strings.TrimPrefix(r.URL.Path, "/folder/"))))
	_ = os.MkdirAll(filepath.Dir(local), 0700)
	f, err := os.Create(local)
	if err != nil {
		log.Printf("failed to %s '%s': %s", r.Method, local, err)
		w.WriteHeader(http.StatusInternalServerError)
		return true
	}
	defer h.cbt.forgetContent(local)
	defer f.Close()
	if n, err := writeSparse(f, r.Body); err != nil {
		// Mostly a client that went away; the bytes received stay, as on a datastore.
		log.Printf("upload of '%s' failed after %d bytes: %s", local, n, err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	return true
}

// writeSparse copies body into f (a new, empty file) from offset 0 and returns the bytes copied.
// All-zero blocks of cbtBlockSize are skipped, left as holes; the file is then set to the length
// of what was copied (so zeros at its end count too), also when the body ends with an error.
func writeSparse(f *os.File, body io.Reader) (int64, error) {
	bp := putBuffers.Get().(*[]byte)
	defer putBuffers.Put(bp)
	buf := *bp
	var at int64
	for {
		n, rerr := fill(body, buf)
		if werr := writeData(f, buf[:n], at); werr != nil {
			return at, werr
		}
		at += int64(n)
		if rerr != nil {
			if terr := f.Truncate(at); terr != nil {
				return at, terr
			}
			if rerr == io.EOF {
				return at, nil
			}
			return at, rerr
		}
	}
}

// fill reads into buf until it is full (nil) or the body ends (io.EOF) or fails (that error).
func fill(body io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := body.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// writeData writes the blocks of b that are not all zeros at offset at (a multiple of
// cbtBlockSize, except for the last piece of a body), adjacent ones in one write.
func writeData(f *os.File, b []byte, at int64) error {
	start := -1 // start in b of the data run being gathered
	for i := 0; i < len(b); i += cbtBlockSize {
		end := i + cbtBlockSize
		if end > len(b) {
			end = len(b)
		}
		// Data blocks mostly differ from zeros in their first or last byte.
		zero := b[i] == 0 && b[end-1] == 0 && isZero(b[i:end])
		if !zero && start < 0 {
			start = i
		}
		if zero && start >= 0 {
			if _, err := f.WriteAt(b[start:i], at+int64(start)); err != nil {
				return err
			}
			start = -1
		}
	}
	if start >= 0 {
		_, err := f.WriteAt(b[start:], at+int64(start))
		return err
	}
	return nil
}

// forgetContent drops what change tracking knows of a data file's blocks: the file was replaced,
// and the next snapshot reads it again.
func (t *cbtTracker) forgetContent(local string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.contents.files, local)
}
