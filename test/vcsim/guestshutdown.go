package main

// VirtualMachine.ShutdownGuest as vSphere answers it, and the guest's VMware Tools state that
// decides the answer. Follows the vSphere Web Services API reference (vim25), "VirtualMachine" →
// "ShutdownGuest": the call "issues a command to the guest operating system asking it to perform
// a clean shutdown of all services" and "returns immediately and does not wait for the guest
// operating system to complete the operation"; its faults include ToolsUnavailable ("thrown if
// VMware Tools is not running") and InvalidPowerState ("thrown if the power state is not
// poweredOn"). govmomi's simulator powers the VM off at once whatever its Tools do; here a VM
// whose Tools are not running (guest.toolsRunningStatus other than guestToolsRunning, which is
// how every simulated VM starts) gets ToolsUnavailable and keeps running.
//
// Test-only control (a vCenter has none): POST /lifeline-sim/vms/tools {"vm": "<moref>",
// "running": true, "ignoreShutdown": false} sets whether VMware Tools runs in the guest (the
// guest.toolsRunningStatus and guest.toolsStatus properties a client reads), and whether the
// guest ignores a shutdown it was asked for (a guest that hangs on the way down: the call is
// accepted and the VM stays powered on). A guest that does not ignore it powers off at once, as
// the simulator does. The reference does not say how long a guest may take; nothing here waits.

import (
	"net/http"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// guestsIgnoringShutdown: VMs (by moref) whose guest accepts ShutdownGuest and never goes down.
var guestsIgnoringShutdown = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

// shutdownGuest answers ShutdownGuest for a powered-on VM whose Tools are not running, or whose
// guest ignores the request; it returns false to let the simulator answer (InvalidPowerState for
// a VM that is not powered on, else the power-off).
func (h *harness) shutdownGuest(w http.ResponseWriter, req *types.ShutdownGuest) bool {
	vm, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return false
	}
	var on, tools bool
	simulator.Map.WithLock(vm, func() {
		on = vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
		tools = vm.Guest != nil && vm.Guest.ToolsRunningStatus == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
	})
	if !on {
		return false
	}
	if !tools {
		writeFault(w, "Cannot complete operation because VMware Tools is not running in this virtual machine.", &types.ToolsUnavailable{})
		return true
	}
	guestsIgnoringShutdown.Lock()
	ignore := guestsIgnoringShutdown.m[req.This.Value]
	guestsIgnoringShutdown.Unlock()
	if ignore {
		writeResult(w, &types.ShutdownGuestResponse{})
		return true
	}
	return false
}

func (h *harness) serveTools(w http.ResponseWriter, r *http.Request) {
	var req struct {
		VM             string `json:"vm"`
		Running        bool   `json:"running"`
		IgnoreShutdown bool   `json:"ignoreShutdown"`
	}
	if err := readJSON(r, &req); err != nil || req.VM == "" {
		writeJSON(w, http.StatusBadRequest, problem{"body must be {\"vm\": \"<moref>\", \"running\": <bool>, \"ignoreShutdown\": <bool>}"})
		return
	}
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: req.VM}
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		writeJSON(w, http.StatusNotFound, problem{"no such VM: " + req.VM})
		return
	}
	running := string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
	status := types.VirtualMachineToolsStatusToolsNotRunning
	if req.Running {
		running = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		status = types.VirtualMachineToolsStatusToolsOk
	}
	simulator.Map.WithLock(vm, func() {
		if vm.Guest == nil {
			vm.Guest = &types.GuestInfo{}
		}
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "guest.toolsRunningStatus", Val: running},
			{Name: "guest.toolsStatus", Val: status},
		})
	})
	guestsIgnoringShutdown.Lock()
	guestsIgnoringShutdown.m[req.VM] = req.IgnoreShutdown
	guestsIgnoringShutdown.Unlock()
	writeJSON(w, http.StatusOK, map[string]interface{}{"vm": req.VM, "running": req.Running, "ignoreShutdown": req.IgnoreShutdown})
}
