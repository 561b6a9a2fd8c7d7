package main

// Builds the inventory the flags ask for and describes it for the ready line.

import (
	"context"
	"fmt"
	"io/ioutil"
	"os"
	"path"
	"path/filepath"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

type readyDatastore struct {
	Name       string `json:"name"`
	Datacenter string `json:"datacenter"`
	Moref      string `json:"moref"`
	Dir        string `json:"dir"`
}

type readyDisk struct {
	Key            int32  `json:"key"`
	File           string `json:"file"`
	FlatFile       string `json:"flatFile"`
	Path           string `json:"path"`
	DescriptorPath string `json:"descriptorPath"`
	Capacity       int64  `json:"capacity"`
}

type readyVM struct {
	Name         string      `json:"name"`
	Moref        string      `json:"moref"`
	UUID         string      `json:"uuid"`
	InstanceUUID string      `json:"instanceUuid"`
	Datacenter   string      `json:"datacenter"`
	Datastore    string      `json:"datastore"`
	Disks        []readyDisk `json:"disks"`
}

type readyUser struct {
	Username   string   `json:"username"`
	Password   string   `json:"password"`
	Privileges []string `json:"privileges"`
}

type ready struct {
	URL          string           `json:"url"`
	Username     string           `json:"username"`
	Password     string           `json:"password"`
	Thumbprint   string           `json:"thumbprint"`
	Certificate  string           `json:"certificate"`
	InstanceUUID string           `json:"instanceUuid"`
	APIVersion   string           `json:"apiVersion"`
	CbtSpan      int64            `json:"cbtSpan"`
	CbtBlockSize int64            `json:"cbtBlockSize"`
	Users        []readyUser      `json:"users"`
	Datastores   []readyDatastore `json:"datastores"`
	VMs          []readyVM        `json:"vms"`
}

// flatDisk is dev as a disk backed by a flat data file (the kind the simulator makes), or ok=false.
func flatDisk(dev types.BaseVirtualDevice) (disk *types.VirtualDisk, backing *types.VirtualDiskFlatVer2BackingInfo, ok bool) {
	if disk, ok = dev.(*types.VirtualDisk); ok {
		backing, ok = disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	}
	return disk, backing, ok
}

// flatPath resolves a disk's "[ds] dir/name.vmdk" to the local path of its "-flat.vmdk" data file.
func flatPath(backing *types.VirtualDiskFlatVer2BackingInfo) (datastorePath string, local string, descriptor string, err error) {
	var p object.DatastorePath
	if !p.FromString(backing.FileName) {
		return "", "", "", fmt.Errorf("not a datastore path: %q", backing.FileName)
	}
	if backing.Datastore == nil {
		return "", "", "", fmt.Errorf("disk %q has no datastore", backing.FileName)
	}
	ds, ok := simulator.Map.Get(*backing.Datastore).(*simulator.Datastore)
	if !ok {
		return "", "", "", fmt.Errorf("datastore %s not found", backing.Datastore.Value)
	}
	dir := ds.Info.GetDatastoreInfo().Url
	flat := p
	flat.Path = flatName(p.Path)
	return flat.String(), filepath.Join(dir, filepath.FromSlash(flat.Path)), filepath.Join(dir, filepath.FromSlash(p.Path)), nil
}

func flatName(p string) string {
	ext := path.Ext(p)
	return p[:len(p)-len(ext)] + "-flat" + ext
}

// descriptor is a monolithicFlat-style VMDK descriptor, so that the .vmdk file next to the data
// file looks like the one a datastore holds (a restore uploads the same pair).
func descriptor(flatBase string, capacity int64) string {
	sectors := capacity / 512
	return fmt.Sprintf(`# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=fffffffe
parentCID=ffffffff
createType="vmfs"

# Extent description
RW %d VMFS "%s"

# The Disk Data Base
#DDB

ddb.adapterType = "lsilogic"
ddb.geometry.cylinders = "%d"
ddb.geometry.heads = "255"
ddb.geometry.sectors = "63"
ddb.thinProvisioned = "1"
ddb.virtualHWVersion = "13"
`, sectors, flatBase, sectors/(255*63))
}

type dcInfo struct {
	name       string
	dc         *object.Datacenter
	folders    *object.DatacenterFolders
	clusters   []*object.ClusterComputeResource
	datastores []*object.Datastore
}

func listInventory(ctx context.Context, c *vim25.Client) ([]*dcInfo, error) {
	finder := find.NewFinder(c, false)
	dcs, err := finder.DatacenterList(ctx, "*")
	if err != nil {
		return nil, err
	}
	var out []*dcInfo
	for _, dc := range dcs {
		finder.SetDatacenter(dc)
		folders, err := dc.Folders(ctx)
		if err != nil {
			return nil, err
		}
		clusters, err := finder.ClusterComputeResourceList(ctx, "*")
		if err != nil {
			return nil, err
		}
		dss, err := finder.DatastoreList(ctx, "*")
		if err != nil {
			return nil, err
		}
		out = append(out, &dcInfo{name: dc.Name(), dc: dc, folders: folders, clusters: clusters, datastores: dss})
	}
	return out, nil
}

// createVMs spreads n VMs round-robin over every cluster of every datacenter, and within a
// datacenter over its datastores.
type createdVM struct {
	ref types.ManagedObjectReference
	dc  string
}

func createVMs(ctx context.Context, c *vim25.Client, dcs []*dcInfo, o *options) ([]createdVM, error) {
	var created []createdVM
	type slot struct {
		dc      *dcInfo
		cluster *object.ClusterComputeResource
	}
	var slots []slot
	for _, dc := range dcs {
		for _, cl := range dc.clusters {
			slots = append(slots, slot{dc, cl})
		}
	}
	if len(slots) == 0 && o.vms > 0 {
		return nil, fmt.Errorf("no cluster to place VMs in")
	}
	dsNext := map[*dcInfo]int{}
	for i := 0; i < o.vms; i++ {
		s := slots[i%len(slots)]
		ds := s.dc.datastores[dsNext[s.dc]%len(s.dc.datastores)]
		dsNext[s.dc]++
		name := fmt.Sprintf("%s_VM%d", s.cluster.Name(), i)

		pool, err := s.cluster.ResourcePool(ctx)
		if err != nil {
			return nil, err
		}
		spec := types.VirtualMachineConfigSpec{
			Name:     name,
			GuestId:  string(types.VirtualMachineGuestOsIdentifierOtherGuest),
			NumCPUs:  1,
			MemoryMB: 256,
			Files:    &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", ds.Name())},
		}
		if o.cbtEnabled {
			spec.ChangeTrackingEnabled = types.NewBool(true)
		}
		var devices object.VirtualDeviceList
		scsi, err := devices.CreateSCSIController("pvscsi")
		if err != nil {
			return nil, err
		}
		// Device keys as vSphere numbers them: SCSI controllers from 1000, disks from 2000.
		scsi.GetVirtualDevice().Key = 1000
		devices = append(devices, scsi)
		for d := 0; d < o.disks; d++ {
			// An empty file name lets the simulator name the disks as vSphere does:
			// "[ds] <vm>/<vm>.vmdk", "[ds] <vm>/<vm>_1.vmdk", ...
			disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds.Reference(), "")
			disk.Key = int32(2000 + d)
			disk.CapacityInKB = o.diskSize / 1024
			disk.CapacityInBytes = o.diskSize
			devices = append(devices, disk)
		}
		nic := esx.EthernetCard
		devices = append(devices, &nic)
		spec.DeviceChange, err = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
		if err != nil {
			return nil, err
		}
		task, err := s.dc.folders.VmFolder.CreateVM(ctx, spec, pool, nil)
		if err != nil {
			return nil, err
		}
		info, err := task.WaitForResult(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("create %s: %v", name, err)
		}
		ref := info.Result.(types.ManagedObjectReference)
		if err := sizeDisks(ref, o.diskSize); err != nil {
			return nil, err
		}
		if !o.powerOff {
			vm := object.NewVirtualMachine(c, ref)
			t, err := vm.PowerOn(ctx)
			if err != nil {
				return nil, err
			}
			if err := t.Wait(ctx); err != nil {
				return nil, fmt.Errorf("power on %s: %v", name, err)
			}
		}
		created = append(created, createdVM{ref: ref, dc: s.dc.name})
	}
	return created, nil
}

// sizeDisks makes each disk's data file a sparse file of the disk's capacity and writes its
// descriptor (the simulator leaves both files empty).
func sizeDisks(ref types.ManagedObjectReference, size int64) error {
	vm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	for _, dev := range vm.Config.Hardware.Device {
		_, backing, ok := flatDisk(dev)
		if !ok {
			continue
		}
		_, local, desc, err := flatPath(backing)
		if err != nil {
			return err
		}
		if err := os.Truncate(local, size); err != nil {
			return err
		}
		if err := ioutil.WriteFile(desc, []byte(descriptor(filepath.Base(local), size)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func describeVM(vm *simulator.VirtualMachine, dcName string) (readyVM, error) {
	out := readyVM{
		Name:         vm.Name,
		Moref:        vm.Self.Value,
		UUID:         vm.Config.Uuid,
		InstanceUUID: vm.Config.InstanceUuid,
		Datacenter:   dcName,
		Disks:        []readyDisk{},
	}
	var p object.DatastorePath
	if p.FromString(vm.Config.Files.VmPathName) {
		out.Datastore = p.Datastore
	}
	for _, dev := range vm.Config.Hardware.Device {
		disk, backing, ok := flatDisk(dev)
		if !ok {
			continue
		}
		flat, local, desc, err := flatPath(backing)
		if err != nil {
			return out, err
		}
		out.Disks = append(out.Disks, readyDisk{
			Key:            disk.Key,
			File:           backing.FileName,
			FlatFile:       flat,
			Path:           local,
			DescriptorPath: desc,
			Capacity:       diskCapacity(disk),
		})
	}
	return out, nil
}

func diskCapacity(disk *types.VirtualDisk) int64 {
	if disk.CapacityInBytes > 0 {
		return disk.CapacityInBytes
	}
	return disk.CapacityInKB * 1024
}

// addPortgroups adds each named standard port group to vSwitch0 of the first host of every
// datacenter with HostNetworkSystem.AddPortGroup, as an administrator adds one (vSphere Web
// Services API, HostNetworkSystem.AddPortGroup with a HostPortGroupSpec): the network then
// exists in the datacenter's inventory beside "VM Network", e.g. an isolated network for drills.
func addPortgroups(ctx context.Context, c *vim25.Client, dcs []*dcInfo, names []string) error {
	if len(names) == 0 {
		return nil
	}
	finder := find.NewFinder(c, false)
	for _, dc := range dcs {
		finder.SetDatacenter(dc.dc)
		hosts, err := finder.HostSystemList(ctx, "*")
		if err != nil {
			return err
		}
		if len(hosts) == 0 {
			continue
		}
		ns, err := hosts[0].ConfigManager().NetworkSystem(ctx)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := ns.AddPortGroup(ctx, types.HostPortGroupSpec{Name: name, VswitchName: "vSwitch0", Policy: types.HostNetworkPolicy{}}); err != nil {
				return fmt.Errorf("port group %s: %v", name, err)
			}
		}
	}
	return nil
}
