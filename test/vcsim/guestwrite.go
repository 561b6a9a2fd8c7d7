package main

// POST /lifeline-sim/disks/write?vm=<moref>&key=<device key>&offset=<bytes>, body: the bytes.
//
// Writes guest data into a VM's disk the way a guest writes through its hypervisor: the simulator
// sees the write, so Changed Block Tracking knows the blocks it touched without reading the disk
// again at the next snapshot (diskcontent.go). Writing into the disk's file directly works too;
// the next snapshot then reads the file's data to learn what changed.

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func (h *harness) serveDiskWrite(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key, kerr := strconv.ParseInt(q.Get("key"), 10, 32)
	offset, oerr := strconv.ParseInt(q.Get("offset"), 10, 64)
	if q.Get("vm") == "" || kerr != nil || oerr != nil || offset < 0 {
		writeJSON(w, http.StatusBadRequest, problem{"query must be ?vm=<moref>&key=<device key>&offset=<bytes, >= 0>"})
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
	var found bool
	var err error
	var nd *nasDisk
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
				continue
			}
			_, local, _, err = flatPath(backing)
		}
	})
	if !found {
		writeJSON(w, http.StatusNotFound, problem{"VM " + ref.Value + " has no flat disk with key " + q.Get("key")})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, problem{err.Error()})
		return
	}
	if offset > capacity || (r.ContentLength > 0 && r.ContentLength > capacity-offset) {
		writeJSON(w, http.StatusBadRequest, problem{"the write goes past the end of the disk (capacity " + itoa(capacity) + " bytes)"})
		return
	}

	if nd != nil {
		h.writeNasDisk(w, r, nd, offset, capacity)
		return
	}
	h.nas.io.RLock()
	defer h.nas.io.RUnlock()
	h.cbt.mu.Lock()
	n, err := h.cbt.contents.write(local, offset, r.Body, capacity-offset)
	h.cbt.mu.Unlock()
	switch {
	case errors.Is(err, errBeyondDisk):
		writeJSON(w, http.StatusBadRequest, problem{err.Error() + " (capacity " + itoa(capacity) + " bytes); " + itoa(n) + " bytes were written"})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, problem{err.Error() + "; " + itoa(n) + " bytes were written"})
	default:
		writeJSON(w, http.StatusOK, map[string]int64{"written": n})
	}
}
