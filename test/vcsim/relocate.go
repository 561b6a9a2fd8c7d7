package main

// Storage vMotion of a VM's disks as vCenter runs it. Follows the vSphere Web Services API
// reference (vim25):
//   - VirtualMachine.RelocateVM_Task with VirtualMachineRelocateSpecDiskLocator (each disk moved to
//     another datastore while the VM keeps running and keeps its power state). The faults the
//     reference lists for the method that concern the spec (InvalidArgument, InvalidDatastore,
//     NotSupported, ManagedObjectNotFound) are answered at once as a SOAP fault, no task started:
//     the spec is checked before the task exists.
//   - TaskInfo: the relocation's task is `cancelable`; its `progress` rises while it runs and is
//     100 when it succeeds; `cancelled` is set once a cancel was asked for.
//   - Task.CancelTask: cancels a running relocation. "A cancel operation is asynchronous. The
//     operation may return before the task is canceled"; a cancelled task ends in state error
//     with RequestCanceled. CancelTask faults InvalidState when the task has already completed or
//     was cancelled, and NotSupported when the task is not cancelable (every other task of the
//     simulator: they end before their call answers).
//   - TaskInProgress ("thrown if the virtual machine is busy", listed for PowerOnVM_Task,
//     PowerOffVM_Task, ReconfigVM_Task, CreateSnapshot_Task, RelocateVM_Task, ShutdownGuest, ...):
//     while its disks move, the VM's other operations are refused with TaskInProgress naming the
//     relocation's task. The reference lists the fault for these methods without saying whether it
//     comes as a SOAP fault or as the error of a task that ends at once; the harness answers a
//     *_Task method with a task that ends in TaskInProgress (as its fault rules fail task methods)
//     and other methods with a SOAP fault.
// A disk's descriptor and data are copied into the VM's folder on the target datastore (through
// NFS when the source is an NFS datastore, nas.go); only when every disk is copied are the devices
// switched to the copies (at once) and the sources deleted. A cancel before the switch removes the
// copies and leaves the VM wholly on its source datastores; a cancel that comes after the switch
// does not take and the task succeeds, as a vCenter task that completed before its cancel.
// A fault rule may delay the relocation (control.go): the task then runs, its progress moving,
// for the delay before the copy; clearing the fault rules ends the delay at once.
// Differences from vCenter: the copy itself is not interrupted by a cancel (the disks of tests
// are small); a relocation together with a host, pool or folder is not simulated (NotSupported).

import (
	"bytes"
	"fmt"
	"io/ioutil"
	"log"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// relocation is one Storage vMotion under way.
type relocation struct {
	task   *simulator.Task
	vm     types.ManagedObjectReference
	cancel chan struct{}
	once   sync.Once
}

func (r *relocation) requestCancel() {
	r.once.Do(func() {
		close(r.cancel)
		simulator.Map.Update(r.task, []types.PropertyChange{{Name: "info.cancelled", Val: true}})
	})
}

func (r *relocation) cancelled() bool {
	select {
	case <-r.cancel:
		return true
	default:
		return false
	}
}

// relocationTable holds the relocations under way, by task and by VM (one per VM at a time).
type relocationTable struct {
	mu     sync.Mutex
	byTask map[string]*relocation
	byVM   map[string]*relocation
}

func newRelocationTable() *relocationTable {
	return &relocationTable{byTask: map[string]*relocation{}, byVM: map[string]*relocation{}}
}

func (t *relocationTable) ofVM(vm types.ManagedObjectReference) *relocation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byVM[vm.Value]
}

func (t *relocationTable) ofTask(task types.ManagedObjectReference) *relocation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byTask[task.Value]
}

// begin registers a relocation of vm with a new task; nil when one is under way already.
func (t *relocationTable) begin(vm types.ManagedObjectReference) *relocation {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byVM[vm.Value] != nil {
		return nil
	}
	task := newTask("RelocateVM_Task", vm)
	simulator.Map.Update(task, []types.PropertyChange{{Name: "info.cancelable", Val: true}})
	r := &relocation{task: task, vm: vm, cancel: make(chan struct{})}
	t.byTask[task.Self.Value] = r
	t.byVM[vm.Value] = r
	return r
}

func (t *relocationTable) end(r *relocation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byTask, r.task.Self.Value)
	delete(t.byVM, r.vm.Value)
}

// busyMethods are the VM's operations that vCenter refuses (TaskInProgress) while its disks move.
var busyMethods = map[string]bool{
	"PowerOnVM_Task": true, "PowerOffVM_Task": true, "ResetVM_Task": true, "SuspendVM_Task": true,
	"ShutdownGuest": true, "RebootGuest": true, "StandbyGuest": true,
	"ReconfigVM_Task": true, "RelocateVM_Task": true, "MigrateVM_Task": true,
	"CreateSnapshot_Task": true, "RemoveAllSnapshots_Task": true, "RevertToCurrentSnapshot_Task": true,
	"RemoveSnapshot_Task": true, "RevertToSnapshot_Task": true,
	"Destroy_Task": true, "UnregisterVM": true,
}

// refuseBusy answers a call on a VM whose disks are moving, when vCenter would refuse it; returns
// false when the call may go on.
func (h *harness) refuseBusy(w http.ResponseWriter, method *simulator.Method) bool {
	if !busyMethods[method.Name] {
		return false
	}
	vm := method.This
	if vm.Type == "VirtualMachineSnapshot" {
		snap, ok := simulator.Map.Get(vm).(*simulator.VirtualMachineSnapshot)
		if !ok {
			return false
		}
		vm = snap.Vm
	}
	if vm.Type != "VirtualMachine" {
		return false
	}
	r := h.relocs.ofVM(vm)
	if r == nil {
		return false
	}
	h.faults.count(method.Name)
	fault := &types.TaskInProgress{Task: r.task.Self}
	msg := "Another task is already in progress: the disks of " + vm.Value + " are being relocated (" + r.task.Self.Value + ")."
	if strings.HasSuffix(method.Name, "_Task") {
		task := newTask(method.Name, method.This)
		startTask(task)
		finishTask(task, nil, fault, msg)
		writeResult(w, taskResponse(method.Name, task.Self))
		return true
	}
	writeFault(w, msg, fault)
	return true
}

// cancelTask answers Task.CancelTask.
func (h *harness) cancelTask(w http.ResponseWriter, req *types.CancelTask) {
	task, ok := simulator.Map.Get(req.This).(*simulator.Task)
	if !ok {
		writeFault(w, "The object has already been deleted or has not been completely created", &types.ManagedObjectNotFound{Obj: req.This})
		return
	}
	var state types.TaskInfoState
	var cancelled bool
	simulator.Map.WithLock(task, func() {
		state = task.Info.State
		cancelled = task.Info.Cancelled
	})
	r := h.relocs.ofTask(req.This)
	switch {
	case state == types.TaskInfoStateSuccess || state == types.TaskInfoStateError || cancelled:
		writeFault(w, "The task "+req.This.Value+" has already completed or been canceled.", &types.InvalidState{})
	case r == nil:
		writeFault(w, "The task "+req.This.Value+" is not cancelable.", &types.NotSupported{})
	default:
		r.requestCancel()
		writeResult(w, &types.CancelTaskResponse{})
	}
}

// relocateDisks answers a RelocateVM_Task that moves disks (spec.disk) without a delay. Returns
// false when the call has no disk locators (the simulator's own relocate then answers).
func (h *harness) relocateDisks(w http.ResponseWriter, req *types.RelocateVM_Task) bool {
	if len(req.Spec.Disk) == 0 {
		return false
	}
	h.relocateDisksAfter(w, req, 0)
	return true
}

// relocateSteps is how many times a delayed relocation's task reports progress before it copies.
const relocateSteps = 10

// relocateDisksAfter checks the spec (a fault at once when it is wrong), answers with the
// relocation's task, which runs for `delay` (its progress at 1 % at once, then rising to 90 % in
// steps; the disks stay where they are meanwhile) and then copies and switches the disks.
func (h *harness) relocateDisksAfter(w http.ResponseWriter, req *types.RelocateVM_Task, delay time.Duration) {
	vm, moves, fault, msg := h.planRelocate(req)
	if fault != nil {
		writeFault(w, msg, fault)
		return
	}
	r := h.relocs.begin(vm.Self)
	if r == nil {
		busy := h.relocs.ofVM(vm.Self)
		var ref types.ManagedObjectReference
		if busy != nil {
			ref = busy.task.Self
		}
		writeFault(w, "Another task is already in progress: the disks of "+vm.Self.Value+" are being relocated.", &types.TaskInProgress{Task: ref})
		return
	}
	writeResult(w, taskResponse("RelocateVM_Task", r.task.Self))
	released := h.faults.clearedSignal()
	go func() {
		startTask(r.task)
		progress := func(p int) {
			simulator.Map.Update(r.task, []types.PropertyChange{{Name: "info.progress", Val: int32(p)}})
		}
		if delay > 0 {
			// Under way at once, as vCenter's task is once the copy starts.
			progress(1)
		wait:
			for i := 1; i <= relocateSteps; i++ {
				select {
				case <-time.After(delay / relocateSteps):
				case <-released:
					break wait
				case <-r.cancel:
					break wait
				}
				progress(1 + i*89/relocateSteps)
			}
		}
		fault, msg := h.moveDisks(r, vm, moves, progress)
		h.relocs.end(r)
		if fault == nil {
			progress(100)
		}
		finishTask(r.task, nil, fault, msg)
	}()
}

type diskMove struct {
	key      int32
	backing  *types.VirtualDiskFlatVer2BackingInfo
	from     *nasMount // nil: a local datastore
	fromPath string    // local flat path when from == nil
	fromDesc string
	srcRel   string // datastore-relative descriptor path
	target   *simulator.Datastore
	oldName  string
	// Filled in by the copy.
	descLocal, flatLocal, newName string
}

// planRelocate checks a relocation spec against the VM as it is now: the disks to move, or the
// fault vCenter answers the call with.
func (h *harness) planRelocate(req *types.RelocateVM_Task) (*simulator.VirtualMachine, []diskMove, types.BaseMethodFault, string) {
	if req.Spec.Host != nil || req.Spec.Pool != nil || req.Spec.Folder != nil {
		return nil, nil, &types.NotSupported{}, "moving disks together with a host, pool or folder is not simulated"
	}
	vm, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return nil, nil, &types.ManagedObjectNotFound{Obj: req.This}, "The object has already been deleted or has not been completely created"
	}
	var moves []diskMove
	var fault types.BaseMethodFault
	var msg string
	simulator.Map.WithLock(vm, func() {
		for _, loc := range req.Spec.Disk {
			var found bool
			for _, dev := range vm.Config.Hardware.Device {
				disk, backing, ok := flatDisk(dev)
				if !ok || disk.Key != loc.DiskId {
					continue
				}
				found = true
				target, ok := simulator.Map.Get(loc.Datastore).(*simulator.Datastore)
				if !ok {
					ds := loc.Datastore
					fault, msg = &types.InvalidDatastore{Datastore: &ds}, "no such datastore "+loc.Datastore.Value
					return
				}
				if h.nas.byRef(loc.Datastore) != nil {
					fault, msg = &types.NotSupported{}, "relocating a disk onto an NFS datastore is not simulated"
					return
				}
				if backing.Datastore != nil && *backing.Datastore == loc.Datastore {
					continue
				}
				var p object.DatastorePath
				p.FromString(backing.FileName)
				mv := diskMove{key: disk.Key, backing: backing, srcRel: p.Path, target: target, oldName: backing.FileName}
				if backing.Datastore != nil {
					mv.from = h.nas.byRef(*backing.Datastore)
				}
				if mv.from == nil {
					_, mv.fromPath, mv.fromDesc, _ = flatPath(backing)
				}
				moves = append(moves, mv)
			}
			if !found {
				fault, msg = &types.InvalidArgument{InvalidProperty: "spec.disk.diskId"}, fmt.Sprintf("the VM has no disk with key %d", loc.DiskId)
				return
			}
		}
	})
	return vm, moves, fault, msg
}

// moveDisks copies each disk, then (unless cancelled meanwhile) switches the devices to the copies
// and deletes the sources. Progress goes from 90 to 99 % as disks are copied.
func (h *harness) moveDisks(r *relocation, vm *simulator.VirtualMachine, moves []diskMove, progress func(int)) (types.BaseMethodFault, string) {
	canceled := func() (types.BaseMethodFault, string) {
		return &types.RequestCanceled{}, "The task was canceled by a user."
	}
	if r.cancelled() {
		return canceled()
	}
	vmName := vm.Name
	h.nas.io.Lock()
	defer h.nas.io.Unlock()
	removeCopies := func(upTo int) {
		for _, mv := range moves[:upTo] {
			_ = os.Remove(mv.flatLocal)
			_ = os.Remove(mv.descLocal)
		}
	}
	for i := range moves {
		mv := &moves[i]
		targetDir := filepath.Join(mv.target.Info.GetDatastoreInfo().Url, vmName)
		if err := os.MkdirAll(targetDir, 0o755); err != nil {
			removeCopies(i)
			return &types.CannotCreateFile{FileFault: types.FileFault{File: targetDir}}, err.Error()
		}
		base := strings.TrimSuffix(path.Base(mv.srcRel), ".vmdk")
		name := base
		for n := 1; ; n++ {
			if _, err := os.Stat(filepath.Join(targetDir, name+".vmdk")); os.IsNotExist(err) {
				break
			}
			name = fmt.Sprintf("%s_%d", base, n)
		}
		mv.descLocal = filepath.Join(targetDir, name+".vmdk")
		mv.flatLocal = filepath.Join(targetDir, name+"-flat.vmdk")
		mv.newName = fmt.Sprintf("[%s] %s/%s.vmdk", mv.target.Name, vmName, name)
		var desc []byte
		var err error
		if mv.from != nil {
			if desc, err = nfsCat(mv.from, mv.srcRel); err == nil {
				err = nfsCopyOut(mv.from, flatName(mv.srcRel), mv.flatLocal)
			}
		} else {
			if desc, err = ioutil.ReadFile(mv.fromDesc); err == nil {
				_, err = runTool("cp", "--sparse=always", mv.fromPath, mv.flatLocal)
			}
		}
		if err == nil {
			desc = bytes.ReplaceAll(desc, []byte(`"`+path.Base(flatName(mv.srcRel))+`"`), []byte(`"`+name+`-flat.vmdk"`))
			err = ioutil.WriteFile(mv.descLocal, desc, 0o644)
		}
		if err != nil {
			removeCopies(i + 1)
			return &types.FileFault{File: mv.backing.FileName}, "copying " + mv.backing.FileName + ": " + err.Error()
		}
		progress(90 + (i+1)*9/len(moves))
		if r.cancelled() {
			removeCopies(i + 1)
			return canceled()
		}
	}
	// Every disk copied: the switch to the copies, at once; a cancel from here on does not take.
	simulator.Map.WithLock(vm, func() {
		for _, mv := range moves {
			for _, dev := range vm.Config.Hardware.Device {
				if disk, backing, ok := flatDisk(dev); ok && disk.Key == mv.key {
					backing.FileName = mv.newName
					target := mv.target.Self
					backing.Datastore = &target
				}
			}
		}
	})
	for _, mv := range moves {
		simulator.Map.AddReference(mv.target, &mv.target.Vm, vm.Self)
		if mv.from == nil {
			_ = os.Remove(mv.fromPath)
			_ = os.Remove(mv.fromDesc)
		} else {
			_ = os.Remove(filepath.Join(mv.from.shadow, filepath.FromSlash(mv.srcRel)))
			_ = os.Remove(filepath.Join(mv.from.shadow, filepath.FromSlash(flatName(mv.srcRel))))
		}
		log.Printf("relocated %s to %s", mv.oldName, mv.newName)
	}
	// Datastores the VM no longer uses drop it; the VM's datastore list follows its files.
	h.refreshVmDatastores(vm)
	return nil, ""
}
