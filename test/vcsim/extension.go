package main

// The ExtensionManager. The simulator lists it in the ServiceContent but serves no method on it;
// Lifeline registers itself as a vSphere Client remote plugin through it. Like vCenter's
// deserializer it refuses a server without adminEmail, and it keeps each extension's servers as
// the request carried them (GET /lifeline-sim/extensions/<key>/servers).

import (
	"encoding/xml"
	"fmt"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type extensionManager struct {
	mo.ExtensionManager
}

func installExtensionManager() {
	content := simulator.Map.Get(types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}).(*simulator.ServiceInstance).Content
	if content.ExtensionManager == nil {
		return
	}
	m := &extensionManager{}
	m.Self = *content.ExtensionManager
	simulator.Map.Put(m)
}

func (m *extensionManager) find(key string) int {
	for i := range m.ExtensionList {
		if m.ExtensionList[i].Key == key {
			return i
		}
	}
	return -1
}

func (m *extensionManager) publish(list []types.Extension) {
	simulator.Map.Update(m, []types.PropertyChange{{Name: "extensionList", Val: list}})
}

// validate rejects what a vCenter's SOAP deserializer rejects: missing required properties.
func validateExtension(e *types.Extension) *soap.Fault {
	if e.Key == "" {
		return simulator.Fault("A specified parameter was not correct: extension.key", &types.InvalidArgument{InvalidProperty: "extension.key"})
	}
	if e.Description == nil {
		return simulator.Fault("Required property description is missing from data object of type Extension", &types.InvalidRequest{})
	}
	// vim25 declares ExtensionServerInfo.adminEmail with minOccurs 1: a server without one is a
	// deserialization error in vCenter.
	for _, s := range e.Server {
		if len(s.AdminEmail) == 0 {
			return simulator.Fault("Required property adminEmail is missing from data object of type ExtensionServerInfo", &types.InvalidRequest{})
		}
	}
	return nil
}

// receivedServer is an ExtensionServerInfo as the request carried it, serverCertificate (vSphere
// API 8.0.2) included, which this govmomi's types do not know and so would drop.
type receivedServer struct {
	URL               string   `xml:"url" json:"url"`
	Type              string   `xml:"type" json:"type"`
	AdminEmail        []string `xml:"adminEmail" json:"adminEmail"`
	ServerThumbprint  string   `xml:"serverThumbprint" json:"serverThumbprint"`
	ServerCertificate string   `xml:"serverCertificate" json:"serverCertificate"`
}

type receivedExtension struct {
	Key    string           `xml:"key"`
	Server []receivedServer `xml:"server"`
}

type receivedCall struct {
	Register receivedExtension `xml:"Body>RegisterExtension>extension"`
	Update   receivedExtension `xml:"Body>UpdateExtension>extension"`
}

var (
	receivedMu      sync.Mutex
	receivedServers = map[string][]receivedServer{}
)

// recordExtensionServers keeps the servers of a RegisterExtension or UpdateExtension request as
// sent, for GET /lifeline-sim/extensions/<key>/servers.
func recordExtensionServers(body []byte) {
	var call receivedCall
	if err := xml.Unmarshal(body, &call); err != nil {
		return
	}
	for _, e := range []receivedExtension{call.Register, call.Update} {
		if e.Key == "" {
			continue
		}
		receivedMu.Lock()
		receivedServers[e.Key] = e.Server
		receivedMu.Unlock()
	}
}

func receivedExtensionServers(key string) ([]receivedServer, bool) {
	receivedMu.Lock()
	defer receivedMu.Unlock()
	s, ok := receivedServers[key]
	return s, ok
}

func copyExtensionList(list []types.Extension) []types.Extension {
	out := make([]types.Extension, len(list))
	copy(out, list)
	return out
}

func (m *extensionManager) RegisterExtension(ctx *simulator.Context, req *types.RegisterExtension) soap.HasFault {
	body := &methods.RegisterExtensionBody{}
	if f := validateExtension(&req.Extension); f != nil {
		body.Fault_ = f
		return body
	}
	if m.find(req.Extension.Key) >= 0 {
		body.Fault_ = simulator.Fault(fmt.Sprintf("A specified parameter was not correct: extension.key (%q is already registered)", req.Extension.Key),
			&types.InvalidArgument{InvalidProperty: "extension.key"})
		return body
	}
	ext := req.Extension
	ext.LastHeartbeatTime = time.Now().UTC()
	m.publish(append(copyExtensionList(m.ExtensionList), ext))
	addExtensionPrivileges(ext)
	body.Res = &types.RegisterExtensionResponse{}
	return body
}

func (m *extensionManager) UpdateExtension(ctx *simulator.Context, req *types.UpdateExtension) soap.HasFault {
	body := &methods.UpdateExtensionBody{}
	if f := validateExtension(&req.Extension); f != nil {
		body.Fault_ = f
		return body
	}
	i := m.find(req.Extension.Key)
	if i < 0 {
		body.Fault_ = simulator.Fault(fmt.Sprintf("The object or item referred to could not be found: extension %q", req.Extension.Key), &types.NotFound{})
		return body
	}
	ext := req.Extension
	ext.LastHeartbeatTime = time.Now().UTC()
	list := copyExtensionList(m.ExtensionList)
	removeExtensionPrivileges(list[i])
	list[i] = ext
	m.publish(list)
	addExtensionPrivileges(ext)
	body.Res = &types.UpdateExtensionResponse{}
	return body
}

func (m *extensionManager) FindExtension(ctx *simulator.Context, req *types.FindExtension) soap.HasFault {
	res := &types.FindExtensionResponse{}
	if i := m.find(req.ExtensionKey); i >= 0 {
		ext := m.ExtensionList[i]
		res.Returnval = &ext
	}
	return &methods.FindExtensionBody{Res: res}
}

func (m *extensionManager) UnregisterExtension(ctx *simulator.Context, req *types.UnregisterExtension) soap.HasFault {
	body := &methods.UnregisterExtensionBody{}
	i := m.find(req.ExtensionKey)
	if i < 0 {
		body.Fault_ = simulator.Fault(fmt.Sprintf("The object or item referred to could not be found: extension %q", req.ExtensionKey), &types.NotFound{})
		return body
	}
	list := copyExtensionList(m.ExtensionList)
	removeExtensionPrivileges(list[i])
	list = append(list[:i], list[i+1:]...)
	m.publish(list)
	body.Res = &types.UnregisterExtensionResponse{}
	return body
}

func authorizationManager() *simulator.AuthorizationManager {
	content := simulator.Map.Get(types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}).(*simulator.ServiceInstance).Content
	if content.AuthorizationManager == nil {
		return nil
	}
	am, _ := simulator.Map.Get(*content.AuthorizationManager).(*simulator.AuthorizationManager)
	return am
}

// A vCenter adds a registered extension's privileges to the AuthorizationManager's privilegeList
// (where role editors and Lifeline's own checks can see them) and drops them on unregister.
func addExtensionPrivileges(ext types.Extension) {
	am := authorizationManager()
	if am == nil || len(ext.PrivilegeList) == 0 {
		return
	}
	simulator.Map.WithLock(am, func() {
		for _, p := range ext.PrivilegeList {
			exists := false
			for _, q := range am.PrivilegeList {
				if q.PrivId == p.PrivID {
					exists = true
				}
			}
			if !exists {
				am.PrivilegeList = append(am.PrivilegeList, types.AuthorizationPrivilege{
					PrivId:        p.PrivID,
					Name:          p.PrivID,
					PrivGroupName: p.PrivGroupName,
				})
			}
		}
	})
}

func removeExtensionPrivileges(ext types.Extension) {
	am := authorizationManager()
	if am == nil || len(ext.PrivilegeList) == 0 {
		return
	}
	drop := map[string]bool{}
	for _, p := range ext.PrivilegeList {
		drop[p.PrivID] = true
	}
	simulator.Map.WithLock(am, func() {
		kept := am.PrivilegeList[:0:0]
		for _, q := range am.PrivilegeList {
			if !drop[q.PrivId] {
				kept = append(kept, q)
			}
		}
		am.PrivilegeList = kept
	})
}
