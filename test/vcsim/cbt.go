package main

// Changed Block Tracking, which the simulator lacks.
//
// At each CreateSnapshot_Task on a VM with changeTrackingEnabled, every disk gets a new changeId
// (shown in the snapshot's and the VM's config.hardware.device[].backing.changeId, as on a
// vCenter) and the snapshot keeps the fingerprints of the disk's 64 KiB blocks at that moment
// (diskcontent.go: cheap when the disk was written through the simulator since it last read the
// file, a read of the file's data extents otherwise). QueryChangedDiskAreas then answers:
//   - changeId "*": the allocated (here: non-zero) blocks of the disk as of the snapshot;
//   - another changeId: the blocks whose content differs between the snapshot that produced it
//     and the snapshot asked about.
// Each reply covers at most --cbt-span bytes from startOffset, so a client must loop with
// startOffset += length until it reaches the capacity, as it must on a vCenter (which bounds its
// replies too).
//
// The simulator does not make delta disks: while a snapshot exists, guest writes (a test writing
// into the -flat.vmdk) land in the same file a backup reads, whereas on vSphere the base file is
// frozen under the snapshot. Tests therefore write before they take the snapshot and do not write
// while a backup of it runs; the fingerprints recorded at snapshot time are what CBT reports on.

import (
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const cbtBlockSize = 64 << 10

type changeRecord struct {
	vm        types.ManagedObjectReference
	deviceKey int32
	changeID  string
	capacity  int64
	file      string    // datastore path of the disk, for fault messages
	blocks    *blockMap // the disk's content at the snapshot
}

type diskTrack struct {
	prefix string // the "52 xx .. xx-xx .. xx" part of the disk's changeIds
	seq    int
}

type cbtTracker struct {
	mu         sync.Mutex
	span       int64
	byChangeID map[string]*changeRecord
	bySnapshot map[types.ManagedObjectReference]map[int32]*changeRecord
	disks      map[string]*diskTrack // "<vm>/<deviceKey>"
	contents   *diskContents
}

func newCbtTracker(span int64) *cbtTracker {
	return &cbtTracker{
		span:       span,
		byChangeID: map[string]*changeRecord{},
		bySnapshot: map[types.ManagedObjectReference]map[int32]*changeRecord{},
		disks:      map[string]*diskTrack{},
		contents:   newDiskContents(),
	}
}

// newChangeID gives a disk its next changeId, shaped like vSphere's
// ("52 de 1d 17 b3 0c 0b 3c-8a 5d 7b a9 2c fc 74 3b/42"): a per-disk UUID and a sequence.
func (t *cbtTracker) newChangeID(vm types.ManagedObjectReference, key int32) string {
	id := fmt.Sprintf("%s/%d", vm.Value, key)
	d := t.disks[id]
	if d == nil {
		var b [16]byte
		_, _ = rand.Read(b[:])
		b[0] = 0x52
		s := ""
		for i, x := range b {
			switch {
			case i == 8:
				s += "-"
			case i > 0:
				s += " "
			}
			s += fmt.Sprintf("%02x", x)
		}
		d = &diskTrack{prefix: s}
		t.disks[id] = d
	}
	d.seq++
	return fmt.Sprintf("%s/%d", d.prefix, d.seq)
}

// onSnapshot records the disks' content at a new snapshot and gives them new changeIds.
func (t *cbtTracker) onSnapshot(vmRef, snapRef types.ManagedObjectReference) error {
	vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("not a VM: %s", vmRef)
	}
	snap, ok := simulator.Map.Get(snapRef).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return fmt.Errorf("not a snapshot: %s", snapRef)
	}
	var err error
	simulator.Map.WithLock(vm, func() {
		if vm.Config.ChangeTrackingEnabled == nil || !*vm.Config.ChangeTrackingEnabled {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		// The simulator's snapshot shares the VM's device objects; give the snapshot its own
		// copies so that its changeIds stay those of the moment it was taken.
		snapDevices := make([]types.BaseVirtualDevice, len(snap.Config.Hardware.Device))
		records := map[int32]*changeRecord{}
		for i, dev := range snap.Config.Hardware.Device {
			snapDevices[i] = dev
			disk, backing, ok := flatDisk(dev)
			if !ok {
				continue
			}
			_, local, _, e := flatPath(backing)
			if e != nil {
				err = e
				return
			}
			blocks, e := t.contents.current(local)
			if e != nil {
				err = e
				return
			}
			rec := &changeRecord{
				vm:        vmRef,
				deviceKey: disk.Key,
				changeID:  t.newChangeID(vmRef, disk.Key),
				capacity:  diskCapacity(disk),
				file:      backing.FileName,
				blocks:    blocks,
			}
			records[disk.Key] = rec
			t.byChangeID[rec.changeID] = rec

			diskCopy := *disk
			backingCopy := *backing
			backingCopy.ChangeId = rec.changeID
			diskCopy.Backing = &backingCopy
			snapDevices[i] = &diskCopy
		}
		snap.Config.Hardware.Device = snapDevices
		t.bySnapshot[snapRef] = records
		for _, dev := range vm.Config.Hardware.Device {
			if disk, backing, ok := flatDisk(dev); ok && records[disk.Key] != nil {
				backing.ChangeId = records[disk.Key].changeID
			}
		}
	})
	return err
}

// reset forgets a VM's changeIds, as vSphere does when CBT is turned off or reset: queries with
// an older changeId then fail and a client must fall back to a full read.
func (t *cbtTracker) reset(vmRef types.ManagedObjectReference) {
	t.mu.Lock()
	for id, rec := range t.byChangeID {
		if rec.vm == vmRef {
			delete(t.byChangeID, id)
		}
	}
	for snap, recs := range t.bySnapshot {
		for _, rec := range recs {
			if rec.vm == vmRef {
				delete(t.bySnapshot, snap)
				break
			}
		}
	}
	for key := range t.disks {
		if len(key) > len(vmRef.Value) && key[:len(vmRef.Value)+1] == vmRef.Value+"/" {
			delete(t.disks, key)
		}
	}
	t.mu.Unlock()
	if vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine); ok {
		simulator.Map.WithLock(vm, func() {
			for _, dev := range vm.Config.Hardware.Device {
				if _, backing, ok := flatDisk(dev); ok {
					backing.ChangeId = ""
				}
			}
		})
	}
}

func invalidArgument(prop string) types.BaseMethodFault {
	return &types.InvalidArgument{InvalidProperty: prop}
}

// query answers QueryChangedDiskAreas, with the faults a vCenter gives: FileFault when the VM has
// no CBT data for the disk or the changeId is unknown (vSphere reports the disk file), and
// InvalidArgument for a bad snapshot, device key or offset.
func (t *cbtTracker) query(req *types.QueryChangedDiskAreas) (*types.DiskChangeInfo, string, types.BaseMethodFault) {
	vm, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return nil, fmt.Sprintf("The object '%s' has already been deleted or has not been completely created", req.This.Value),
			&types.ManagedObjectNotFound{Obj: req.This}
	}
	var cbtOn bool
	var diskFile string
	simulator.Map.WithLock(vm, func() {
		cbtOn = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled
		for _, dev := range vm.Config.Hardware.Device {
			if disk, ok := dev.(*types.VirtualDisk); ok && disk.Key == req.DeviceKey {
				if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
					diskFile = b.FileName
				}
			}
		}
	})
	if req.Snapshot == nil {
		return nil, "A snapshot is required to query changed disk areas of this virtual machine.", invalidArgument("snapshot")
	}
	snap, ok := simulator.Map.Get(*req.Snapshot).(*simulator.VirtualMachineSnapshot)
	if !ok || snap.Vm != req.This {
		return nil, "A specified parameter was not correct: snapshot", invalidArgument("snapshot")
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	rec := t.bySnapshot[*req.Snapshot][req.DeviceKey]
	if rec == nil {
		if diskFile == "" {
			found := false
			for _, dev := range snap.Config.Hardware.Device {
				if d, ok := dev.(*types.VirtualDisk); ok && d.Key == req.DeviceKey {
					found = true
				}
			}
			if !found {
				return nil, "A specified parameter was not correct: deviceKey", invalidArgument("deviceKey")
			}
		}
		why := "change tracking was not enabled when the snapshot was taken"
		if !cbtOn {
			why = "change tracking is not enabled on this virtual machine"
		}
		return nil, fmt.Sprintf("Error caused by file %s (%s)", diskFile, why), &types.FileFault{File: diskFile}
	}
	if req.StartOffset < 0 || req.StartOffset >= rec.capacity {
		return nil, "A specified parameter was not correct: startOffset", invalidArgument("startOffset")
	}

	var base *changeRecord
	if req.ChangeId != "*" {
		base = t.byChangeID[req.ChangeId]
		if base == nil || base.vm != req.This || base.deviceKey != req.DeviceKey {
			return nil, fmt.Sprintf("Error caused by file %s (unknown changeId %q)", rec.file, req.ChangeId), &types.FileFault{File: rec.file}
		}
	}

	start := req.StartOffset
	end := start + t.span
	if end > rec.capacity {
		end = rec.capacity
	}
	var since *blockMap
	if base != nil {
		since = base.blocks
	}
	info := &types.DiskChangeInfo{StartOffset: start, Length: end - start, ChangedArea: changedAreas(rec.blocks, since, start, end)}
	return info, "", nil
}

// changedAreas lists, within [start, end), the blocks of `now` that are not zeros (since == nil:
// changeId "*") or that differ from `since` (including blocks zeroed since), adjacent ones merged.
func changedAreas(now, since *blockMap, start, end int64) []types.DiskChangeExtent {
	var out []types.DiskChangeExtent
	for b := start / cbtBlockSize; b*cbtBlockSize < end; b++ {
		// A page of blocks that both share (or neither has) holds no change.
		pageNow := now.pages[b/pageBlocks]
		var pageThen *fingerprintPage
		if since != nil {
			pageThen = since.pages[b/pageBlocks]
		}
		if pageNow == pageThen {
			b = (b/pageBlocks+1)*pageBlocks - 1
			continue
		}
		var changed bool
		if since == nil {
			changed = now.get(b) != 0
		} else {
			changed = now.get(b) != since.get(b)
		}
		if !changed {
			continue
		}
		s, e := b*cbtBlockSize, (b+1)*cbtBlockSize
		if s < start {
			s = start
		}
		if e > end {
			e = end
		}
		if n := len(out); n > 0 && out[n-1].Start+out[n-1].Length == s {
			out[n-1].Length += e - s
			continue
		}
		out = append(out, types.DiskChangeExtent{Start: s, Length: e - s})
	}
	return out
}
