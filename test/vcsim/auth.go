package main

// Users and privileges. The simulator accepts any user name and grants every privilege; Lifeline
// must be tested against a vCenter where a user may lack a privilege, so users here have a
// password and either every privilege (the administrator) or a list, global or per entity.

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type user struct {
	name     string
	password string
	admin    bool
	global   map[string]bool
	entity   map[string]map[string]bool // moref value -> privileges granted there and below
}

type userTable struct {
	mu    sync.Mutex
	users map[string]*user
}

// Privileges every role of a vCenter includes.
var systemPrivileges = map[string]bool{"System.Anonymous": true, "System.View": true, "System.Read": true}

func newUserTable(o *options) (*userTable, error) {
	t := &userTable{users: map[string]*user{}}
	t.put(&user{name: o.username, password: o.password, admin: true})
	for _, spec := range o.users {
		parts := strings.SplitN(spec, ":", 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("--user %q: want NAME:PASSWORD[:PRIV,PRIV...]", spec)
		}
		u := &user{name: parts[0], password: parts[1], global: map[string]bool{}, entity: map[string]map[string]bool{}}
		if len(parts) == 3 {
			for _, p := range strings.Split(parts[2], ",") {
				if p = strings.TrimSpace(p); p != "" {
					u.global[p] = true
				}
			}
		}
		t.put(u)
	}
	return t, nil
}

func (t *userTable) put(u *user) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.users[strings.ToLower(u.name)] = u
}

func (t *userTable) get(name string) *user {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.users[strings.ToLower(name)]
}

// check returns the user if the password matches. User names compare case-insensitively, as
// vCenter's SSO does.
func (t *userTable) check(name, password string) *user {
	u := t.get(name)
	if u == nil || u.password != password {
		return nil
	}
	return u
}

func (t *userTable) describe() []readyUser {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := []readyUser{}
	for _, u := range t.users {
		privs := []string{}
		if u.admin {
			privs = append(privs, "*")
		}
		for p := range u.global {
			privs = append(privs, p)
		}
		sort.Strings(privs)
		out = append(out, readyUser{Username: u.name, Password: u.password, Privileges: privs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out
}

// granted says whether u holds priv on the entity, looking up its parents as vCenter's
// permission propagation does.
func (u *user) granted(priv string, entity types.ManagedObjectReference) bool {
	if u.admin || systemPrivileges[priv] || u.global[priv] {
		return true
	}
	ref := &entity
	for depth := 0; ref != nil && depth < 64; depth++ {
		if u.entity[ref.Value][priv] {
			return true
		}
		e, ok := simulator.Map.Get(*ref).(mo.Entity)
		if !ok {
			break
		}
		ref = e.Entity().Parent
	}
	return false
}

// The privilege a vCenter checks for the calls Lifeline makes, so that a user without it gets
// NoPermission here too. Calls not listed are allowed to every user.
var methodPrivileges = map[string]string{
	"CreateSnapshot_Task":          "VirtualMachine.State.CreateSnapshot",
	"RemoveSnapshot_Task":          "VirtualMachine.State.RemoveSnapshot",
	"RemoveAllSnapshots_Task":      "VirtualMachine.State.RemoveSnapshot",
	"RevertToSnapshot_Task":        "VirtualMachine.State.RevertToSnapshot",
	"RevertToCurrentSnapshot_Task": "VirtualMachine.State.RevertToSnapshot",
	"QueryChangedDiskAreas":        "VirtualMachine.Provisioning.DiskRandomRead",
	"ReconfigVM_Task":              "VirtualMachine.Config.Settings",
	"PowerOnVM_Task":               "VirtualMachine.Interact.PowerOn",
	"PowerOffVM_Task":              "VirtualMachine.Interact.PowerOff",
	"Destroy_Task":                 "VirtualMachine.Inventory.Delete",
	"CreateVM_Task":                "VirtualMachine.Inventory.Create",
	"CloneVM_Task":                 "VirtualMachine.Provisioning.Clone",
	"RegisterExtension":            "Extension.Register",
	"UpdateExtension":              "Extension.Update",
	"UnregisterExtension":          "Extension.Unregister",
	"DeleteDatastoreFile_Task":     "Datastore.FileManagement",
	"MakeDirectory":                "Datastore.FileManagement",
	"CreateNasDatastore":           "Host.Config.Storage",
	"RemoveDatastore":              "Host.Config.Storage",
	"RelocateVM_Task":              "Resource.ColdMigrate",
}

// checkedEntity is the entity a call's privilege is checked on: a snapshot's VM, the entity
// itself, or the root folder for calls on managers.
func (h *harness) checkedEntity(this types.ManagedObjectReference) types.ManagedObjectReference {
	switch obj := simulator.Map.Get(this).(type) {
	case *simulator.VirtualMachineSnapshot:
		return obj.Vm
	case mo.Entity:
		return this
	}
	return h.model.ServiceContent.RootFolder
}

func (h *harness) checkMethodPrivilege(userName string, method *simulator.Method) types.BaseMethodFault {
	priv, ok := methodPrivileges[method.Name]
	if !ok {
		return nil
	}
	u := h.users.get(userName)
	if u == nil {
		// Sessions made by LoginByToken or an extension login have no user entry: the
		// simulator's own behaviour (everything allowed) stands for them.
		return nil
	}
	entity := h.checkedEntity(method.This)
	if u.granted(priv, entity) {
		return nil
	}
	return &types.NoPermission{Object: entity, PrivilegeId: priv}
}

func (h *harness) hasPrivilegeOnEntities(req *types.HasPrivilegeOnEntities) []types.EntityPrivilege {
	s, live := h.session(req.SessionId)
	var u *user
	if live {
		u = h.users.get(s.UserName)
	}
	out := make([]types.EntityPrivilege, 0, len(req.Entity))
	for _, e := range req.Entity {
		ep := types.EntityPrivilege{Entity: e}
		for _, p := range req.PrivId {
			ep.PrivAvailability = append(ep.PrivAvailability, types.PrivilegeAvailability{
				PrivId: p,
				// A live session without a user entry (token or extension login) keeps the
				// simulator's all-granted behaviour; an unknown session has nothing.
				IsGranted: live && (u == nil || u.granted(p, e)),
			})
		}
		out = append(out, ep)
	}
	return out
}
